"""The course's nbgrader_config.py is the source of truth; an option on the command line wins over it."""

import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from grader_fixtures import ASSIGNMENT, HIDDEN_LINE, NOTEBOOK, make_course, source_notebook, write_class

from d2lblocks_grade.cli import main
from d2lblocks_grade.course.master import course_settings, hidden_test_lines, load_config, load_course
from d2lblocks_grade.pipeline import Options, cell_timeout
from d2lblocks_grade.records.feedback import HIDDEN_NOTE, find_leaks

CUSTOM = {"BEGIN HIDDEN TESTS": "BEGIN SECRET CHECKS", "END HIDDEN TESTS": "END SECRET CHECKS",
          "BEGIN SOLUTION": "BEGIN ANSWER", "END SOLUTION": "END ANSWER"}
CUSTOM_CONFIG = """c = get_config()
c.CourseDirectory.course_id = "custom-course"
c.ClearHiddenTests.begin_test_delimeter = "BEGIN SECRET CHECKS"
c.ClearHiddenTests.end_test_delimeter = "END SECRET CHECKS"
c.ClearSolutions.begin_solution_delimeter = "BEGIN ANSWER"
c.ClearSolutions.end_solution_delimeter = "END ANSWER"
"""


def custom_course(root: Path, extra: str = "") -> Path:
    """The fixture course, its markers renamed in the notebook and in nbgrader_config.py alike."""
    course = make_course(root)
    nb = source_notebook()
    for cell in nb.cells:
        for old, new in CUSTOM.items():
            cell.source = cell.source.replace(old, new)
    nbformat.write(nb, course / "source" / ASSIGNMENT / NOTEBOOK)
    (course / "nbgrader_config.py").write_text(CUSTOM_CONFIG + extra)
    return course


def test_settings_come_from_the_config_through_nbgrader_traits(tmp_path):
    """Delimiters, course id, cell timeout (either spelling nbgrader reads) and db_url are read as nbgrader reads them."""
    course = custom_course(tmp_path, 'c.ExecutePreprocessor.timeout = 7\nc.CourseDirectory.db_url = "sqlite:///grades.db"\n')
    settings = course_settings(load_config(course), course)
    assert settings.course_id == "custom-course" and settings.cell_timeout_s == 7.0
    assert settings.db_url == "sqlite:///grades.db"
    assert (settings.markers.hidden_begin, settings.markers.solution_end) == ("BEGIN SECRET CHECKS", "END ANSWER")
    (course / "nbgrader_config.py").write_text("c = get_config()\nc.Execute.timeout = 9\n")
    assert course_settings(load_config(course), course).cell_timeout_s == 9.0


def test_a_config_that_sets_nothing_leaves_the_grader_defaults(tmp_path):
    """No timeout and no db_url in the file: 60 s and OUT/gradebook.db, nbgrader's default markers."""
    course = make_course(tmp_path)
    opts = Options(None, tmp_path / "out", course, ASSIGNMENT)
    assert opts.settings.cell_timeout_s is None and cell_timeout(None, opts.settings) == 60.0
    assert opts.database == f"sqlite:///{tmp_path / 'out' / 'gradebook.db'}"
    assert opts.settings.markers.hidden_begin == "BEGIN HIDDEN TESTS"


def test_command_line_beats_course_config_beats_out_folder(tmp_path):
    """--db wins; else the course's db_url (a relative SQLite path is the course folder's); else OUT/gradebook.db."""
    course = custom_course(tmp_path, 'c.CourseDirectory.db_url = "sqlite:///grades.db"\nc.ExecutePreprocessor.timeout = 7\n')
    opts = Options(None, tmp_path / "out", course, ASSIGNMENT)
    assert opts.database == f"sqlite:///{course.resolve() / 'grades.db'}"
    assert Options(None, tmp_path / "out", course, ASSIGNMENT, db_url="sqlite:////elsewhere.db").database == \
        "sqlite:////elsewhere.db"
    assert cell_timeout(None, opts.settings) == 7.0 and cell_timeout(2.5, opts.settings) == 2.5


