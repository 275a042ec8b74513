"""The bundled example class graded against the real course in exercises/ (what `make demo` shows)."""

import csv
import subprocess
import sys

import pytest
from project_paths import ASSIGNMENT, COURSE, EXAMPLES

from d2lblocks_grade.course.master import hidden_test_lines, load_course
from d2lblocks_grade.records.feedback import find_leaks

pytestmark = pytest.mark.slow


def test_example_class_gets_the_grades_its_names_promise(tmp_path):
    """ada full marks, ben partial, cy damaged, dee stopped, eli's renamed upload found; no feedback leaks."""
    out = tmp_path / "out"
    run = subprocess.run([sys.executable, "-m", "d2lblocks_grade.cli", "autograde", str(EXAMPLES), "--out", str(out),
                          "--course", str(COURSE),
                          "--cell-timeout", "10", "--timeout", "60", "--quiet"],
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    with open(out / "grades.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    tests = {(r["student"], r["grade_id"]): r for r in rows if r["grade_id"] != "ex1_explain"}
    total = {s: sum(float(r["score"]) for (st, _), r in tests.items() if st == s) for s in "ada ben cy dee eli".split()}
    possible = sum(float(r["max_score"]) for (st, _), r in tests.items() if st == "ada")
    assert total["ada"] == total["eli"] == possible
    assert 0 < total["ben"] < possible and 0 < total["dee"] < possible and total["cy"] == 0
    assert {r["status"] for (st, _), r in tests.items() if st == "cy"} == {"invalid-notebook"}
    assert "timeout" in {r["status"] for (st, _), r in tests.items() if st == "dee"}
    assert any("list" in r["reason"] for (st, _), r in tests.items() if st == "ben")

    hidden = hidden_test_lines(load_course(COURSE, ASSIGNMENT).master)
    pages = list((out / "feedback").rglob("*.html"))
    assert len(pages) == 5 and all(find_leaks(p.read_text(), hidden) == [] for p in pages)
