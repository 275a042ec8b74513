"""Due dates, submission times and late penalties, the way nbgrader defines them.

The due date is the gradebook's (``nbgrader db assignment add NAME --duedate=...``, or
``d2lblocks-grade autograde --due ...``, which stores it there), plus the student's
extension if formgrader granted one. A time without a UTC offset is UTC, as nbgrader
reads it.

A submission's time, strongest evidence first:

1. ``timestamp.txt`` beside the notebook (what ``nbgrader collect`` and the exchange write);
2. an LMS download name: Canvas's ``LATE`` flag says late (counted from the file's time when
   that is after the due date, else as one second late); a Canvas name without the flag says
   on time, since Canvas knows each student's own due date;
3. the file's modification time (a zip member's stored time).

The penalty comes from nbgrader's own plugin interface: the course's
``c.AssignLatePenalties.plugin_class`` (default ``LateSubmissionPlugin``, whose
``c.LateSubmissionPlugin.penalty_method`` is ``'none'`` or ``'zero'``), called as
``late_submission_penalty(student_id, score, total_seconds_late)`` and clipped to
``0..score`` as nbgrader clips it. `PerDayPenalty` is a ready-made per-day policy::

    c.AssignLatePenalties.plugin_class = "d2lblocks_grade.records.late.PerDayPenalty"
    c.PerDayPenalty.percent_per_day = 10      # of the score, per started day late

Example::

    >>> due = parse_due("2026-12-01T23:59")
    >>> lateness(due, due.replace(day=2), "timestamp.txt", LatePolicy.none(), "amy", 10.0).seconds_late
    86400.0
"""
from __future__ import annotations

import math
import sys
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Iterator

from nbgrader.plugins import BasePlugin
from nbgrader.preprocessors import AssignLatePenalties
from nbgrader.utils import parse_utc
from traitlets import Float, TraitError
from traitlets.config import Config

from d2lblocks.i18n import N_, gettext, translate

TIMESTAMP_FILE = "timestamp.txt"
BAD_DUE = ("--due {text!r} is not a date and time; write it as 2026-12-01T23:59 (UTC, as nbgrader reads due "
           "dates) or with an offset, 2026-12-01T23:59-05:00")
BAD_TIMESTAMP = ("{name} does not hold a time ({text!r}); nbgrader writes one line such as "
                 "'2026-12-01 23:59:00.000000 UTC'. Fix or delete the file; until then the file's own "
                 "modification time is used")
BAD_PLUGIN = ("{path}: c.AssignLatePenalties.plugin_class = {name!r} could not be loaded ({error}). Put the "
              "module beside nbgrader_config.py (e.g. late.py holding a BasePlugin subclass) and name it "
              "'module.ClassName', or remove the line for no penalty")
BAD_METHOD = ("{path}: the late-penalty settings are not usable ({error}). c.LateSubmissionPlugin.penalty_method "
              "is 'none' or 'zero'; a per-day policy is c.AssignLatePenalties.plugin_class = "
              "'d2lblocks_grade.records.late.PerDayPenalty'")
PLUGIN_FAILED = ("the late-penalty plugin {name} failed for {student} ({error}); fix the plugin "
                 "(late_submission_penalty(student_id, score, total_seconds_late) must return a number or None)")

# What a feedback page says of a submission's time, in the assignment's language (`Lateness.text`).
# Where the time came from is recorded in English ("file time; Canvas marked it LATE"), each part said on the page.
FILE_TIME = N_("file time")  # course.intake's name for a file's modification time
CANVAS_LATE = N_("Canvas marked it LATE")
CANVAS_LATE_NO_TIME = N_("Canvas marked it LATE (no later time known: one second late)")
CANVAS_NOT_LATE = N_("Canvas did not mark it late (the file's later time is not its submission time)")
DUE = N_("due {due}")
SUBMITTED = N_("submitted {time}")
SUBMITTED_FROM = N_("submitted {time} ({source})")
ON_TIME = N_("{submitted}, on time (due {due})")
LATE = N_("{submitted}, {late} after the due date {due}: {penalty}")
PENALTY_POINT = N_("late penalty {points} point")
PENALTY_POINTS = N_("late penalty {points} points")
NO_PENALTY = N_("no late penalty")
DAY = N_("{count} day")
DAYS = N_("{count} days")
HOURS = N_("{count} h")
MINUTES = N_("{count} min")


