"""The end-of-run summary and the grade-distribution picture (SVG and PNG, no plotting library).

Example::

    >>> s = summarize([{"student": "a", "grade_id": "ex1_t", "score": 1.0, "max_score": 2.0,
    ...                 "status": "graded", "reason": "", "kind": "test"}], {"a": {"status": "graded"}})
    >>> s.mean, s.per_exercise
    (1.0, {'ex1': 0.5})
"""

from __future__ import annotations

import struct
import zlib
from collections import Counter, defaultdict
from dataclasses import dataclass, field

import numpy as np


@dataclass
class Summary:
    graded: int
    failed: dict[str, int]  # status -> number of students
    mean: float
    max_total: float
    per_exercise: dict[str, float]  # exN -> mean fraction of its points
    totals: dict[str, float] = field(default_factory=dict)

    def text(self) -> str:
        failed = ", ".join(f"{n} {s}" for s, n in sorted(self.failed.items())) or "none"
        lines = [f"students: {self.graded + sum(self.failed.values())}  graded: {self.graded}  "
                 f"not graded normally: {sum(self.failed.values())} ({failed})",
                 f"mean score: {self.mean:.2f} / {self.max_total:g}"]
        lines += [f"  {ex}: {100 * frac:.0f}% of points" for ex, frac in sorted(self.per_exercise.items())]
        return "\n".join(lines)


def exercise_of(grade_id: str) -> str:
    return grade_id.split("_", 1)[0]


def summarize(rows: list[dict], students: dict[str, dict]) -> Summary:
    """Totals per student and means per exercise from grades.csv-style rows."""
    totals: dict[str, float] = defaultdict(float)
    maxima: dict[str, float] = defaultdict(float)
    ex_score: dict[str, list] = defaultdict(lambda: [0.0, 0.0])
    for row in rows:
        totals[row["student"]] += row["score"] or 0.0
        maxima[row["student"]] += row["max_score"]
        ex = ex_score[exercise_of(row["grade_id"])]
        ex[0] += row["score"] or 0.0
        ex[1] += row["max_score"]
    statuses = Counter(info["status"] for info in students.values())
    graded = statuses.pop("graded", 0)
    mean = float(np.mean(list(totals.values()))) if totals else 0.0
    per_ex = {ex: (s / m if m else 0.0) for ex, (s, m) in ex_score.items()}
    return Summary(graded, dict(statuses), mean, max(maxima.values(), default=0.0), per_ex, dict(totals))


def _bins(totals: list[float], max_total: float, n: int = 10) -> np.ndarray:
    edges = np.linspace(0, max_total or 1.0, n + 1)
    counts, _ = np.histogram(np.clip(totals, 0, max_total or 1.0), bins=edges)
    return counts


def histogram_svg(totals: list[float], max_total: float) -> str:
    counts, w, h, pad = _bins(totals, max_total), 400, 220, 30
    top = max(int(counts.max()) if len(counts) else 1, 1)
    bar = (w - 2 * pad) / len(counts)
    rects = []
    for i, c in enumerate(counts):
        bh = (h - 2 * pad) * c / top
        rects.append(f'<rect x="{pad + i * bar + 1:.1f}" y="{h - pad - bh:.1f}" width="{bar - 2:.1f}" '
                     f'height="{bh:.1f}" fill="#3a7bd5"><title>{c} students</title></rect>')
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" font-family="sans-serif" '
            f'font-size="11"><text x="{pad}" y="16">Grade distribution ({len(totals)} students)</text>'
            + "".join(rects)
            + f'<line x1="{pad}" y1="{h - pad}" x2="{w - pad}" y2="{h - pad}" stroke="#333"/>'
            f'<text x="{pad}" y="{h - 10}">0</text><text x="{w - pad - 20}" y="{h - 10}">{max_total:g}</text>'
            f'<text x="4" y="{pad + 4}">{top}</text></svg>')


def histogram_png(totals: list[float], max_total: float) -> bytes:
    """The same bars as a small PNG (written with zlib; no plotting library needed)."""
    counts, w, h, pad = _bins(totals, max_total), 400, 220, 20
    img = np.full((h, w, 3), 255, np.uint8)
    top = max(int(counts.max()) if len(counts) else 1, 1)
    bar = (w - 2 * pad) // len(counts)
    for i, c in enumerate(counts):
        bh = int((h - 2 * pad) * c / top)
        img[h - pad - bh: h - pad, pad + i * bar + 1: pad + (i + 1) * bar - 1] = (58, 123, 213)
    img[h - pad, pad: w - pad] = (51, 51, 51)
    raw = b"".join(b"\x00" + img[y].tobytes() for y in range(h))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))
