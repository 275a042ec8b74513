"""Which course folder and which assignment a command means when the instructor did not say.

The course is ``--course DIR``, else ``exercises/`` in the current folder (the
layout of a d2lblocks checkout). The assignment is ``--assignment ID``, else the
course's only assignment under ``source/``, else the one its nbgrader_config.py
names as ``c.D2lblocksGrade.default_assignment`` (a setting nbgrader does not read,
so nbgrader's own ``nbgrader autograde ID`` keeps working), else nbgrader's
``c.CourseDirectory.assignment_id`` when a course sets that. Nothing is taken from
where the grader happens to be installed.

Example::

    >>> course_dir(None)                       # doctest: +SKIP
    PosixPath('/home/me/d2lblocks/exercises')
    >>> assignment_id(Path("exercises"), None)  # doctest: +SKIP
    'layers-and-blocks'
"""
from __future__ import annotations

from pathlib import Path

DEFAULT_COURSE_DIR = "exercises"
NO_COURSE_HERE = (
    "No course given and no {default}/ folder in {cwd}. Pass --course DIR: the nbgrader course folder that "
    "holds nbgrader_config.py and source/<assignment>/ (in a d2lblocks checkout, that is exercises/)."
)
NOT_A_COURSE = (
    "{path} is not an nbgrader course folder: it needs nbgrader_config.py and source/<assignment>/. "
    "Pass --course DIR, the folder holding them (in a d2lblocks checkout: exercises/)."
)
WHICH_ASSIGNMENT = ("The course {path} has {count} assignments ({names}); say which with --assignment ID (or name "
                    "the default in its nbgrader_config.py: c.D2lblocksGrade.default_assignment = \"ID\").")
ASSIGNMENT_HELP = ("assignment id (default: the course's only assignment, else the one its nbgrader_config.py "
                   "names as c.D2lblocksGrade.default_assignment)")
# Where a course names the assignment meant by commands that name none, first that is set wins. nbgrader refuses
# `nbgrader autograde ID` while CourseDirectory.assignment_id is set, so our own section comes first.
DEFAULT_SETTINGS = (("D2lblocksGrade", "default_assignment"), ("CourseDirectory", "assignment_id"))


def course_dir(course: str | Path | None) -> Path:
    """The course folder: ``course`` if given, else ``./exercises``; an error that says what to pass otherwise."""
    if course is None:
        default = Path.cwd() / DEFAULT_COURSE_DIR
        if not (default / "source").is_dir():
            raise FileNotFoundError(NO_COURSE_HERE.format(default=DEFAULT_COURSE_DIR, cwd=Path.cwd()))
        return default.resolve()
    path = Path(course).expanduser()
    if not (path / "source").is_dir() or not (path / "nbgrader_config.py").is_file():
        raise FileNotFoundError(NOT_A_COURSE.format(path=path))
    return path.resolve()


def assignment_id(course: Path, assignment: str | None) -> str:
    """``assignment`` if given, else the course's only assignment; an error naming the choices otherwise."""
    if assignment:
        return assignment
    names = sorted(p.name for p in (course / "source").iterdir() if p.is_dir() and not p.name.startswith("."))
    if len(names) > 1:
        from d2lblocks_grade.course.master import load_config  # the config, only when it must decide

        config = load_config(course)
        for section, name in DEFAULT_SETTINGS:
            configured = config.get(section, {}).get(name)
            if isinstance(configured, str) and configured in names:
                return configured
    if len(names) != 1:
        raise FileNotFoundError(WHICH_ASSIGNMENT.format(path=course, count=len(names), names=", ".join(names) or "none"))
    return names[0]
