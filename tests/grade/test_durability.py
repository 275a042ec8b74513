"""Never losing or duplicating a grade: SIGKILL and re-run, re-grading, hand grades, newest submission."""

import os
import signal
import sqlite3
import subprocess
import sys
import time

import pytest
from grader_fixtures import ASSIGNMENT, NOTEBOOK, make_course, student_notebook, write_class
from nbgrader.api import Gradebook

from d2lblocks_grade.records.gradebook import with_busy_timeout

pytestmark = pytest.mark.slow


def _cmd(subs, out, course, *extra):
    return [sys.executable, "-m", "d2lblocks_grade.cli", "autograde", str(subs), "--out", str(out),
            "--course", str(course), "--quiet", *extra]


def _committed(db) -> dict[str, str]:
    try:
        with sqlite3.connect(db, timeout=30) as conn:
            return dict(conn.execute("select student_id, graded_at from d2lblocks_result"))
    except sqlite3.OperationalError:  # the table does not exist yet
        return {}


def _submission_counts(db_url):
    with Gradebook(with_busy_timeout(db_url)) as gb:
        subs = gb.find_assignment(ASSIGNMENT).submissions
        return {s.student.id: (len(s.notebooks), len(s.notebooks[0].grades)) for s in subs}


def test_sigkill_halfway_then_rerun_grades_everyone_exactly_once(tmp_path):
    """Kill -9 the grader mid-class; the re-run grades only the rest, and each student is recorded once."""
    course = make_course(tmp_path)
    students = {f"s{i}": "slow" for i in range(6)}
    subs = write_class(tmp_path, course, students)
    out, db = tmp_path / "out", tmp_path / "out" / "gradebook.db"
    proc = subprocess.Popen(_cmd(subs, out, course, "--workers", "1"), start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 180
    while len(_committed(db)) < 2 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    before = _committed(db)
    assert 2 <= len(before) < len(students), "the grader must be killed halfway for this test to mean anything"

    rerun = subprocess.run(_cmd(subs, out, course, "--workers", "2"), capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr
    after = _committed(db)
    assert sorted(after) == sorted(students)
    assert {s: after[s] for s in before} == before, "students committed before the kill were graded again"
    assert _submission_counts(f"sqlite:///{db}") == {s: (1, 3) for s in students}
    rows = (out / "grades.csv").read_text().splitlines()[1:]
    keys = [tuple(r.split(",")[:2]) for r in rows]
    assert len(keys) == len(set(keys)) == 3 * len(students)
    assert all(f"{s},ex2_test_double,1,1,graded," in rows for s in students)


def _manual_grade(db_url, student, score):
    """What an instructor does in formgrader for the written answer."""
    with Gradebook(with_busy_timeout(db_url)) as gb:
        grade = gb.find_grade("ex1_explain", NOTEBOOK[:-6], ASSIGNMENT, student)
        grade.manual_score = score
        gb.db.commit()


def _grades(db_url, student):
    with Gradebook(with_busy_timeout(db_url)) as gb:
        sub = gb.find_submission(ASSIGNMENT, student)
        return {g.name: (g.auto_score, g.manual_score, g.score) for g in sub.notebooks[0].grades}, len(
            gb.find_assignment(ASSIGNMENT).submissions)


def test_regrade_is_idempotent_keeps_hand_grades_and_newest_submission_wins(tmp_path):
    """Re-running changes nothing; --regrade keeps the hand grade; a new notebook replaces the old grade."""
    course = make_course(tmp_path)
    subs = write_class(tmp_path, course, {"alice": "correct", "bob": "correct"})
    out = tmp_path / "out"
    db_url = f"sqlite:///{out / 'gradebook.db'}"
    assert subprocess.run(_cmd(subs, out, course), timeout=300).returncode == 0
    _manual_grade(db_url, "alice", 1.0)
    first = _committed(out / "gradebook.db")

    assert subprocess.run(_cmd(subs, out, course), timeout=300).returncode == 0
    assert _committed(out / "gradebook.db") == first, "an unchanged class must not be graded again"
    assert subprocess.run(_cmd(subs, out, course, "--student", "bob"), timeout=300).returncode == 0
    again = _committed(out / "gradebook.db")
    assert again["alice"] == first["alice"] and again["bob"] != first["bob"]
    assert _grades(db_url, "bob")[0]["ex2_test_double"][0] == 1.0

    (subs / "alice" / NOTEBOOK).write_bytes(student_notebook(course, {
        "ex1_net": "def make_net():\n    return nn.Sequential(nn.Linear(2, 3))",
        "ex1_explain": "A new explanation.", "ex2_double": "def double(x):\n    return x + 2"}))
    assert subprocess.run(_cmd(subs, out, course, "--regrade"), timeout=300).returncode == 0
    grades, submissions = _grades(db_url, "alice")
    assert submissions == 2
    assert grades["ex2_test_double"][2] == 0.0, "the newest submission's grade must win"
    assert grades["ex1_explain"][1:] == (1.0, 1.0), "the hand-entered grade must be kept"
    assert _committed(out / "gradebook.db")["bob"] != first["bob"]  # --regrade really graded again
    csv_rows = (out / "grades.csv").read_text().splitlines()
    assert "alice,ex1_explain,1,1,graded,graded by hand" in csv_rows
    assert sum(r.startswith("alice,") for r in csv_rows) == 3


def _fix_hidden_test(course, broken: str, fixed: str) -> None:
    path = course / "source" / ASSIGNMENT / NOTEBOOK
    text = path.read_text()
    assert broken in text
    path.write_text(text.replace(broken, fixed))


def test_a_fixed_test_regrades_the_class_keeps_hand_grades_and_records_each_student_once(tmp_path, capfd):
    """The instructor grades with a wrong hidden test, fixes it in source/, and runs autograde again: the grades the
    broken test decided change, the others stay, the written answer's hand grade survives, the summary says why."""
    course = make_course(tmp_path)
    right, wrong = "assert double(-3) == -6", "assert double(-3) == -5"
    _fix_hidden_test(course, right, wrong)  # the instructor's mistake
    subs = write_class(tmp_path, course, {"alice": "correct", "bob": "partial"})
    out = tmp_path / "out"
    db_url = f"sqlite:///{out / 'gradebook.db'}"
    assert subprocess.run(_cmd(subs, out, course), timeout=300).returncode == 0
    assert _grades(db_url, "alice")[0]["ex2_test_double"][0] == 0.0, "the broken test fails a right answer"
    _manual_grade(db_url, "alice", 1.0)
    before = {s: _grades(db_url, s)[0] for s in ("alice", "bob")}
    first = _committed(out / "gradebook.db")

    _fix_hidden_test(course, wrong, right)
    capfd.readouterr()
    fixed = subprocess.run(_cmd(subs, out, course), timeout=300, capture_output=True, text=True)
    assert fixed.returncode == 0, fixed.stderr
    assert "2 re-graded because the tests changed" in fixed.stdout
    after = {s: _grades(db_url, s)[0] for s in ("alice", "bob")}
    changed = {(s, gid) for s in after for gid in after[s] if after[s][gid] != before[s][gid]}
    assert changed == {("alice", "ex2_test_double")}, "exactly the score the broken test decided changes"
    assert after["alice"]["ex2_test_double"][0] == 1.0
    assert after["alice"]["ex1_explain"][1:] == (1.0, 1.0), "the hand-entered grade must be kept"
    assert _submission_counts(db_url) == {"alice": (1, 3), "bob": (1, 3)}, "each student recorded once"
    second = _committed(out / "gradebook.db")
    assert all(second[s] != first[s] for s in first), "both were graded again"

    unchanged = subprocess.run(_cmd(subs, out, course), timeout=300, capture_output=True, text=True)
    assert unchanged.returncode == 0 and "re-graded" not in unchanged.stdout
    assert _committed(out / "gradebook.db") == second, "nothing changed, nothing graded again"


def test_a_gradebook_from_an_older_grader_gains_the_column_and_is_graded_once_more(tmp_path):
    """Grades recorded before the grading-inputs key existed stay readable; they are current for no key."""
    course = make_course(tmp_path)
    subs = write_class(tmp_path, course, {"alice": "correct"})
    out = tmp_path / "out"
    assert subprocess.run(_cmd(subs, out, course), timeout=300).returncode == 0
    with sqlite3.connect(out / "gradebook.db") as conn:
        conn.execute("alter table d2lblocks_result drop column graded_with")
    first = _committed(out / "gradebook.db")
    again = subprocess.run(_cmd(subs, out, course), timeout=300, capture_output=True, text=True)
    assert again.returncode == 0, again.stderr
    assert "1 re-graded because the tests changed" in again.stdout
    assert _committed(out / "gradebook.db") != first
    assert _submission_counts(f"sqlite:///{out / 'gradebook.db'}") == {"alice": (1, 3)}
