"""A tiny nbgrader course and student notebooks for the grading pipeline's tests.

It has the shape of the real course (answer cells `ex1_*`, `ex2_*`, a written
answer `ex1_explain`, tests with hidden parts) but runs in a second.
"""

from __future__ import annotations

import copy
import csv
import sqlite3
from pathlib import Path

import nbformat
from nbgrader.preprocessors import ClearHiddenTests, ComputeChecksums

ASSIGNMENT = "layers-and-blocks"
NOTEBOOK = f"{ASSIGNMENT}.ipynb"
HIDDEN_LINE = 'assert double(-3) == -6, "double must handle negative numbers"'

CORRECT = {
    "ex1_net": "def make_net():\n    return nn.Sequential(nn.Linear(2, 3))",
    "ex1_explain": "Blocks in a Python list are invisible to parameters().",
    "ex2_double": "def double(x):\n    return 2 * x",
}


def _cell(kind, source, **nbgrader):
    maker = nbformat.v4.new_code_cell if kind == "code" else nbformat.v4.new_markdown_cell
    cell = maker(source)
    if nbgrader:
        meta = {"solution": False, "grade": False, "locked": False, "schema_version": 3}
        meta.update(nbgrader)
        cell.metadata["nbgrader"] = meta
    return cell


def source_notebook() -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [
        _cell("markdown", "# Layers and blocks (test course)"),
        _cell("code", "import torch\nfrom torch import nn", grade_id="setup", locked=True),
        _cell("code", "### BEGIN SOLUTION\n" + CORRECT["ex1_net"] + "\n### END SOLUTION",
              grade_id="ex1_net", solution=True),
        _cell("code", 'net = make_net()\nassert isinstance(net, nn.Sequential), "make_net must return an nn.Sequential"\n'
                      "### BEGIN HIDDEN TESTS\n"
                      'assert net(torch.ones(1, 2)).shape == (1, 3), "the output must have 3 features"\n'
                      "### END HIDDEN TESTS",
              grade_id="ex1_test_net", grade=True, locked=True, points=2),
        _cell("markdown", "### BEGIN SOLUTION\n" + CORRECT["ex1_explain"] + "\n### END SOLUTION",
              grade_id="ex1_explain", solution=True, grade=True, points=1),
        _cell("code", "def double(x):\n    ### BEGIN SOLUTION\n    return 2 * x\n    ### END SOLUTION",
              grade_id="ex2_double", solution=True),
        _cell("code", 'assert double(2) == 4, "double(2) should be 4"\n### BEGIN HIDDEN TESTS\n'
                      + HIDDEN_LINE + "\n### END HIDDEN TESTS",
              grade_id="ex2_test_double", grade=True, locked=True, points=1),
    ]
    return nb


def make_course(root: Path) -> Path:
    """Write an nbgrader course (config + source notebook) under `root`; returns its folder."""
    course = Path(root) / "course"
    (course / "source" / ASSIGNMENT).mkdir(parents=True)
    (course / "nbgrader_config.py").write_text(
        'c = get_config()\nc.CourseDirectory.course_id = "test-course"\n')
    nbformat.write(source_notebook(), course / "source" / ASSIGNMENT / NOTEBOOK)
    (course / "source" / ASSIGNMENT / "data.txt").write_text("asset\n")
    return course


def release_notebook(course: Path) -> nbformat.NotebookNode:
    """What students download: solutions and hidden tests removed (like `nbgrader generate_assignment`)."""
    from d2lblocks_grade.course.master import load_course
    nb = load_course(course, ASSIGNMENT).master
    nb, _ = ClearHiddenTests().preprocess(nb, {})
    nb, _ = ComputeChecksums().preprocess(nb, {})
    return nb


def student_notebook(course: Path, answers: dict[str, str] | None = None, edit=None) -> bytes:
    """A submission: the release with `answers` (grade_id -> source) typed in, then `edit(nb)`."""
    nb = copy.deepcopy(release_notebook(course))
    for cell in nb.cells:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id")
        if answers and gid in answers:
            cell.source = answers[gid]
    if edit is not None:
        edit(nb)
    return nbformat.writes(nb).encode()


IGNORES_SIGINT = ("import signal, time\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\n"
                  "while True:\n    time.sleep(0.05)")


def write_class(root: Path, course: Path, kinds: dict[str, str]) -> Path:
    """A SUBMISSIONS folder: student -> kind of submission (see `KINDS`)."""
    subs = Path(root) / "submissions"
    subs.mkdir(parents=True, exist_ok=True)
    for student, kind in kinds.items():
        name, data = KINDS[kind](course)
        if name is None:
            (subs / student).mkdir()
            continue
        path = subs / name.format(student=student)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return subs


def _other_assignment(course):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")])
    nb.cells[0].metadata["nbgrader"] = {"grade_id": "hw3_q1", "solution": True, "grade": False,
                                        "locked": False, "schema_version": 3}
    return nbformat.writes(nb).encode()


def _duplicate_test(nb):
    test = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "ex2_test_double")
    nb.cells.append(nbformat.from_dict(dict(copy.deepcopy(test), id="dup")))


def _slow(seconds):
    return {**CORRECT, "ex2_double": f"import time\ntime.sleep({seconds})\n" + CORRECT["ex2_double"]}


FOLDER = "{student}/" + NOTEBOOK
KINDS = {
    "correct": lambda c: (FOLDER, student_notebook(c, CORRECT)),
    "slow": lambda c: (FOLDER, student_notebook(c, _slow(1.5))),
    "partial": lambda c: (FOLDER, student_notebook(c, {"ex1_net": CORRECT["ex1_net"],
                                                       "ex2_double": "def double(x):\n    return x + 2"})),
    "blank": lambda c: (FOLDER, student_notebook(c)),
    "flat": lambda c: ("{student}.ipynb", student_notebook(c, CORRECT)),
    "renamed": lambda c: ("{student}/layers-and-blocks (1).ipynb", student_notebook(c, CORRECT)),
    "empty": lambda c: (FOLDER, b""),
    "not-json": lambda c: (FOLDER, b'{"cells": [ oops'),
    "nbformat3": lambda c: (FOLDER, b'{"nbformat": 3, "nbformat_minor": 0, "worksheets": [], "metadata": {}}'),
    "other-assignment": lambda c: (FOLDER, _other_assignment(c)),
    "duplicate-test": lambda c: (FOLDER, student_notebook(c, CORRECT, edit=_duplicate_test)),
    "ignores-sigint": lambda c: (FOLDER, student_notebook(c, {**CORRECT, "ex2_double": IGNORES_SIGINT})),
    "kills-kernel": lambda c: (FOLDER, student_notebook(c, {**CORRECT, "ex2_double": "import os\nos._exit(1)"})),
    "missing": lambda c: (None, b""),
}


def grades(out: Path) -> dict[str, dict[str, dict]]:
    """A run's grades.csv: student -> grade id -> its row."""
    rows: dict[str, dict[str, dict]] = {}
    with open(out / "grades.csv", newline="") as handle:
        for row in csv.DictReader(handle):
            rows.setdefault(row["student"], {})[row["grade_id"]] = row
    return rows


def recorded(out: Path, student: str, column: str) -> str:
    """One column of `student`'s row in the run's SQLite gradebook (reason, findings...)."""
    with sqlite3.connect(out / "gradebook.db") as db:
        (value,) = db.execute(f"SELECT {column} FROM d2lblocks_result WHERE student_id = ?", (student,)).fetchone()
    return value
