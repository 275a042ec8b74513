"""Due dates, submission times and late penalties, as nbgrader defines them, everywhere a grade is shown."""

import csv
import os
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from grader_fixtures import ASSIGNMENT, CORRECT, NOTEBOOK, make_course, student_notebook
from nbgrader.api import Gradebook
from traitlets.config import Config

from d2lblocks_grade.course.intake import discover
from d2lblocks_grade.records.late import (
    Lateness,
    LatePolicy,
    PerDayPenalty,
    describe_seconds as describe,
    effective_time,
    lateness,
    parse_due,
    parse_timestamp,
)

DUE = datetime(2026, 12, 1, 23, 59)


def _config(**sections) -> Config:
    config = Config()
    for section, values in sections.items():
        for name, value in values.items():
            setattr(getattr(config, section), name, value)
    return config


def test_due_dates_are_read_as_nbgrader_reads_them():
    """Without an offset a due date is UTC; with one it is converted to UTC."""
    assert parse_due("2026-12-01T23:59") == DUE
    assert parse_due("2026-12-01 18:59:00-05:00") == DUE
    assert parse_due("2026-12-01 23:59:00 UTC") == DUE


def test_a_due_date_that_is_not_a_date_names_the_accepted_forms():
    with pytest.raises(ValueError, match=r"--due 'next friday' is not a date and time; write it as 2026-12-01T23:59"):
        parse_due("next friday")


def test_timestamp_txt_is_parsed_and_a_bad_one_is_named():
    """nbgrader's timestamp.txt format, with its time zone; a file holding no time says what it should hold."""
    assert parse_timestamp("2026-12-02 00:59:00.000000 CET") == datetime(2026, 12, 1, 23, 59)
    with pytest.raises(ValueError, match="timestamp.txt does not hold a time"):
        parse_timestamp("soon")


def _write(path: Path, data=b"{}", mtime=None):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    if mtime is not None:
        os.utime(path, (mtime, mtime))


def test_timestamp_txt_wins_over_the_file_time_and_a_broken_one_falls_back_with_a_note(tmp_path):
    """A notebook beside timestamp.txt is timed by it; a broken one is reported and the file time counts."""
    _write(tmp_path / "amy" / NOTEBOOK, mtime=1_000_000)
    (tmp_path / "amy" / "timestamp.txt").write_text("2026-12-02 10:00:00 UTC\n")
    _write(tmp_path / "bo" / NOTEBOOK, mtime=1_000_000)
    (tmp_path / "bo" / "timestamp.txt").write_text("yesterday")
    _write(tmp_path / "cy" / NOTEBOOK, mtime=1_000_000)
    subs = {s.student_id: s for s in discover(tmp_path, ASSIGNMENT)}
    assert subs["amy"].time_source == "timestamp.txt"
    assert datetime.utcfromtimestamp(subs["amy"].submitted_at) == datetime(2026, 12, 2, 10, 0)
    assert (subs["bo"].time_source, subs["bo"].submitted_at) == ("file time", 1_000_000)
    assert "bo/timestamp.txt does not hold a time ('yesterday')" in subs["bo"].notes[0]
    assert (subs["cy"].time_source, subs["cy"].submitted_at) == ("file time", 1_000_000)


def test_a_zipped_class_keeps_its_timestamps(tmp_path):
    import zipfile
    with zipfile.ZipFile(tmp_path / "class.zip", "w") as archive:
        archive.writestr(f"amy/{NOTEBOOK}", "{}")
        archive.writestr("amy/timestamp.txt", "2026-12-02 10:00:00 UTC")
    (sub,) = discover(tmp_path / "class.zip", ASSIGNMENT)
    assert sub.time_source == "timestamp.txt"


def test_canvas_late_flag_decides_when_only_the_file_time_is_known():
    """Canvas knows each student's due date: its LATE flag overrules a file time that says on time, and its
    absence overrules a file time that says late; timestamp.txt overrules both."""
    later, earlier = DUE + timedelta(hours=5), DUE - timedelta(hours=5)
    assert effective_time(later, "file time", True, DUE) == (later, "file time; Canvas marked it LATE")
    assert effective_time(earlier, "file time", True, DUE)[0] == DUE + timedelta(seconds=1)
    assert effective_time(later, "file time", False, DUE)[0] == DUE
    assert effective_time(later, "timestamp.txt", False, DUE) == (later, "timestamp.txt")
    assert effective_time(later, "file time", None, DUE) == (later, "file time")


