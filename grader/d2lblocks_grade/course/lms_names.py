"""Who a file belongs to, read from the names Canvas and Moodle give their bulk downloads.

- Canvas ("Download Submissions"): flat files ``<name>_[LATE_]<user id>_<submission id>_<original name>``,
  e.g. ``doejane_LATE_12345_67890_layers-and-blocks.ipynb``. ``<name>`` is Canvas's lower-case
  last-and-first name, ``<user id>`` is what Canvas's gradebook import matches on, ``LATE`` is
  Canvas's own verdict (it knows each student's due date).
- Moodle ("Download all submissions"): a folder (or a flat prefix) per student,
  ``<Full Name>_<participant id>_assignsubmission_file_``; the participant id is the number in the
  grading worksheet's ``Participant 123``.

Example::

    >>> canvas_name("doejane_LATE_12345_67890_hw2.ipynb")
    LmsName(lms='canvas', user_id='12345', name='doejane', late=True)
    >>> moodle_name("Jane Doe_731_assignsubmission_file_")
    LmsName(lms='moodle', user_id='731', name='Jane Doe', late=None)
"""
from __future__ import annotations

import re
from dataclasses import dataclass

CANVAS = "canvas"
MOODLE = "moodle"
_CANVAS = re.compile(r"^(?P<name>[^_/]+?)_(?P<late>late_)?(?P<user>\d+)_(?P<sub>\d+)_(?P<file>[^/]+)$", re.I)
_MOODLE = re.compile(r"^(?P<name>[^/]+?)_(?P<user>\d+)_assignsubmission_(?:file|onlinetext)_?(?P<file>[^/]*)$")


@dataclass(frozen=True)
class LmsName:
    """The student an LMS download name points at."""

    lms: str  # "canvas" or "moodle"
    user_id: str  # Canvas user id, or Moodle participant id
    name: str  # the LMS's own name for the student ("doejane", "Jane Doe")
    late: bool | None = None  # Canvas's LATE flag; None where the LMS says nothing


def canvas_name(file_name: str) -> LmsName | None:
    """The Canvas student a downloaded file's name names, or None if it is not a Canvas name."""
    match = _CANVAS.match(file_name)
    if match is None:
        return None
    return LmsName(CANVAS, match["user"], match["name"], bool(match["late"]))


def moodle_name(name: str) -> LmsName | None:
    """The Moodle participant a download folder (or flat file) name names, or None."""
    match = _MOODLE.match(name)
    if match is None:
        return None
    return LmsName(MOODLE, match["user"], match["name"].strip())