def utc_naive(moment: float | datetime | None) -> datetime | None:
    """A unix time or an aware datetime as nbgrader stores times: naive, in UTC."""
    if moment is None:
        return None
    if isinstance(moment, datetime):
        return parse_utc(moment)
    return datetime.fromtimestamp(moment, timezone.utc).replace(tzinfo=None)


def parse_due(text: str) -> datetime:
    """A due date from the command line, as naive UTC; an error that shows the accepted forms."""
    try:
        return parse_utc(text.strip())
    except (ValueError, OverflowError, TypeError):
        raise ValueError(BAD_DUE.format(text=text)) from None


def parse_timestamp(text: str, name: str = TIMESTAMP_FILE) -> datetime:
    """The time in an nbgrader ``timestamp.txt`` (naive UTC); `ValueError` naming the file otherwise."""
    try:
        if not text.strip():
            raise ValueError("empty")
        return parse_utc(text.strip())
    except (ValueError, OverflowError, TypeError):
        raise ValueError(BAD_TIMESTAMP.format(name=name, text=text.strip()[:60])) from None


def effective_time(file_time: datetime | None, source: str, lms_late: bool | None,
                   due: datetime | None) -> tuple[datetime | None, str]:
    """The submission time to count, and where it came from (see the module docstring for the order).

    `source` says where `file_time` came from; `lms_late` is Canvas's LATE flag (None: not a Canvas name).
    """
    if source == TIMESTAMP_FILE or lms_late is None or due is None:
        return file_time, source
    if lms_late:
        if file_time is not None and file_time > due:
            return file_time, f"{source}; {CANVAS_LATE}"
        return due + timedelta(seconds=1), CANVAS_LATE_NO_TIME
    if file_time is not None and file_time > due:
        return due, CANVAS_NOT_LATE
    return file_time, source


def describe_seconds(seconds: float, language: str = "en") -> str:
    """'2 days 3 h 4 min' for a lateness (in `language`)."""
    minutes = max(1, math.ceil(seconds / 60))
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    parts = [translate(DAY if days == 1 else DAYS, language, count=days)] if days else []
    parts += [translate(HOURS, language, count=hours)] if hours else []
    parts += [translate(MINUTES, language, count=minutes)] if minutes and not days else []
    return " ".join(parts) or translate(MINUTES, language, count=1)


def show_time(moment: datetime | None) -> str:
    return "" if moment is None else moment.strftime("%Y-%m-%d %H:%M UTC")


@dataclass(frozen=True)
class Lateness:
    """One student's due date, counted submission time and penalty (points off the total)."""

    due: datetime | None = None
    submitted: datetime | None = None
    source: str = ""
    seconds_late: float = 0.0
    penalty: float = 0.0
    policy: str = "none"

    @property
    def late(self) -> bool:
        return self.seconds_late > 0

    def key(self) -> str:
        """What a feedback page shows of this lateness, as one comparable string."""
        return f"{self.due}|{self.submitted}|{self.source}|{self.penalty:g}"

    def text(self, language: str = "en") -> str:
        """One sentence for the feedback page and the exports ('' when there is nothing to say), in `language`."""
        due = show_time(self.due)
        if self.submitted is None:
            return translate(DUE, language, due=due) if self.due else ""
        time = show_time(self.submitted)
        said = translate(SUBMITTED_FROM, language, time=time, source=self.source_text(language)) if self.source \
            else translate(SUBMITTED, language, time=time)
        if self.due is None:
            return said
        if not self.late:
            return translate(ON_TIME, language, submitted=said, due=due)
        points = f"{self.penalty:g}"
        penalty = translate(PENALTY_POINT if self.penalty == 1 else PENALTY_POINTS, language, points=points) \
            if self.penalty else translate(NO_PENALTY, language)
        return translate(LATE, language, submitted=said, late=describe_seconds(self.seconds_late, language), due=due,
                         penalty=penalty)

    def source_text(self, language: str = "en") -> str:
        """Where the submission time came from, each known part said in `language` ("timestamp.txt" stays)."""
        return "; ".join(gettext(part, language) if part else part for part in self.source.split("; "))