def test_nbgrader_penalty_methods_none_and_zero():
    """The default charges nothing; 'zero' takes the whole score; on time costs nothing either way."""
    assert LatePolicy.none().penalty("amy", 10.0, 3600) == 0.0
    zero = LatePolicy.from_config(_config(LateSubmissionPlugin={"penalty_method": "zero"}))
    assert zero.name == "zero" and zero.penalty("amy", 10.0, 3600) == 10.0 and zero.penalty("amy", 10.0, 0) == 0.0


def test_per_day_policy_counts_started_days_and_never_exceeds_the_score():
    plugin = PerDayPenalty(percent_per_day=10, points_per_day=0)
    assert plugin.late_submission_penalty("amy", 10.0, 1) == 1.0
    assert plugin.late_submission_penalty("amy", 10.0, 86400 + 1) == 2.0
    assert plugin.late_submission_penalty("amy", 10.0, 86400 * 30) == 10.0
    policy = LatePolicy.from_config(_config(
        AssignLatePenalties={"plugin_class": "d2lblocks_grade.records.late.PerDayPenalty"},
        PerDayPenalty={"points_per_day": 1.5}))
    assert policy.penalty("amy", 10.0, 86400 * 2) == 3.0


def test_a_course_plugin_beside_the_config_is_imported_like_nbgrader_does(tmp_path):
    """c.AssignLatePenalties.plugin_class = 'late_hourly.Hourly' with late_hourly.py in the course folder."""
    (tmp_path / "late_hourly.py").write_text(
        "from nbgrader.plugins import BasePlugin\n"
        "class Hourly(BasePlugin):\n"
        "    def late_submission_penalty(self, student_id, score, total_seconds_late):\n"
        "        return -5 if student_id == 'odd' else total_seconds_late / 3600\n")
    policy = LatePolicy.from_config(_config(AssignLatePenalties={"plugin_class": "late_hourly.Hourly"}), tmp_path)
    assert policy.name == "late_hourly.Hourly"
    assert policy.penalty("amy", 10.0, 7200) == 2.0
    assert policy.penalty("amy", 1.0, 7200) == 1.0, "clipped to the score, as nbgrader clips it"
    assert policy.penalty("odd", 10.0, 7200) == 0.0, "a negative penalty is no penalty"
    assert str(tmp_path) not in sys.path, "the course folder is on sys.path only while the plugin loads"


def test_a_plugin_that_cannot_be_loaded_or_fails_is_named_with_the_fix(tmp_path):
    with pytest.raises(ValueError, match=r"plugin_class = 'nowhere.Plugin' could not be loaded .*beside nbgrader_config.py"):
        LatePolicy.from_config(_config(AssignLatePenalties={"plugin_class": "nowhere.Plugin"}), tmp_path)
    with pytest.raises(ValueError, match=r"penalty_method is 'none' or 'zero'"):
        LatePolicy.from_config(_config(LateSubmissionPlugin={"penalty_method": "half"}))
    (tmp_path / "late_broken.py").write_text(
        "from nbgrader.plugins import BasePlugin\n"
        "class Broken(BasePlugin):\n"
        "    def late_submission_penalty(self, student_id, score, total_seconds_late):\n"
        "        return 'a lot'\n")
    policy = LatePolicy.from_config(_config(AssignLatePenalties={"plugin_class": "late_broken.Broken"}), tmp_path)
    with pytest.raises(ValueError, match=r"late_broken.Broken failed for amy .* must return a number or None"):
        policy.penalty("amy", 10.0, 60)


