"""The grader finds nbgrader and alembic beside its own Python, activated virtualenv or not."""
import os
import sys
from pathlib import Path

from d2lblocks_grade.nbgrader_cli import nbgrader_program, tools_bin, tools_env


def test_the_virtualenv_bin_comes_first_and_the_rest_of_the_environment_is_kept():
    env = tools_env({"PATH": "/usr/bin", "HOME": "/tmp/h"})
    assert env["PATH"] == str(Path(sys.executable).parent) + os.pathsep + "/usr/bin"
    assert env["HOME"] == "/tmp/h"


def test_nbgrader_is_found_beside_this_python_even_on_an_empty_path():
    assert nbgrader_program(tools_env({"PATH": ""})) == os.path.join(tools_bin(), "nbgrader")


def test_a_path_without_nbgrader_reports_it_missing_instead_of_guessing():
    assert nbgrader_program({"PATH": "/nonexistent"}) is None
