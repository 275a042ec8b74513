"""Same grades as stock nbgrader for honest submissions, and a release that leaks nothing."""

import shutil
import subprocess
import sys

import nbformat
import pytest
from grader_fixtures import ASSIGNMENT, NOTEBOOK, make_course, write_class
from nbgrader.api import Gradebook

from d2lblocks_grade.course.master import load_course
from d2lblocks_grade.course.release import find_release_leaks
from d2lblocks_grade.nbgrader_cli import tools_env

HONEST = {"alice": "correct", "bob": "partial", "carl": "blank"}


def _env():
    return tools_env()


def _auto_scores(db_url, students):
    with Gradebook(db_url) as gb:
        return {s: {g.name: g.auto_score for g in gb.find_submission(ASSIGNMENT, s).notebooks[0].grades}
                for s in students}


@pytest.mark.slow
def test_release_then_grades_match_stock_nbgrader_autograde(tmp_path):
    """`release` leaks nothing, and our autograde gives exactly nbgrader's auto scores."""
    course = make_course(tmp_path)
    run = subprocess.run([sys.executable, "-m", "d2lblocks_grade.cli", "release", "--course", str(course)],
                         capture_output=True, text=True, env=_env(), timeout=300)
    assert run.returncode == 0 and "no leaks found" in run.stdout, run.stderr
    assert (course / "release" / ASSIGNMENT / NOTEBOOK).exists()
    assert (course / "release" / ASSIGNMENT / "data.txt").exists()

    subs = write_class(tmp_path, course, HONEST)
    ours = subprocess.run([sys.executable, "-m", "d2lblocks_grade.cli", "autograde", str(subs), "--out", str(tmp_path / "out"),
                           "--course", str(course), "--quiet"], capture_output=True, text=True, timeout=300)
    assert ours.returncode == 0, ours.stderr

    # Stock nbgrader: its own gradebook, its own submitted/ layout, its own autograde loop.
    subprocess.run(["nbgrader", "generate_assignment", ASSIGNMENT, "--force"], cwd=course, env=_env(),
                   check=True, capture_output=True)
    for student in HONEST:
        target = course / "submitted" / student / ASSIGNMENT
        target.mkdir(parents=True)
        shutil.copy(subs / student / NOTEBOOK, target / NOTEBOOK)
    stock = subprocess.run(["nbgrader", "autograde", ASSIGNMENT], cwd=course, env=_env(), capture_output=True,
                           text=True, timeout=300)
    assert stock.returncode == 0, stock.stderr

    expected = _auto_scores(f"sqlite:///{course / 'gradebook.db'}", HONEST)
    assert _auto_scores(f"sqlite:///{tmp_path / 'out' / 'gradebook.db'}", HONEST) == expected
    assert expected["alice"]["ex2_test_double"] == 1.0 and expected["bob"]["ex2_test_double"] == 0.0


def test_release_leak_check_catches_a_solution_left_in(tmp_path):
    """A released notebook that still holds a solution line or a hidden test is reported."""
    course = make_course(tmp_path)
    master = load_course(course, ASSIGNMENT).master
    source = nbformat.read(course / "source" / ASSIGNMENT / NOTEBOOK, as_version=4)
    leaky = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("def double(x):\n    return 2 * x")])
    assert find_release_leaks(source, master, leaky) == ["return 2 * x"]
    clean = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("raise NotImplementedError()")])
    assert find_release_leaks(source, master, clean) == []
