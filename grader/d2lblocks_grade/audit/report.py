"""What the audit found, and the table it prints.

Example::

    >>> report.ok                     # doctest: +SKIP
    True
    >>> print(format_table(report))   # doctest: +SKIP
"""
from __future__ import annotations

from dataclasses import dataclass

from d2lblocks_grade.audit.bank import Answer, exercise_of
from d2lblocks_grade.audit.stock_nbgrader import CellScore

CAUGHT, MISSED, UNTAUGHT = "caught", "MISSED", "UNTAUGHT"
PASSED, REJECTED = "passed", "REJECTED"
TEACHING_ERROR = "AssertionError"  # a failure the tests explain; anything else is a raw crash


@dataclass(frozen=True)
class AnswerResult:
    """How the tests of one exercise judged one answer of the bank (or the instructor's, answer None)."""

    cell: str
    answer: Answer | None
    scores: tuple[CellScore, ...]

    @property
    def name(self) -> str:
        return self.answer.name if self.answer else "instructor solution"

    @property
    def correct(self) -> bool:
        return self.answer.correct if self.answer else True

    @property
    def failed(self) -> tuple[CellScore, ...]:
        return tuple(score for score in self.scores if not score.passed)

    @property
    def verdict(self) -> str:
        """caught / passed when the tests judged it right; MISSED, UNTAUGHT or REJECTED otherwise."""
        if self.correct:
            return PASSED if not self.failed else REJECTED
        if not self.failed:
            return MISSED
        taught = all(score.error == TEACHING_ERROR and score.message for score in self.failed)
        return CAUGHT if taught else UNTAUGHT

    @property
    def ok(self) -> bool:
        return self.verdict in (CAUGHT, PASSED)


@dataclass(frozen=True)
class AuditReport:
    """Every answer's result, plus any exercise hurt by another exercise's answer in the same notebook."""

    results: tuple[AnswerResult, ...]
    cascades: tuple[str, ...]  # "audit-03: ex2_values lost points while only ex1 had a bank answer"
    seconds: float
    grader: str = ""  # which grader ran, e.g. "stock nbgrader (generate_assignment + autograde)"

    @property
    def ok(self) -> bool:
        return all(result.ok for result in self.results) and not self.cascades

    def summary(self) -> str:
        wrong = [r for r in self.results if r.answer and not r.correct]
        right = [r for r in self.results if r.answer and r.correct]
        reference = [r for r in self.results if r.answer is None]
        return (f"wrong answers caught with a teaching message: {sum(r.ok for r in wrong)}/{len(wrong)}; "
                f"correct answers given full marks: {sum(r.ok for r in right)}/{len(right)}; "
                f"instructor solutions given full marks: {sum(r.ok for r in reference)}/{len(reference)}; "
                f"exercises disturbed by another exercise's answer: {len(self.cascades)}; "
                f"{self.seconds:.0f} s")


def format_table(report: AuditReport) -> str:
    """Which grader ran, then one block per solution cell: a row per answer with each test's score, then each
    failing test's message."""
    lines: list[str] = [f"graded by {report.grader}", ""] if report.grader else []
    for cell in dict.fromkeys(result.cell for result in report.results):
        rows = [result for result in report.results if result.cell == cell]
        prefix = exercise_of(cell) + "_"
        tests = [score.grade_id for score in rows[0].scores]
        headers = [test[len(prefix):] if test.startswith(prefix) else test for test in tests]
        width = max(len(row.name) for row in rows) + 2
        lines.append(f"{cell}: {len(rows) - 1} bank answers, tests {', '.join(tests)}")
        lines.append("  " + "answer".ljust(width) + "expect  " + "  ".join(headers) + "  verdict")
        for row in rows:
            marks = [f"{_points(score)}".ljust(len(header)) for score, header in zip(row.scores, headers)]
            expected = "right" if row.correct else "wrong"
            lines.append("  " + row.name.ljust(width) + expected.ljust(8) + "  ".join(marks) + "  " + row.verdict)
            for score in row.failed:
                error = "" if score.error == TEACHING_ERROR else f"[{score.error}] "
                lines.append(f"      {score.grade_id}: {error}{score.message}")
        lines.append("")
    lines.extend(f"cascade: {cascade}" for cascade in report.cascades)
    lines.append(report.summary())
    return "\n".join(lines)


def _points(score: CellScore) -> str:
    return f"{score.score:g}/{score.max_score:g}"


def to_json(report: AuditReport) -> dict:
    """The report as plain data, for CI artifacts and other tools."""
    return {
        "ok": report.ok,
        "grader": report.grader,
        "seconds": report.seconds,
        "cascades": list(report.cascades),
        "results": [{
            "cell": r.cell, "answer": r.name, "expected": "right" if r.correct else "wrong",
            "description": r.answer.description if r.answer else "the source notebook's solution",
            "verdict": r.verdict,
            "tests": [{"grade_id": s.grade_id, "score": s.score, "max_score": s.max_score,
                       "error": s.error, "message": s.message} for s in r.scores],
        } for r in report.results],
    }