class PerDayPenalty(BasePlugin):
    """A per-day late policy for nbgrader and this grader alike: a share of the score and/or fixed points per
    started day late, never more than the score."""

    percent_per_day = Float(0.0, help="percent of the notebook's score taken off per started day late").tag(config=True)
    points_per_day = Float(0.0, help="points taken off per started day late").tag(config=True)

    def late_submission_penalty(self, student_id: str, score: float, total_seconds_late: float) -> float:
        days = math.ceil(total_seconds_late / 86400) if total_seconds_late > 0 else 0
        return min(score, days * self.points_per_day + score * days * self.percent_per_day / 100)


@contextmanager
def _importable_from(folder: Path | None) -> Iterator[None]:
    """nbgrader imports a course's plugin module from the course folder; so do we, for the call only."""
    if folder is None:
        yield
        return
    sys.path.insert(0, str(folder))
    try:
        yield
    finally:
        try:
            sys.path.remove(str(folder))
        except ValueError:
            pass


class LatePolicy:
    """The course's late-submission plugin, called the way nbgrader's AssignLatePenalties calls it."""

    def __init__(self, plugin: Any, name: str):
        self.plugin, self.name = plugin, name

    @classmethod
    def none(cls) -> "LatePolicy":
        return cls.from_config(Config())

    @classmethod
    def from_config(cls, config: Config, course_root: Path | None = None) -> "LatePolicy":
        """The plugin `config` names (importing a module beside nbgrader_config.py), configured by `config`."""
        path = (course_root / "nbgrader_config.py") if course_root else "nbgrader_config.py"
        configured = config.get("AssignLatePenalties", {}).get("plugin_class")
        with _importable_from(course_root):
            try:
                assigner = AssignLatePenalties(config=config)
            except TraitError as error:
                raise ValueError(BAD_PLUGIN.format(path=path, name=configured, error=error)) from None
            try:
                plugin = assigner.plugin_class(parent=assigner)
            except (TraitError, TypeError, ValueError) as error:
                raise ValueError(BAD_METHOD.format(path=path, error=error)) from None
        kind = type(plugin)
        name = getattr(plugin, "penalty_method", None) if kind.__name__ == "LateSubmissionPlugin" else None
        return cls(plugin, name or f"{kind.__module__}.{kind.__qualname__}")

    def penalty(self, student_id: str, score: float, seconds_late: float) -> float:
        """Points off `score` for a submission `seconds_late` late: 0 when on time, else the plugin's answer
        clipped to 0..score, as nbgrader clips it."""
        if seconds_late <= 0:
            return 0.0
        try:
            value = self.plugin.late_submission_penalty(student_id, score, seconds_late)
            value = 0.0 if value is None else float(value)
        except Exception as error:  # the course's own code: say whose it is
            raise ValueError(PLUGIN_FAILED.format(name=self.name, student=student_id,
                                                  error=f"{type(error).__name__}: {error}")) from None
        return float(min(max(value, 0.0), max(score, 0.0)))


def lateness(due: datetime | None, submitted: datetime | None, source: str, policy: LatePolicy,
             student_id: str, score: float) -> Lateness:
    """The `Lateness` of one submission, its penalty computed from `score` by `policy`."""
    seconds = max(0.0, (submitted - due).total_seconds()) if due is not None and submitted is not None else 0.0
    return Lateness(due, submitted, source, seconds, policy.penalty(student_id, score, seconds), policy.name)
