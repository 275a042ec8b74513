"""The end-of-run summary and the grade-distribution picture (matplotlib: SVG and PNG).

Example::

    >>> s = summarize([{"student": "a", "grade_id": "ex1_t", "score": 1.0, "max_score": 2.0,
    ...                 "status": "graded", "reason": "", "kind": "test"}], {"a": {"status": "graded"}})
    >>> s.mean, s.per_exercise
    (1.0, {'ex1': 0.5})
"""

from __future__ import annotations

import io
from collections import Counter, defaultdict
from dataclasses import dataclass, field

import numpy as np

BAR_COLOUR = "#3a7bd5"


@dataclass
class Summary:
    graded: int
    failed: dict[str, int]  # status -> number of students
    mean: float
    max_total: float
    per_exercise: dict[str, float]  # exN -> mean fraction of its points
    totals: dict[str, float] = field(default_factory=dict)  # after late penalties
    penalties: dict[str, float] = field(default_factory=dict)  # student -> points taken off for lateness
    # Students whose unchanged submission was graded again because what grades it changed (a fixed test).
    regraded_inputs_changed: int = 0

    def text(self) -> str:
        failed = ", ".join(f"{n} {s}" for s, n in sorted(self.failed.items())) or "none"
        lines = [f"students: {self.graded + sum(self.failed.values())}  graded: {self.graded}  "
                 f"not graded normally: {sum(self.failed.values())} ({failed})",
                 f"mean score: {self.mean:.2f} / {self.max_total:g}"]
        penalised = {s: p for s, p in self.penalties.items() if p}
        if penalised:
            lines.append(f"late penalties: {len(penalised)} student(s), {sum(penalised.values()):g} points in all")
        if self.regraded_inputs_changed:
            lines.append(f"{self.regraded_inputs_changed} re-graded because the tests changed (the assignment's "
                         "tests, its verifier, the grader or its limits)")
        lines += [f"  {ex}: {100 * frac:.0f}% of points" for ex, frac in sorted(self.per_exercise.items())]
        return "\n".join(lines)


def exercise_of(grade_id: str) -> str:
    return grade_id.split("_", 1)[0]


def summarize(rows: list[dict], students: dict[str, dict], penalties: dict[str, float] | None = None) -> Summary:
    """Totals per student (after `penalties`, points per student) and means per exercise from grades.csv-style rows."""
    penalties = penalties or {}
    totals: dict[str, float] = defaultdict(float)
    maxima: dict[str, float] = defaultdict(float)
    ex_score: dict[str, list] = defaultdict(lambda: [0.0, 0.0])
    for row in rows:
        totals[row["student"]] += row["score"] or 0.0
        maxima[row["student"]] += row["max_score"]
        ex = ex_score[exercise_of(row["grade_id"])]
        ex[0] += row["score"] or 0.0
        ex[1] += row["max_score"]
    for student, penalty in penalties.items():
        if student in totals:
            totals[student] = max(totals[student] - penalty, 0.0)
    statuses = Counter(info["status"] for info in students.values())
    graded = statuses.pop("graded", 0)
    mean = float(np.mean(list(totals.values()))) if totals else 0.0
    per_ex = {ex: (s / m if m else 0.0) for ex, (s, m) in ex_score.items()}
    return Summary(graded, dict(statuses), mean, max(maxima.values(), default=0.0), per_ex, dict(totals),
                   dict(penalties))


def _figure(totals: list[float], max_total: float):
    """The histogram as a matplotlib Figure (no pyplot: no global state, no display needed)."""
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    top = max_total or 1.0
    fig = Figure(figsize=(6, 3.4), dpi=100, layout="constrained")
    ax = fig.add_subplot()
    ax.hist(np.clip(totals, 0, top), bins=list(np.linspace(0, top, 11)), color=BAR_COLOUR, edgecolor="white")
    ax.set_xlim(0, top)
    ax.set_xlabel(f"total score (out of {max_total:g})")
    ax.set_ylabel("students")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_title(f"Grade distribution ({len(totals)} student{'s' if len(totals) != 1 else ''})")
    ax.spines[["top", "right"]].set_visible(False)
    return fig


def _render(totals: list[float], max_total: float, kind: str) -> bytes:
    import matplotlib

    buffer = io.BytesIO()
    # Text stays text in the SVG; a fixed hash salt and no date keep the files the same run after run.
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "d2lblocks-grade"}):
        _figure(totals, max_total).savefig(buffer, format=kind,
                                           metadata={"Date": None} if kind == "svg" else {"Software": None})
    return buffer.getvalue()


def histogram_svg(totals: list[float], max_total: float) -> str:
    """The distribution of totals as SVG: ten bins from 0 to `max_total`, labelled axes and a title."""
    return _render(totals, max_total, "svg").decode()


def histogram_png(totals: list[float], max_total: float) -> bytes:
    """The same picture as PNG."""
    return _render(totals, max_total, "png")
