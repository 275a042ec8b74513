"""`d2lblocks-grade` end to end: a small class with every kind of broken submission, real kernels."""

import csv
import os
import subprocess
import sys
from pathlib import Path

import pytest
from grader_fixtures import ASSIGNMENT, make_course, write_class
from nbgrader.apps.api import NbGraderAPI
from nbgrader.coursedir import CourseDirectory

from d2lblocks_grade.cli import main
from d2lblocks_grade.course.master import hidden_test_lines, load_course
from d2lblocks_grade.records.feedback import find_leaks

CLASS = {
    "alice": "correct", "bob": "partial", "carl": "blank", "dina": "flat", "emil": "renamed",
    "fay": "empty", "gil": "not-json", "hana": "nbformat3", "ivo": "other-assignment",
    "jan": "duplicate-test", "kim": "ignores-sigint", "lea": "kills-kernel", "max": "missing",
}


def grade(*args, env=None):
    cmd = [sys.executable, "-m", "d2lblocks_grade.cli", *map(str, args)]
    return subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300)


def read_grades(out: Path) -> dict[str, list[dict]]:
    by_student: dict[str, list[dict]] = {}
    with open(out / "grades.csv", newline="") as handle:
        for row in csv.DictReader(handle):
            by_student.setdefault(row["student"], []).append(row)
    return by_student


@pytest.mark.parametrize("command", ["release", "autograde", "feedback", "export", None])
def test_every_subcommand_has_help(command, capsys):
    """`d2lblocks-grade [COMMAND] --help` explains itself and exits 0."""
    with pytest.raises(SystemExit) as info:
        main(([command] if command else []) + ["--help"])
    assert info.value.code == 0 and "usage: d2lblocks-grade" in capsys.readouterr().out


def test_nonsense_options_are_refused_with_the_reason(tmp_path, capsys):
    """--workers 0 and a course that is not there are named in the error."""
    with pytest.raises(SystemExit):
        main(["autograde", str(tmp_path), "--workers", "0"])
    assert "positive number" in capsys.readouterr().err
    assert main(["autograde", str(tmp_path), "--course", str(tmp_path / "nope")]) == 2
    assert "--course DIR" in capsys.readouterr().err
    course = make_course(tmp_path)
    (tmp_path / "subs" / "alice").mkdir(parents=True)
    assert main(["autograde", str(tmp_path / "subs"), "--course", str(course), "--out", str(tmp_path / "out"),
                 "--student", "zed"]) == 2
    assert "no submission for zed" in capsys.readouterr().err


@pytest.mark.slow
def test_a_class_with_every_kind_of_broken_submission(tmp_path):
    """Good notebooks are graded, every broken one gets its status and reason, nobody stops the run."""
    course = make_course(tmp_path)
    subs = write_class(tmp_path, course, CLASS)
    out = tmp_path / "out"
    run = grade("autograde", subs, "--out", out, "--course", course, "--workers", 2,
                "--cell-timeout", 3, "--timeout", 20)
    assert run.returncode == 0, run.stderr
    assert "graded renamed notebook" in run.stderr and f"{len(CLASS)}/{len(CLASS)}" in run.stderr
    assert "mean score" in run.stdout and "ex1:" in run.stdout

    grades = read_grades(out)
    assert sorted(grades) == sorted(CLASS)
    assert all(len(rows) == 3 for rows in grades.values())
    status = {s: {r["grade_id"]: r["status"] for r in rows} for s, rows in grades.items()}
    score = {s: {r["grade_id"]: r["score"] for r in rows} for s, rows in grades.items()}
    for student in ("alice", "dina", "emil"):
        assert score[student] == {"ex1_test_net": "2", "ex1_explain": "", "ex2_test_double": "1"}
        assert status[student]["ex1_explain"] == "needs-grading"
    assert score["bob"]["ex2_test_double"] == "0"
    assert "negative numbers" in next(r["reason"] for r in grades["bob"] if r["grade_id"] == "ex2_test_double")
    assert score["carl"]["ex1_explain"] == "0" and status["carl"]["ex2_test_double"] == "graded"
    for student, expected in [("fay", "invalid-notebook"), ("gil", "invalid-notebook"), ("hana", "invalid-notebook"),
                              ("ivo", "wrong-assignment"), ("max", "missing")]:
        assert set(status[student].values()) == {expected}, student
    assert status["jan"]["ex2_test_double"] == "tampered" and score["jan"]["ex1_test_net"] == "2"
    assert status["kim"]["ex2_test_double"] == "timeout" and score["kim"]["ex1_test_net"] == "2"
    assert status["lea"]["ex2_test_double"] == "crashed" and score["lea"]["ex1_test_net"] == "2"
    assert all(r["reason"] for rows in grades.values() for r in rows if r["status"] not in ("graded",))

    hidden = hidden_test_lines(load_course(course, ASSIGNMENT).master)
    pages = list((out / "feedback").rglob("*.html"))
    assert len(pages) == len(CLASS)
    assert all(find_leaks(p.read_text(), hidden) == [] for p in pages)
    assert "negative numbers" in (out / "feedback" / "bob" / ASSIGNMENT / f"{ASSIGNMENT}.html").read_text()
    assert (out / "autograded" / "alice" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").exists()
    assert (out / "grade-distribution.png").read_bytes()[:4] == b"\x89PNG"

    # What formgrader reads: the course's source with our gradebook and autograded notebooks.
    api = NbGraderAPI(coursedir=CourseDirectory(root=str(course), db_url=f"sqlite:///{out / 'gradebook.db'}",
                                                autograded_directory=str(out / "autograded")))
    listed = {s["student"]: s for s in api.get_submissions(ASSIGNMENT)}
    assert sorted(listed) == sorted(CLASS) and listed["alice"]["autograded"] and listed["alice"]["score"] == 3.0

    export = grade("export", "--out", out, "--course", course, "--to", "-")
    assert export.returncode == 0 and export.stdout.splitlines()[1].startswith("alice,,3,4,graded,1")
    again = grade("feedback", "--out", out, "--course", course)
    assert again.returncode == 0 and f"{len(CLASS)} students" in again.stdout


def test_grading_refuses_to_start_without_the_sandbox_and_says_what_is_missing(tmp_path):
    """No bubblewrap on PATH: exit status 2 and the package to install, before anything is graded."""
    course = make_course(tmp_path)
    subs = write_class(tmp_path, course, {"alice": "correct"})
    env = {**os.environ, "PATH": str(tmp_path / "empty-bin")}
    run = grade("autograde", subs, "--course", course, "--out", tmp_path / "out", env=env)
    assert run.returncode == 2
    assert "apt-get install bubblewrap" in run.stderr and "--unsafe-no-sandbox" in run.stderr
    assert not (tmp_path / "out" / "grades.csv").exists()


@pytest.mark.slow
def test_unsafe_mode_grades_and_says_loudly_what_it_gives_up(tmp_path):
    course = make_course(tmp_path)
    subs = write_class(tmp_path, course, {"alice": "correct"})
    run = grade("autograde", subs, "--course", course, "--out", tmp_path / "out", "--unsafe-no-sandbox", "--quiet")
    assert run.returncode == 0, run.stderr
    assert "WITHOUT the OS sandbox" in run.stderr
    assert "alice,ex2_test_double,1,1,graded" in (tmp_path / "out" / "grades.csv").read_text()