@pytest.mark.parametrize("line, named", [
    ("c.ExecutePreprocessor.timeout = -1\n", "ExecutePreprocessor.timeout"),
    ('c.ExecutePreprocessor.timeout = "soon"\n', "ExecutePreprocessor.timeout"),
    ('c.ClearHiddenTests.begin_test_delimeter = ""\n', "ClearHiddenTests.begin_test_delimeter"),
    ("c.CourseDirectory.db_url = 42\n", "CourseDirectory.db_url"),
])
def test_an_unusable_setting_is_named_with_the_fix(tmp_path, line, named):
    """A setting the grader cannot use is an error that names the file, the setting and what to write instead."""
    course = make_course(tmp_path)
    (course / "nbgrader_config.py").write_text("c = get_config()\n" + line)
    with pytest.raises(ValueError) as error:
        course_settings(load_config(course), course)
    assert named in str(error.value) and "nbgrader_config.py" in str(error.value)


def test_a_config_file_that_does_not_run_names_the_file_and_the_error(tmp_path, capsys):
    """A syntax error in nbgrader_config.py stops the command with the file's path and the error, not a traceback."""
    course = make_course(tmp_path)
    (course / "nbgrader_config.py").write_text("c = get_config()\nc.ExecutePreprocessor.timeout = (\n")
    with pytest.raises(ValueError, match=r"nbgrader_config.py could not be read: SyntaxError"):
        load_config(course)
    (tmp_path / "subs").mkdir()
    assert main(["autograde", str(tmp_path / "subs"), "--course", str(course), "--out", str(tmp_path / "out")]) == 2
    assert "could not be read: SyntaxError" in capsys.readouterr().err


def test_custom_hidden_markers_reach_the_hidden_lines_and_the_feedback_note(tmp_path):
    """With the course's own markers, the hidden lines are found and a test shows students only its visible part."""
    course = load_course(custom_course(tmp_path), ASSIGNMENT)
    assert course.markers.hidden_begin == "BEGIN SECRET CHECKS"
    assert HIDDEN_LINE in hidden_test_lines(course.master, course.markers)
    test = next(c for c in course.master.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "ex2_test_double")
    from d2lblocks_grade.records.feedback import public_test_source
    shown = public_test_source(test.source, course.markers)
    assert HIDDEN_LINE not in shown and HIDDEN_NOTE in shown and "double(2) == 4" in shown


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "d2lblocks_grade.cli", *map(str, args)],
                          capture_output=True, text=True, timeout=600)


@pytest.mark.slow
def test_custom_delimiters_end_to_end_release_grading_and_feedback_leak_nothing(tmp_path):
    """release hides the custom regions and finds no leak; grading uses the config's timeout and gradebook;
    no feedback page holds a hidden line; export finds the gradebook without --db."""
    course = custom_course(tmp_path, 'c.ExecutePreprocessor.timeout = 1\nc.CourseDirectory.db_url = "sqlite:///course.db"\n')
    released = _cli("release", "--course", course)
    assert released.returncode == 0 and "no leaks found" in released.stdout, released.stderr
    release_text = (course / "release" / ASSIGNMENT / NOTEBOOK).read_text()
    assert "SECRET CHECKS" not in release_text and "negative numbers" not in release_text
    assert "return 2 * x" not in release_text

    subs = write_class(tmp_path, course, {"alice": "correct", "bob": "partial", "sam": "slow"})
    out = tmp_path / "out"
    run = _cli("autograde", subs, "--course", course, "--out", out, "--workers", 2, "--timeout", 30, "--quiet")
    assert run.returncode == 0, run.stderr
    assert (course / "course.db").exists() and not (out / "gradebook.db").exists()
    grades = (out / "grades.csv").read_text()
    assert "alice,ex2_test_double,1,1,graded" in grades and "bob,ex2_test_double,0,1,graded" in grades
    assert "sam,ex2_test_double,0,1,timeout" in grades, "the config's 1 s cell timeout stopped sam's 1.5 s answer"

    hidden = hidden_test_lines(load_course(course, ASSIGNMENT).master, load_course(course, ASSIGNMENT).markers)
    pages = list((out / "feedback").rglob("*.html"))
    assert len(pages) == 3 and hidden
    for page in pages:
        text = page.read_text()
        assert find_leaks(text, hidden) == [] and "SECRET CHECKS" not in text
    assert "negative numbers" in (out / "feedback" / "bob" / ASSIGNMENT / f"{ASSIGNMENT}.html").read_text()

    export = _cli("export", "--course", course, "--out", out, "--to", "-")
    assert export.returncode == 0 and "alice,,3,4,graded,1" in export.stdout, export.stderr
