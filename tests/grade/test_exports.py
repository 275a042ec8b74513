"""Grades into the LMSs: Canvas and Moodle names kept from intake on, their import files, and a Gradescope
autograder that runs on its own."""

import csv
import io
import json
import os
import shutil
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest
from grader_fixtures import ASSIGNMENT, CORRECT, HIDDEN_LINE, NOTEBOOK, make_course, source_notebook, student_notebook
from project_paths import COURSE

from d2lblocks_grade.course.intake import discover
from d2lblocks_grade.course.lms_names import LmsName, canvas_name, moodle_name
from d2lblocks_grade.course.master import load_course
from d2lblocks_grade.lms.gradebooks import CANVAS_COLUMNS, MOODLE_COLUMNS, canvas_csv, moodle_csv, moodle_time
from d2lblocks_grade.lms.gradescope import VISIBILITIES, hidden_only_tests, results_json, write_bundle
from d2lblocks_grade.lms.roster import canvas_assignment_column, canvas_slug, match, read_lms_roster

PARTIAL = {"ex1_net": CORRECT["ex1_net"], "ex2_double": "def double(x):\n    return x + 2"}


def _row(student, gid, score, max_score=1.0, kind="test", reason=""):
    return {"student": student, "grade_id": gid, "score": score, "max_score": max_score, "status": "graded",
            "reason": reason, "kind": kind}


# --- who a download belongs to -------------------------------------------------------------------------------

def test_canvas_and_moodle_download_names_name_the_lms_user():
    assert canvas_name("doejane_12345_67890_layers-and-blocks.ipynb") == LmsName("canvas", "12345", "doejane", False)
    assert canvas_name("doejane_LATE_12345_67890_hw2-1.ipynb") == LmsName("canvas", "12345", "doejane", True)
    assert canvas_name("alice_12345_layers-and-blocks.ipynb") is None, "one number is not Canvas's shape"
    assert moodle_name("Ann Lee_731_assignsubmission_file_") == LmsName("moodle", "731", "Ann Lee")
    assert moodle_name("alice") is None


