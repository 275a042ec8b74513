"""nbgrader's own commands, typed as nbgrader's documentation types them, work on this course for both assignments."""
from __future__ import annotations

import json
import shutil
import subprocess
import urllib.request
from pathlib import Path

import pytest
from nbgrader.api import Gradebook
from project_paths import ASSIGNMENT, COURSE

from d2lblocks_grade.course.locate import assignment_id
from d2lblocks_grade.nbgrader_cli import nbgrader_program, tools_env

JA = "layers-and-blocks-ja"


def _nbgrader(course: Path, *args: str) -> subprocess.CompletedProcess:
    env = tools_env()
    return subprocess.run([nbgrader_program(env) or "nbgrader", *args], cwd=course, env=env, capture_output=True,
                          text=True, timeout=600)


@pytest.fixture(scope="module")
def course_copy(tmp_path_factory) -> Path:
    copy = tmp_path_factory.mktemp("nbgrader-course")
    shutil.copy2(COURSE / "nbgrader_config.py", copy / "nbgrader_config.py")
    shutil.copytree(COURSE / "source", copy / "source", ignore=shutil.ignore_patterns("__pycache__"))
    return copy


def test_the_course_config_sets_no_nbgrader_default_yet_our_commands_default_to_english():
    config = (COURSE / "nbgrader_config.py").read_text()
    assert "c.CourseDirectory.assignment_id" not in config.replace("sets no c.CourseDirectory.assignment_id", "")
    assert assignment_id(COURSE, None) == ASSIGNMENT


@pytest.mark.slow
@pytest.mark.parametrize("assignment", [ASSIGNMENT, JA])
def test_generate_assignment_and_autograde_take_the_assignment_as_a_positional_argument(course_copy, assignment):
    released = _nbgrader(course_copy, "generate_assignment", assignment, "--force")
    assert released.returncode == 0, released.stderr[-2000:]
    assert (course_copy / "release" / assignment / f"{assignment}.ipynb").is_file()
    # The instructor's own solution, submitted by a student: nbgrader grades it with every point.
    submitted = course_copy / "submitted" / "sol" / assignment
    submitted.mkdir(parents=True)
    shutil.copy2(course_copy / "source" / assignment / f"{assignment}.ipynb", submitted / f"{assignment}.ipynb")
    graded = _nbgrader(course_copy, "autograde", assignment, "--force")
    assert graded.returncode == 0, graded.stderr[-2000:]
    assert "cannot both be specified" not in graded.stderr
    with Gradebook(f"sqlite:///{course_copy / 'gradebook.db'}") as gb:
        submission = gb.find_submission(assignment, "sol")
        assert submission.code_score == submission.max_code_score > 0


@pytest.mark.slow
def test_validate_passes_the_instructors_solution_of_either_assignment(course_copy):
    for assignment in (ASSIGNMENT, JA):
        done = _nbgrader(course_copy, "validate", f"source/{assignment}/{assignment}.ipynb")
        assert done.returncode == 0 and "Success!" in done.stdout, done.stdout[-2000:] + done.stderr[-2000:]


@pytest.mark.slow
def test_formgrader_serves_both_assignments_from_the_course_config(course_copy):
    """nbgrader 0.9's formgrader is a Jupyter server extension: started in the course folder, it reads the
    course's nbgrader_config.py and lists both assignments."""
    from e2e.jupyter_server import jupyter_server

    with jupyter_server(course_copy, app="lab") as server:
        request = urllib.request.Request(f"{server.url}formgrader/api/assignments",
                                         headers={"Authorization": f"token {server.token}"})
        with urllib.request.urlopen(request, timeout=60) as response:
            names = {a["name"] for a in json.load(response)}
    assert {ASSIGNMENT, JA} <= names, server.log_tail()
