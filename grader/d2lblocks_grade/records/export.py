"""CSV files for instructors and LMSs: every graded cell, and totals per student.

Totals are after the late penalty (``late_penalty`` says how much it took off); the
LMS-specific shapes (Canvas, Moodle, Gradescope) are in ``d2lblocks_grade.lms``.

Example::

    >>> write_grades_csv(rows, "out/grades.csv", students)  # doctest: +SKIP
    >>> write_totals_csv(rows, students, "out/totals.csv")  # doctest: +SKIP
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from pathlib import Path

from d2lblocks_grade.records.atomic import write_atomic

GRADE_COLUMNS = ("student", "grade_id", "score", "max_score", "status", "reason")
# Once the assignment has a due date: the student's lateness, repeated on each of their rows (the penalty is
# taken off the student's total once, not off each cell).
LATE_COLUMNS = ("seconds_late", "late_penalty")
TOTAL_COLUMNS = ("student", "lms_user_id", "score", "max_score", "status", "needs_manual_grading",
                 "late_penalty", "seconds_late", "submitted_at")
BAD_ROSTER = ("{path} has no 'student' column; a roster is a CSV with columns student,lms_user_id "
              "(one row per student, the id as used for the submission folders)")
NO_ROSTER = "the roster {path} cannot be read ({error}); pass a CSV file with columns student,lms_user_id"


def csv_text(columns, rows) -> str:
    text = io.StringIO(newline="")
    writer = csv.DictWriter(text, fieldnames=columns, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return text.getvalue()


def _atomic_csv(path: str | Path, columns, rows) -> Path:
    return write_atomic(path, csv_text(columns, rows).encode())


def fmt(value) -> str:
    """A number as a CSV cell: '' for None, no trailing zeros."""
    return "" if value is None else f"{value:g}"


def _late(info: dict) -> dict:
    return {"seconds_late": fmt(round(info.get("seconds_late") or 0.0)), "late_penalty": fmt(info.get("late_penalty") or 0.0)}


def write_grades_csv(rows: list[dict], path: str | Path, students: dict[str, dict] | None = None) -> Path:
    """grades.csv: one row per student and graded cell (an empty score waits for a person); with the late
    columns once any student has a due date or a penalty."""
    students = students or {}
    dated = any(info.get("due") is not None or info.get("late_penalty") for info in students.values())
    columns = GRADE_COLUMNS + LATE_COLUMNS if dated else GRADE_COLUMNS
    return _atomic_csv(path, columns, [{**r, "score": fmt(r["score"]), "max_score": fmt(r["max_score"]),
                                        **_late(students.get(r["student"], {}))} for r in rows])


def read_roster(path: str | Path) -> dict[str, str]:
    """student -> lms_user_id from a roster CSV."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            if "student" not in (reader.fieldnames or []):
                raise ValueError(BAD_ROSTER.format(path=path))
            return {r["student"]: r.get("lms_user_id", "") or "" for r in reader}
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise ValueError(NO_ROSTER.format(path=path, error=error)) from None


def totals(rows: list[dict], students: dict[str, dict], roster: dict[str, str] | None = None) -> list[dict]:
    """One dict per student: the total after the late penalty, the maximum, what still waits for a person."""
    score: dict[str, float] = defaultdict(float)
    maximum: dict[str, float] = defaultdict(float)
    pending: dict[str, int] = defaultdict(int)
    for r in rows:
        score[r["student"]] += r["score"] or 0.0
        maximum[r["student"]] += r["max_score"]
        pending[r["student"]] += r["score"] is None
    roster = roster or {}
    out = []
    for s, info in sorted(students.items()):
        penalty = info.get("late_penalty") or 0.0
        submitted = info.get("submitted_at")
        out.append({"student": s, "lms_user_id": roster.get(s) or info.get("lms_user_id", ""),
                    "score": fmt(max(score[s] - penalty, 0.0)), "max_score": fmt(maximum[s]), "status": info["status"],
                    "needs_manual_grading": pending[s], "late_penalty": fmt(penalty),
                    "seconds_late": fmt(round(info.get("seconds_late") or 0.0)),
                    "submitted_at": submitted.isoformat(sep=" ", timespec="seconds") + " UTC" if submitted else ""})
    return out


def write_totals_csv(rows, students, path, roster=None) -> Path:
    """totals.csv for an LMS upload: one row per student."""
    return _atomic_csv(path, TOTAL_COLUMNS, totals(rows, students, roster))