def test_a_canvas_download_becomes_its_student_not_its_file_name(tmp_path):
    """doejane_12345_67890_hw2.ipynb is student doejane with Canvas user id 12345; namesakes stay apart;
    a Moodle folder is its participant; the LATE flag is kept."""
    for name in ("doejane_LATE_12345_67890_layers-and-blocks.ipynb", "smithjohn_111_1_layers-and-blocks.ipynb",
                 "smithjohn_222_2_layers-and-blocks.ipynb", f"Ann Lee_731_assignsubmission_file_/{NOTEBOOK}"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("{}")
    subs = {s.student_id: s for s in discover(tmp_path, ASSIGNMENT)}
    assert sorted(subs) == ["Ann_Lee", "doejane", "smithjohn_111", "smithjohn_222"]
    assert subs["doejane"].lms == LmsName("canvas", "12345", "doejane", True)
    assert subs["Ann_Lee"].lms.user_id == "731"


def test_two_canvas_uploads_of_one_student_keep_the_one_named_like_the_assignment(tmp_path):
    (tmp_path / "doejane_12345_1_layers-and-blocks.ipynb").write_text('{"a": 1}')
    (tmp_path / "doejane_12345_2_scratch.ipynb").write_text('{"b": 2}')
    (sub,) = discover(tmp_path, ASSIGNMENT)
    assert sub.student_id == "doejane" and sub.notebook_bytes == b'{"a": 1}'


# --- rosters -------------------------------------------------------------------------------------------------

def test_rosters_in_the_three_shapes(tmp_path):
    """Ours, Canvas's gradebook export (its Points Possible row skipped) and Moodle's worksheet."""
    ours = tmp_path / "ours.csv"
    ours.write_text("student,lms_user_id,section\nzed,999,A\n")
    canvas = tmp_path / "canvas.csv"
    canvas.write_text("Student,ID,SIS User ID,SIS Login ID,Section,Layers and Blocks (98765)\n"
                      "    Points Possible,,,,,18\n\"Doe, Jane\",12345,S1,jdoe,Section 01,\n")
    moodle = tmp_path / "moodle.csv"
    moodle.write_text(",".join(MOODLE_COLUMNS) + "\nParticipant 731,Ann Lee,ann@uni.edu,Submitted,,18,Yes,-,-,\n")
    assert read_lms_roster(ours)[0].section == "A"
    (jane,) = read_lms_roster(canvas)
    assert (jane.lms_user_id, jane.sis_login_id, canvas_slug(jane.name)) == ("12345", "jdoe", "doejane")
    assert canvas_assignment_column(canvas, "layers-and-blocks") == "Layers and Blocks (98765)"
    (ann,) = read_lms_roster(moodle)
    assert (ann.lms_user_id, ann.email) == ("731", "ann@uni.edu")
    assert match([jane], "doejane", {}) == jane, "matched by Canvas's own spelling of the name"
    assert match([ann], "Ann_Lee", {}) == ann


def test_a_roster_of_another_shape_or_unreadable_names_what_it_needs(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("name,number\na,1\n")
    with pytest.raises(ValueError, match="student,lms_user_id; Canvas's gradebook export"):
        read_lms_roster(bad)
    binary = tmp_path / "roster.xlsx"
    binary.write_bytes(b"PK\x03\x04\xff\xfe\x00")
    with pytest.raises(ValueError, match="cannot be read .*saved as UTF-8"):
        read_lms_roster(binary)
    with pytest.raises(ValueError, match="cannot be read"):
        read_lms_roster(tmp_path / "missing.csv")


# --- the import files ----------------------------------------------------------------------------------------

ROWS = [_row("doejane", "ex1_t", 2.0, 2.0), _row("doejane", "ex1_explain", None, 1.0, "manual"),
        _row("Ann_Lee", "ex1_t", 1.0, 2.0), _row("Ann_Lee", "ex1_explain", 1.0, 1.0, "manual"),
        _row("zed", "ex1_t", 2.0, 2.0), _row("zed", "ex1_explain", 0.0, 1.0, "manual")]
STUDENTS = {"doejane": {"status": "graded", "lms": "canvas", "lms_user_id": "12345", "lms_name": "doejane",
                        "late_penalty": 1.0, "seconds_late": 4000.0},
            "Ann_Lee": {"status": "graded", "lms": "moodle", "lms_user_id": "731", "lms_name": "Ann Lee"},
            "zed": {"status": "graded"}}


def test_canvas_import_csv_has_canvas_columns_points_possible_and_user_ids():
    text, left_out = canvas_csv(ROWS, STUDENTS, "Layers and Blocks (98765)")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == [*CANVAS_COLUMNS, "Layers and Blocks (98765)"]
    assert rows[1] == ["Points Possible", "", "", "", "", "3"]
    assert rows[2] == ["doejane", "12345", "", "", "", "1"], "2 points, less the late penalty of 1"
    assert left_out == ["Ann_Lee", "zed"], "a Moodle participant id is no Canvas user id"
    with pytest.raises(ValueError, match="not a Canvas assignment column title"):
        canvas_csv(ROWS, STUDENTS, " ")


def test_moodle_worksheet_has_moodle_columns_and_participant_identifiers():
    from datetime import datetime
    text, left_out = moodle_csv(ROWS, STUDENTS, now=datetime(2026, 12, 8, 9, 5))
    rows = list(csv.DictReader(io.StringIO(text)))
    assert list(rows[0]) == list(MOODLE_COLUMNS) and left_out == ["doejane", "zed"]
    ann = rows[0]
    assert (ann["Identifier"], ann["Full name"], ann["Grade"], ann["Maximum Grade"]) == ("Participant 731", "Ann Lee", "2", "3")
    assert ann["Last modified (grade)"] == "Tuesday, 8 December 2026, 09:05 AM" and moodle_time(None) == "-"
    assert ann["Feedback comments"] == "Autograded: 2 / 3."


# --- Gradescope ----------------------------------------------------------------------------------------------

def test_hidden_only_tests_are_the_starred_ones_of_the_real_course():
    """A test made only of hidden code is hidden until the due date; one with a visible part is visible."""
    course = load_course(COURSE, ASSIGNMENT)
    hidden = hidden_only_tests(course.master, course.markers)
    assert hidden == {"ex1_state_dict", "ex1_to_eval", "ex1_gradients", "ex2_gradients", "ex4_device", "ex4_training"}
    assert not {"ex1_forward", "ex2_registration", "ex4_forward"} & hidden, "a visible part makes a test visible"


def test_results_json_follows_gradescopes_fields():
    master = load_course(COURSE, ASSIGNMENT).master
    rows = [_row("s", "ex1_forward", 1.0), _row("s", "ex1_state_dict", 0.0, reason=f"AssertionError: {HIDDEN_LINE}"),
            _row("s", "ex1_explain", None, 2.0, "manual")]
    from d2lblocks_grade.notebook_cells import Markers
    result = results_json(rows, {"status": "graded", "late_penalty": 0.5}, master, Markers(), [HIDDEN_LINE])
    _check_results(result)
    by_name = {t["name"]: t for t in result["tests"]}
    assert by_name["ex1_state_dict"]["visibility"] == "after_due_date" and by_name["ex1_forward"]["visibility"] == "visible"
    assert HIDDEN_LINE not in json.dumps(result), "a message never quotes a hidden test"
    assert result["score"] == 0.5 and "ex1_explain (2 points)" in result["output"]


def _check_results(result: dict) -> None:
    """The fields of Gradescope's results.json specification, and only those."""
    assert set(result) <= {"score", "execution_time", "output", "output_format", "test_output_format",
                           "test_name_format", "visibility", "stdout_visibility", "extra_data", "tests", "leaderboard"}
    assert isinstance(result["score"], (int, float)) and result["visibility"] in VISIBILITIES
    assert result["stdout_visibility"] in VISIBILITIES
    for test in result["tests"]:
        assert set(test) <= {"score", "max_score", "status", "name", "name_format", "number", "output",
                             "output_format", "tags", "visibility", "extra_data"}
        assert {"score", "max_score", "name", "output", "visibility"} <= set(test)
        assert 0 <= test["score"] <= test["max_score"] and test["visibility"] in VISIBILITIES
        assert test["status"] in ("passed", "failed")


def _hidden_only_course(root: Path) -> Path:
    """The fixture course with ex2's test entirely hidden, so the bundle has one test of each kind."""
    course = make_course(root)
    nb = source_notebook()
    test = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "ex2_test_double")
    test.source = ("### BEGIN HIDDEN TESTS\nassert double(2) == 4, \"double(2) should be 4\"\n"
                   + HIDDEN_LINE + "\n### END HIDDEN TESTS")
    nbformat.write(nb, course / "source" / ASSIGNMENT / NOTEBOOK)
    (course / "late_daily.py").write_text(
        "from nbgrader.plugins import BasePlugin\n"
        "class Daily(BasePlugin):\n"
        "    def late_submission_penalty(self, student_id, score, total_seconds_late):\n"
        "        return 0.5\n")
    with open(course / "nbgrader_config.py", "a") as config:
        config.write('c.AssignLatePenalties.plugin_class = "late_daily.Daily"\n')
    return course


def test_the_bundle_holds_the_entry_points_the_grader_and_the_master_but_no_solution(tmp_path):
    course = load_course(_hidden_only_course(tmp_path), ASSIGNMENT)
    path = write_bundle(course, tmp_path / "autograder.zip")
    with zipfile.ZipFile(path) as archive:
        names = set(archive.namelist())
        assert {"setup.sh", "run_autograder", "requirements.txt", "course/nbgrader_config.py", "course/late_daily.py",
                f"course/source/{ASSIGNMENT}/{NOTEBOOK}", f"course/source/{ASSIGNMENT}/data.txt",
                "python/d2lblocks_grade/lms/gradescope_run.py", "python/d2lblocks/__init__.py"} <= names
        assert stat.S_IMODE(archive.getinfo("run_autograder").external_attr >> 16) & 0o111
        course_text = "".join(archive.read(n).decode() for n in names if n.startswith("course/"))
        setup = archive.read("setup.sh").decode()
        requirements = archive.read("requirements.txt").decode()
    assert json.dumps(HIDDEN_LINE)[1:-1] in course_text, "the hidden tests travel: they are graded there"
    assert "nn.Sequential(nn.Linear(2, 3))" not in course_text and "BEGIN SOLUTION" not in course_text
    assert "download.pytorch.org/whl/cpu" in setup and "nbgrader" in requirements
    (tmp_path / "setup.sh").write_text(setup)
    assert subprocess.run(["bash", "-n", str(tmp_path / "setup.sh")]).returncode == 0, "setup.sh is valid bash"
    with pytest.raises(ValueError, match="a Gradescope autograder is a .zip file"):
        write_bundle(course, tmp_path / "autograder.tar")


def _autograder(tmp_path: Path, bundle: Path, notebook: bytes | None, metadata: dict) -> Path:
    """An /autograder-shaped folder as Gradescope lays it out for one submission."""
    root = tmp_path / "autograder"
    with zipfile.ZipFile(bundle) as archive:
        archive.extractall(root / "source")
    for name in ("run_autograder", "setup.sh"):
        (root / "source" / name).chmod(0o755)
    shutil.copy(root / "source" / "run_autograder", root / "run_autograder")
    (root / "submission").mkdir()
    if notebook is not None:
        (root / "submission" / NOTEBOOK).write_bytes(notebook)
    (root / "submission_metadata.json").write_text(json.dumps(metadata))
    return root


def _run_autograder(root: Path) -> dict:
    env = {**os.environ, "AUTOGRADER_ROOT": str(root), "PYTHON": sys.executable}
    env.pop("PYTHONPATH", None)
    run = subprocess.run(["bash", str(root / "run_autograder")], capture_output=True, text=True, env=env,
                         timeout=600, cwd=root)
    assert (root / "results" / "results.json").exists(), run.stdout + run.stderr
    return json.loads((root / "results" / "results.json").read_text())


METADATA = {"created_at": "2026-12-02T10:00:00.000000-08:00", "assignment": {"due_date": "2026-12-01T23:59:00.000000-08:00"},
            "users": [{"email": "jane.doe@uni.edu", "name": "Jane Doe", "id": 1}]}


@pytest.mark.slow
def test_run_autograder_grades_a_submission_and_writes_results_json(tmp_path):
    """The bundle, unpacked into a local /autograder, grades a late partial answer with its own copy of the
    grader: per-test scores and teaching messages, the hidden test after the due date, the penalty off the total."""
    course_dir = _hidden_only_course(tmp_path)
    bundle = write_bundle(load_course(course_dir, ASSIGNMENT), tmp_path / "autograder.zip")
    notebook = student_notebook(course_dir, PARTIAL)
    shutil.rmtree(course_dir)  # the bundle needs nothing of the instructor's course
    root = _autograder(tmp_path, bundle, notebook, METADATA)
    result = _run_autograder(root)
    _check_results(result)
    tests = {t["name"]: t for t in result["tests"]}
    assert tests["ex1_test_net"]["score"] == 2.0 and tests["ex1_test_net"]["visibility"] == "visible"
    double = tests["ex2_test_double"]
    assert (double["score"], double["visibility"]) == (0.0, "after_due_date")
    assert double["output"] == "AssertionError: double must handle negative numbers"
    assert HIDDEN_LINE not in json.dumps(result)
    assert result["score"] == 1.5 and "Late penalty: 0.5" in result["output"]
    assert "ex1_explain" in result["output"], "the written answer is left to a person"
    assert (root / "source" / "python" / "d2lblocks_grade" / "__pycache__").is_dir(), "the bundle's own grader ran"


@pytest.mark.slow
def test_run_autograder_without_a_notebook_says_what_to_upload(tmp_path):
    bundle = write_bundle(load_course(make_course(tmp_path), ASSIGNMENT), tmp_path / "autograder.zip")
    root = _autograder(tmp_path, bundle, None, {})
    (root / "submission" / "answers.py").write_text("print('hi')")
    result = _run_autograder(root)
    _check_results(result)
    assert result["score"] == 0 and f"Upload {NOTEBOOK}" in result["output"]


# --- end to end from a graded class --------------------------------------------------------------------------

def _cli(*args):
    return subprocess.run([sys.executable, "-m", "d2lblocks_grade.cli", *map(str, args)],
                          capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def lms_class(tmp_path_factory):
    """A class downloaded from Canvas and Moodle (and one plain folder), graded once."""
    tmp = tmp_path_factory.mktemp("lms")
    course = make_course(tmp)
    subs = tmp / "subs"
    files = {"doejane_12345_67890_layers-and-blocks.ipynb": CORRECT,
             "smithjohn_LATE_23456_67891_layers-and-blocks.ipynb": PARTIAL,
             f"Ann Lee_731_assignsubmission_file_/{NOTEBOOK}": CORRECT, f"zed/{NOTEBOOK}": CORRECT}
    for name, answers in files.items():
        (subs / name).parent.mkdir(parents=True, exist_ok=True)
        (subs / name).write_bytes(student_notebook(course, answers))
    out = tmp / "out"
    run = _cli("autograde", subs, "--course", course, "--out", out, "--workers", 2, "--quiet")
    assert run.returncode == 0, run.stderr
    return course, out


@pytest.mark.slow
def test_canvas_export_from_a_graded_class(lms_class, tmp_path):
    """Canvas user ids kept from the download names; the Canvas export used as roster fills SIS columns."""
    course, out = lms_class
    roster = tmp_path / "canvas.csv"
    roster.write_text("Student,ID,SIS User ID,SIS Login ID,Section,Layers and Blocks (98765)\n"
                      "    Points Possible,,,,,4\n\"Doe, Jane\",12345,S1,jdoe,Section 01,\n")
    run = _cli("export", "--format", "canvas", "--course", course, "--out", out, "--roster", roster)
    assert run.returncode == 0, run.stderr
    assert "left out 2 student(s)" in run.stderr and "Ann_Lee, zed" in run.stderr
    rows = list(csv.reader(io.StringIO((out / "canvas-grades.csv").read_text())))
    assert rows[0][-1] == "Layers and Blocks (98765)" and rows[1][0] == "Points Possible" and rows[1][-1] == "4"
    assert ["Doe, Jane", "12345", "S1", "jdoe", "Section 01", "3"] in rows
    assert ["smithjohn", "23456", "", "", "", "2"] in rows
    grades = (out / "grades.csv").read_text()
    assert "doejane_12345" not in grades and "doejane,ex1_test_net" in grades
    bad = tmp_path / "bad.csv"
    bad.write_text("name;id\n")
    refused = _cli("export", "--format", "canvas", "--course", course, "--out", out, "--roster", bad)
    assert refused.returncode == 2 and "none of the roster shapes" in refused.stderr


@pytest.mark.slow
def test_moodle_and_generic_exports_from_a_graded_class(lms_class):
    course, out = lms_class
    run = _cli("export", "--format", "moodle", "--course", course, "--out", out, "--to", "-")
    assert run.returncode == 0, run.stderr
    rows = list(csv.DictReader(io.StringIO(run.stdout)))
    assert [(r["Identifier"], r["Full name"], r["Grade"]) for r in rows] == [("Participant 731", "Ann Lee", "3")]
    roster = out.parent / "roster.csv"
    roster.write_text("student,lms_user_id\nzed,4242\n")
    generic = _cli("export", "--course", course, "--out", out, "--roster", roster, "--to", "-")
    lines = generic.stdout.splitlines()
    assert lines[0].startswith("student,lms_user_id,score,max_score") and "doejane,12345,3,4" in generic.stdout
    assert "zed,4242,3,4" in generic.stdout and "smithjohn,23456,2,4" in generic.stdout
