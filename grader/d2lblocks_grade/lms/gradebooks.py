"""The CSV files Canvas and Moodle import grades from, built from a graded class.

Canvas (Grades > Import): ``Student,ID,SIS User ID,SIS Login ID,Section,<assignment column>``,
a ``Points Possible`` row second, then one row per student. Canvas matches rows on ``ID``
(the Canvas user id, recovered from its download names or a roster) and updates the column
whose title it recognises, e.g. ``Layers and Blocks (98765)``; a new title makes a new assignment.

Moodle (Assignment > View all submissions > Upload grading worksheet): ``Identifier,Full name,
Email address,Status,Grade,Maximum Grade,Grade can be changed,Last modified (submission),
Last modified (grade),Feedback comments``, matched on ``Identifier`` (``Participant 731``).

Scores are totals after the late penalty. Students the LMS could not match (no user id) are
left out and named, so the instructor can add them to a roster.

Example::

    >>> text, left_out = canvas_csv(rows, students, "Layers and Blocks (98765)")   # doctest: +SKIP
"""
from __future__ import annotations

from datetime import datetime, timezone

from d2lblocks_grade.lms.roster import RosterEntry, match
from d2lblocks_grade.records.export import csv_text, fmt, totals
from d2lblocks_grade.records.late import describe_seconds

CANVAS_COLUMNS = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")
MOODLE_COLUMNS = ("Identifier", "Full name", "Email address", "Status", "Grade", "Maximum Grade",
                  "Grade can be changed", "Last modified (submission)", "Last modified (grade)", "Feedback comments")
POINTS_POSSIBLE = "Points Possible"
BAD_COLUMN = ("--column {column!r} is not a Canvas assignment column title; give the title as the Canvas gradebook "
              "export spells it, e.g. 'Layers and Blocks (98765)', or leave it out to create a new assignment")


def lms_user_id(info: dict, lms: str) -> str:
    """The student's user id in `lms` from the gradebook: one recovered from another LMS's names is not it."""
    return info.get("lms_user_id", "") if info.get("lms", "") in ("", lms) else ""


def _points(rows: list[dict]) -> float:
    per_student: dict[str, float] = {}
    for r in rows:
        per_student[r["student"]] = per_student.get(r["student"], 0.0) + r["max_score"]
    return max(per_student.values(), default=0.0)


def _with_lms_ids(rows: list[dict], students: dict[str, dict], roster: list[RosterEntry] | None, lms: str,
                  left_out: list[str]):
    """(total, info, roster entry, LMS id, display name) per student the LMS can take; the rest into left_out."""
    for total in totals(rows, students):
        student, info = total["student"], students[total["student"]]
        entry = match(roster or [], student, info)
        user_id = lms_user_id(info, lms) or (entry.lms_user_id if entry else "")
        if not user_id:
            left_out.append(student)
            continue
        name = (entry.name if entry and entry.name else "") or info.get("lms_name") or student
        yield total, info, entry, user_id, name


def canvas_csv(rows: list[dict], students: dict[str, dict], column: str,
               roster: list[RosterEntry] | None = None) -> tuple[str, list[str]]:
    """(the Canvas import CSV, students left out for want of a Canvas user id)."""
    if not column.strip() or "\n" in column:
        raise ValueError(BAD_COLUMN.format(column=column))
    header = [*CANVAS_COLUMNS, column]
    out = [dict(zip(header, [POINTS_POSSIBLE, "", "", "", "", fmt(_points(rows))]))]
    left_out: list[str] = []
    for total, _info, entry, user_id, name in _with_lms_ids(rows, students, roster, "canvas", left_out):
        out.append(dict(zip(header, [name, user_id, entry.sis_user_id if entry else "",
                                     entry.sis_login_id if entry else "", entry.section if entry else "",
                                     total["score"]])))
    return csv_text(header, out), left_out


def moodle_time(moment: datetime | None) -> str:
    """A time as Moodle's worksheet writes it: 'Tuesday, 1 December 2026, 11:59 PM' ('-' when unknown)."""
    if moment is None:
        return "-"
    return f"{moment:%A}, {moment.day} {moment:%B %Y}, {moment:%I:%M %p}"


def _comment(total: dict, info: dict, pending: int) -> str:
    parts = [f"Autograded: {total['score']} / {total['max_score']}"]
    if pending:
        parts.append(f"{pending} answer(s) still to be graded by hand")
    if info.get("status") not in (None, "", "graded"):
        parts.append(f"{info['status']}: {info.get('reason', '')}".strip(": "))
    if info.get("late_penalty"):
        parts.append(f"submitted {describe_seconds(info.get('seconds_late') or 0.0)} late: penalty "
                     f"{fmt(info['late_penalty'])} points")
    return ". ".join(parts) + "."


def moodle_csv(rows: list[dict], students: dict[str, dict], roster: list[RosterEntry] | None = None,
               now: datetime | None = None) -> tuple[str, list[str]]:
    """(Moodle's grading worksheet CSV, students left out for want of a Moodle participant id)."""
    now = now or datetime.now(timezone.utc).replace(tzinfo=None)
    out: list[dict] = []
    left_out: list[str] = []
    for total, info, entry, participant, name in _with_lms_ids(rows, students, roster, "moodle", left_out):
        out.append(dict(zip(MOODLE_COLUMNS, [
            f"Participant {participant}", name, entry.email if entry else "",
            (entry.status if entry and entry.status else "Submitted for grading"), total["score"], total["max_score"],
            "Yes", moodle_time(info.get("submitted_at")), moodle_time(now),
            _comment(total, info, total["needs_manual_grading"])])))
    return csv_text(MOODLE_COLUMNS, out), left_out