def test_lateness_says_when_how_late_and_what_it_cost():
    zero = LatePolicy.from_config(_config(LateSubmissionPlugin={"penalty_method": "zero"}))
    late = lateness(DUE, DUE + timedelta(days=1, hours=3), "timestamp.txt", zero, "amy", 7.0)
    assert (late.seconds_late, late.penalty) == (27 * 3600, 7.0)
    assert late.text() == ("submitted 2026-12-03 02:59 UTC (timestamp.txt), 1 day 3 h after the due date "
                           "2026-12-01 23:59 UTC: late penalty 7 points")
    on_time = lateness(DUE, DUE - timedelta(minutes=1), "file time", zero, "amy", 7.0)
    assert on_time.penalty == 0 and "on time" in on_time.text()
    assert Lateness().text() == "" and describe(59) == "1 min" and describe(3 * 3600 + 120) == "3 h 2 min"


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "d2lblocks_grade.cli", *map(str, args)],
                          capture_output=True, text=True, timeout=600)


def _class(tmp_path: Path, course: Path) -> Path:
    subs = tmp_path / "subs"
    for student, stamp in [("ontime", "2026-12-01 20:00:00 UTC"), ("late", "2026-12-03 01:00:00 UTC")]:
        _write(subs / student / NOTEBOOK, student_notebook(course, CORRECT))
        (subs / student / "timestamp.txt").write_text(stamp)
    return subs


@pytest.mark.slow
def test_a_late_submission_gets_the_configured_penalty_everywhere(tmp_path):
    """--due and a per-day plugin in nbgrader_config.py: grades.csv, totals, Canvas and Moodle exports, the
    feedback page and nbgrader's own gradebook columns all carry the same penalty; a new due date on a run
    that grades nobody again moves it."""
    course = make_course(tmp_path)
    with open(course / "nbgrader_config.py", "a") as config:
        config.write('c.AssignLatePenalties.plugin_class = "d2lblocks_grade.records.late.PerDayPenalty"\n'
                     "c.PerDayPenalty.points_per_day = 1\n")
    subs, out = _class(tmp_path, course), tmp_path / "out"
    run = _cli("autograde", subs, "--course", course, "--out", out, "--due", "2026-12-01T23:59", "--quiet")
    assert run.returncode == 0, run.stderr
    assert "late penalties: 1 student(s), 2 points in all" in run.stdout

    with open(out / "grades.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    late_rows = [r for r in rows if r["student"] == "late"]
    assert {r["late_penalty"] for r in late_rows} == {"2"} and {r["seconds_late"] for r in late_rows} == {"90060"}
    assert {r["late_penalty"] for r in rows if r["student"] == "ontime"} == {"0"}

    page = (out / "feedback" / "late" / ASSIGNMENT / f"{ASSIGNMENT}.html").read_text()
    assert "1 day 1 h after the due date 2026-12-01 23:59 UTC: late penalty 2 points" in page
    assert "score <b>1 / 4</b>" in page and "score before the penalty: 3 / 4" in page

    with Gradebook(f"sqlite:///{out / 'gradebook.db'}") as gb:
        assert gb.find_assignment(ASSIGNMENT).duedate == datetime(2026, 12, 1, 23, 59)
        sub = gb.find_submission(ASSIGNMENT, "late")
        assert sub.timestamp == datetime(2026, 12, 3, 1, 0) and sub.total_seconds_late == 90060
        assert sub.late_submission_penalty == 2.0
        assert gb.find_submission(ASSIGNMENT, "ontime").late_submission_penalty == 0.0

    totals = _cli("export", "--course", course, "--out", out, "--to", "-")
    assert "late,,1,4,graded,1,2,90060,2026-12-03 01:00:00 UTC" in totals.stdout, totals.stdout
    roster = tmp_path / "roster.csv"
    roster.write_text("student,lms_user_id\nlate,555\nontime,556\n")
    canvas = _cli("export", "--format", "canvas", "--course", course, "--out", out, "--roster", roster, "--to", "-")
    assert "late,555,,,,1" in canvas.stdout and "ontime,556,,,,3" in canvas.stdout

    again = _cli("autograde", subs, "--course", course, "--out", out, "--due", "2026-12-03T12:00", "--quiet")
    assert again.returncode == 0, again.stderr
    page = (out / "feedback" / "late" / ASSIGNMENT / f"{ASSIGNMENT}.html").read_text()
    assert "on time (due 2026-12-03 12:00 UTC)" in page and "late penalty" not in page
    assert "late,,3,4,graded,1,0,0" in _cli("export", "--course", course, "--out", out, "--to", "-").stdout
