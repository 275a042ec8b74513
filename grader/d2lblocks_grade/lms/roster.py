"""Rosters: who each graded student is in the LMS, from a plain CSV or from the LMS's own download.

Three shapes are read, told apart by their header:

- ``student,lms_user_id`` (plus optional ``name,email,sis_user_id,sis_login_id,section``): ours;
- Canvas's gradebook export (``Student,ID,SIS User ID,SIS Login ID,Section,...``); its
  ``Points Possible`` row is skipped;
- Moodle's grading worksheet (``Identifier,Full name,Email address,...``), ``Participant 731``
  being participant 731.

A graded student is matched to a roster entry by LMS user id (recovered from download names),
else by student id, else by name as the LMS spells it in download names (Canvas: ``doejane``
for "Doe, Jane"; Moodle: ``Jane_Doe`` for "Jane Doe").

Example::

    >>> entries = read_lms_roster("canvas-gradebook.csv")          # doctest: +SKIP
    >>> match(entries, "doejane", {"lms_user_id": "12345"}).section  # doctest: +SKIP
    'Section 01'
"""
from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

from d2lblocks_grade.course.intake import safe_student_id

UNKNOWN_SHAPE = ("{path}: the header ({header}) is none of the roster shapes this grader reads: a CSV with "
                 "columns student,lms_user_id; Canvas's gradebook export (Student,ID,SIS User ID,...); or "
                 "Moodle's grading worksheet (Identifier,Full name,Email address,...). Download one of those "
                 "from the LMS, or write the two-column CSV")
UNREADABLE = "the roster {path} cannot be read ({error}); pass a CSV file saved as UTF-8"
EMPTY = "{path} is empty; a roster needs a header row and one row per student"
PARTICIPANT = re.compile(r"^\s*Participant\s+(\d+)\s*$", re.I)


@dataclass(frozen=True)
class RosterEntry:
    """One student as the LMS knows them."""

    lms_user_id: str  # Canvas user id, Moodle participant id
    student: str = ""  # our student id, when the roster names it
    name: str = ""
    email: str = ""
    sis_user_id: str = ""
    sis_login_id: str = ""
    section: str = ""
    status: str = ""  # Moodle's submission status


def canvas_slug(name: str) -> str:
    """How Canvas names a student in download file names: 'Doe, Jane' -> 'doejane'."""
    if "," in name:
        last, first = name.split(",", 1)
        name = last + first
    return re.sub(r"[^a-z0-9]", "", name.lower())


def _rows(path: Path) -> tuple[list[str], list[dict]]:
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            rows = list(reader)
            header = [h.strip() for h in (reader.fieldnames or [])]
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise ValueError(UNREADABLE.format(path=path, error=error)) from None
    if not header:
        raise ValueError(EMPTY.format(path=path))
    return header, [{(k or "").strip(): (v or "").strip() for k, v in row.items() if isinstance(v, str)}
                    for row in rows]


def read_lms_roster(path: str | Path) -> list[RosterEntry]:
    """The roster at `path` in any of the three shapes; an error naming the shapes otherwise."""
    path = Path(path)
    header, rows = _rows(path)
    if "student" in header:
        return [RosterEntry(r.get("lms_user_id", ""), r["student"], r.get("name", ""), r.get("email", ""),
                            r.get("sis_user_id", ""), r.get("sis_login_id", ""), r.get("section", ""))
                for r in rows if r.get("student")]
    if {"Student", "ID"} <= set(header):
        return [RosterEntry(r["ID"], "", r.get("Student", ""), "", r.get("SIS User ID", ""),
                            r.get("SIS Login ID", ""), r.get("Section", ""))
                for r in rows if r.get("ID", "").isdigit()]  # skips "Points Possible" and test students' blanks
    if {"Identifier", "Full name"} <= set(header):
        entries = []
        for r in rows:
            match = PARTICIPANT.match(r.get("Identifier", ""))
            if match:
                entries.append(RosterEntry(match.group(1), "", r.get("Full name", ""), r.get("Email address", ""),
                                           status=r.get("Status", "")))
        return entries
    raise ValueError(UNKNOWN_SHAPE.format(path=path, header=",".join(header[:6])))


def match(entries: list[RosterEntry], student: str, info: dict) -> RosterEntry | None:
    """The roster entry of graded `student` (its gradebook `info`), or None."""
    user_id = info.get("lms_user_id", "")
    for entry in entries:
        if user_id and entry.lms_user_id == user_id:
            return entry
    for entry in entries:
        if entry.student and entry.student == student:
            return entry
    for entry in entries:
        if entry.name and not entry.student and student in (canvas_slug(entry.name), safe_student_id(entry.name)):
            return entry
    return None


_CANVAS_COLUMN = re.compile(r"^(?P<title>.+?)\s*\((?P<id>\d+)\)$")


def canvas_assignment_column(path: str | Path, assignment_id: str) -> str | None:
    """The column of a Canvas gradebook export that is this assignment ('Layers and Blocks (98765)'), if one is."""
    header, _ = _rows(Path(path))
    if not {"Student", "ID"} <= set(header):
        return None
    wanted = re.sub(r"[^a-z0-9]", "", assignment_id.lower())
    for column in header:
        match = _CANVAS_COLUMN.match(column)
        if match and re.sub(r"[^a-z0-9]", "", match["title"].lower()) == wanted:
            return column
    return None
