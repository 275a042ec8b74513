"""Verdicts a submission cannot forge: the real course graded by `d2lblocks-grade autograde` in trusted mode.

One class: honest students (the course's own solution), a twin per attack and
the attackers of `forgery_attacks.py`. Every test cell runs as a probe in the
sandboxed kernel and is judged in the grader's process, so helpers rebound,
library answers, lying tensors, patched torch, forged responses and a leaked
input history all gain nothing: each attacker scores at most its twin, honest
students keep full marks, and no hidden test line appears in any output.
"""
from __future__ import annotations

import base64
import csv
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from forgery_attacks import FORGERIES, WRONG
from project_paths import ASSIGNMENT, COURSE

from d2lblocks_grade.course.master import hidden_test_lines, load_course
from d2lblocks_grade.notebook_cells import grade_id

pytestmark = pytest.mark.slow
NOTEBOOK = f"{ASSIGNMENT}.ipynb"
RELEASE = COURSE / "release" / ASSIGNMENT / NOTEBOOK
SOURCE = COURSE / "source" / ASSIGNMENT / NOTEBOOK
BANK = COURSE / "audit"


def solutions() -> dict[str, str]:
    source = nbformat.read(SOURCE, as_version=4)
    return {gid: cell.source for cell in source.cells
            if (gid := grade_id(cell)) and cell.metadata.get("nbgrader", {}).get("solution")
            and cell.cell_type == "code"}


def notebook(answers: dict[str, str], extra_cell: str | None = None) -> str:
    """The release with ``answers`` pasted into its answer cells and ``extra_cell`` after the setup cell."""
    nb = nbformat.read(RELEASE, as_version=4)
    for cell in nb.cells:
        if grade_id(cell) in answers:
            cell.source = answers[grade_id(cell)]
    if extra_cell is not None:
        nb.cells.insert(2, nbformat.v4.new_code_cell(extra_cell))
    return nbformat.writes(nb)


def wrong_answers() -> dict[str, str]:
    right = solutions()
    return {**right, **{cell: (BANK / cell / name).read_text() for cell, name in WRONG.items()}}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = tmp_path_factory.mktemp("forgery")
    subs, out = root / "submissions", root / "out"
    students = {"honest1": notebook(solutions()), "honest2": notebook(solutions())}
    blank = {}
    for attack in FORGERIES:
        base = wrong_answers()
        attacker = {**base, **attack.answers}
        twin = {**base, **(attack.twin_answers if attack.twin_answers is not None else
                           {cell: blank_answer(cell) for cell in attack.answers})}
        students[f"attack-{attack.name}"] = notebook(attacker, attack.cell)
        students[f"twin-{attack.name}"] = notebook(twin)
    for name, text in {**students, **blank}.items():
        (subs / name).mkdir(parents=True)
        (subs / name / NOTEBOOK).write_text(text)
    run = subprocess.run([sys.executable, "-m", "d2lblocks_grade.cli", "autograde", str(subs), "--course", str(COURSE),
                          "--out", str(out), "--db", f"sqlite:///{out / 'gradebook.db'}", "--quiet",
                          "--cell-timeout", "30", "--timeout", "120"],
                         capture_output=True, text=True, timeout=1200)
    return run, out


def blank_answer(cell_id: str) -> str:
    release = nbformat.read(RELEASE, as_version=4)
    return next(cell.source for cell in release.cells if grade_id(cell) == cell_id)


def grades(out: Path) -> dict[str, dict[str, dict]]:
    with open(out / "grades.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    table: dict[str, dict[str, dict]] = {}
    for row in rows:
        if row["grade_id"] != "ex1_explain":
            table.setdefault(row["student"], {})[row["grade_id"]] = row
    return table


def test_the_run_finishes_and_grades_everyone(graded):
    run, out = graded
    assert run.returncode == 0, run.stderr[-3000:]
    assert len(grades(out)) == 2 + 2 * len(FORGERIES)


def test_honest_students_keep_full_marks(graded):
    _, out = graded
    for student in ("honest1", "honest2"):
        rows = grades(out)[student]
        assert all(float(r["score"]) == float(r["max_score"]) for r in rows.values()), \
            {g: r["reason"] for g, r in rows.items() if float(r["score"]) < float(r["max_score"])}


@pytest.mark.parametrize("attack", FORGERIES, ids=lambda a: a.name)
def test_each_attacker_scores_no_more_than_its_twin_on_any_test(graded, attack):
    _, out = graded
    table = grades(out)
    attacker, twin = table[f"attack-{attack.name}"], table[f"twin-{attack.name}"]
    gained = {g: (attacker[g]["score"], twin[g]["score"]) for g in twin
              if float(attacker[g]["score"]) > float(twin[g]["score"])}
    assert not gained, f"{attack.name} gained points on {gained}"
    assert sum(float(r["score"]) for r in twin.values()) < sum(float(r["max_score"]) for r in twin.values())


def test_a_forged_response_is_a_failed_test_never_a_failed_grader(graded):
    _, out = graded
    rows = grades(out)["attack-forges-the-responses"]
    assert {r["status"] for r in rows.values()} <= {"graded", "no-response"}, {g: r["status"] for g, r in rows.items()}


def test_answers_that_use_the_course_library_are_marked_uses_reference(graded):
    _, out = graded
    rows = grades(out)["attack-answers-with-the-course-library"]
    for exercise in ("ex1", "ex2", "ex3_sequential", "ex4"):
        marked = [r for g, r in rows.items() if g.startswith(exercise)]
        assert marked and all(r["status"] == "uses-reference" and float(r["score"]) == 0 for r in marked), marked
        assert all("d2lblocks" in r["reason"] for r in marked)


def test_a_wrong_answer_still_gets_its_teaching_message(graded):
    _, out = graded
    rows = grades(out)["twin-rebinds-the-test-helpers"]
    assert float(rows["ex1_parameters"]["score"]) == 0
    assert "list" in rows["ex1_parameters"]["reason"] and "See notebooks/" in rows["ex1_parameters"]["reason"]


def test_no_hidden_test_line_reaches_the_kernel_or_any_output(graded):
    _, out = graded
    hidden = hidden_test_lines(load_course(COURSE, ASSIGNMENT).master)
    assert hidden
    texts = [p.read_text(errors="replace") for p in out.rglob("*") if p.is_file() and p.suffix in (".ipynb", ".html", ".csv")]
    leaked = [m for p in (out / "autograded").rglob("*.ipynb") for m in re.findall(r"LEAK ([A-Za-z0-9+/=]+)", p.read_text())]
    assert leaked, "the history attack printed nothing: it did not run"
    texts += [base64.b64decode(blob).decode(errors="replace") for blob in leaked]
    found = [line for line in hidden for text in texts if line in text]
    assert not found, found[:3]
