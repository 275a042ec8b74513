"""CSV files for instructors and LMSs: every graded cell, and totals per student.

Example::

    >>> write_grades_csv(rows, "out/grades.csv")          # doctest: +SKIP
    >>> write_totals_csv(rows, students, "out/totals.csv")  # doctest: +SKIP
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from pathlib import Path

from d2lblocks_grade.records.atomic import write_atomic

GRADE_COLUMNS = ("student", "grade_id", "score", "max_score", "status", "reason")
TOTAL_COLUMNS = ("student", "lms_user_id", "score", "max_score", "status", "needs_manual_grading")
BAD_ROSTER = ("{path} has no 'student' column; a roster is a CSV with columns student,lms_user_id "
              "(one row per student, the id as used for the submission folders)")


def _atomic_csv(path: str | Path, columns, rows) -> Path:
    text = io.StringIO(newline="")
    writer = csv.DictWriter(text, fieldnames=columns, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return write_atomic(path, text.getvalue().encode())


def _fmt(value) -> str:
    return "" if value is None else f"{value:g}"


def write_grades_csv(rows: list[dict], path: str | Path) -> Path:
    """grades.csv: one row per student and graded cell (an empty score waits for a person)."""
    return _atomic_csv(path, GRADE_COLUMNS, [{**r, "score": _fmt(r["score"]), "max_score": _fmt(r["max_score"])}
                                             for r in rows])


def read_roster(path: str | Path) -> dict[str, str]:
    """student -> lms_user_id from a roster CSV."""
    with open(path, newline="") as handle:
        reader = csv.DictReader(handle)
        if "student" not in (reader.fieldnames or []):
            raise ValueError(BAD_ROSTER.format(path=path))
        return {r["student"]: r.get("lms_user_id", "") or "" for r in reader}


def totals(rows: list[dict], students: dict[str, dict], roster: dict[str, str] | None = None) -> list[dict]:
    score: dict[str, float] = defaultdict(float)
    maximum: dict[str, float] = defaultdict(float)
    pending: dict[str, int] = defaultdict(int)
    for r in rows:
        score[r["student"]] += r["score"] or 0.0
        maximum[r["student"]] += r["max_score"]
        pending[r["student"]] += r["score"] is None
    roster = roster or {}
    return [{"student": s, "lms_user_id": roster.get(s) or info.get("lms_user_id", ""),
             "score": _fmt(score[s]), "max_score": _fmt(maximum[s]), "status": info["status"],
             "needs_manual_grading": pending[s]}
            for s, info in sorted(students.items())]


def write_totals_csv(rows, students, path, roster=None) -> Path:
    """totals.csv for an LMS upload: one row per student."""
    return _atomic_csv(path, TOTAL_COLUMNS, totals(rows, students, roster))
