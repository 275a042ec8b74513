"""The Layers-and-Blocks nbgrader assignment: stable ids, a release that leaks nothing, stock nbgrader works on it."""
from __future__ import annotations

import re
import subprocess
from pathlib import Path

import nbformat
import pytest
from project_paths import ROOT

from d2lblocks_grade.audit.bank import exercise_of, graded_test_ids, instructor_solutions, solution_cells
from d2lblocks_grade.nbgrader_cli import nbgrader_program, tools_env

COURSE = ROOT / "exercises"
ASSIGNMENT = "layers-and-blocks"
SOURCE = COURSE / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
RELEASE = COURSE / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
EXERCISES = ("ex1", "ex2", "ex3", "ex4")
HIDDEN = re.compile(r"### BEGIN HIDDEN TESTS\n(.*?)### END HIDDEN TESTS", re.S)
SOLUTION = re.compile(r"### BEGIN SOLUTION\n(.*?)### END SOLUTION", re.S)


def notebook(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(path, as_version=4)


def nbgrader_meta(cell) -> dict:
    return cell.metadata.get("nbgrader", {})


def code_lines(text: str) -> set[str]:
    """The telling lines of some code: stripped, no comments, long enough not to occur by chance."""
    lines = {line.strip() for line in text.splitlines()}
    return {line for line in lines if len(line) >= 12 and not line.startswith("#")}


def nbgrader_cli(*commands: tuple[str, ...], cwd: Path) -> list[str]:
    """Run nbgrader commands side by side (they are independent); the output of each."""
    env = tools_env()
    exe = nbgrader_program(env)
    running = [subprocess.Popen([exe, *args], cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
               for args in commands]
    return [process.communicate(timeout=300)[0] for process in running]


def test_solution_cells_keep_the_grade_ids_instructors_scripts_rely_on():
    """The exercises' answer cells have the ids, kinds and grading the issue fixed for all versions."""
    cells = solution_cells(notebook(SOURCE))
    kinds = {grade_id: (cell.cell_type, bool(nbgrader_meta(cell).get("grade"))) for grade_id, cell in cells.items()}
    assert kinds["ex1_sequential"] == ("code", False)
    assert kinds["ex1_explain"] == ("markdown", True)  # graded by hand
    assert kinds["ex2_parallel"] == ("code", False)
    assert kinds["ex3_factory"] == ("code", False)
    assert kinds["ex4_constant"] == ("code", False)


def test_every_exercise_has_several_locked_test_cells_named_by_its_prefix():
    """Scores can be summed per exercise, and a partly right answer earns part of the points."""
    source = notebook(SOURCE)
    tests = graded_test_ids(source)
    assert {exercise_of(test) for test in tests} == set(EXERCISES)
    for exercise in EXERCISES:
        assert sum(exercise_of(test) == exercise for test in tests) >= 3, exercise
    for cell in source.cells:
        meta = nbgrader_meta(cell)
        if meta.get("grade") and not meta.get("solution"):
            assert cell.cell_type == "code" and meta["locked"] and meta["points"] > 0, meta["grade_id"]


def test_every_exercise_has_hidden_tests():
    """The grader checks more than the student sees, in every exercise."""
    hidden = {exercise_of(nbgrader_meta(cell)["grade_id"]) for cell in notebook(SOURCE).cells
              if HIDDEN.search(cell.source)}
    assert hidden == set(EXERCISES)


def test_release_contains_no_solution_code_and_no_hidden_test_text():
    """The committed student release leaks neither the answers nor the hidden tests."""
    source, release = notebook(SOURCE), notebook(RELEASE)
    released = "\n".join(cell.source for cell in release.cells)
    released_lines = {line.strip() for line in released.splitlines()}
    assert "BEGIN SOLUTION" not in released and "HIDDEN TESTS" not in released
    public = "\n".join(HIDDEN.sub("", SOLUTION.sub("", cell.source)) for cell in source.cells
                       if not (nbgrader_meta(cell).get("solution") and cell.cell_type == "markdown"))
    stubs = {"# YOUR CODE HERE", "raise NotImplementedError()", "YOUR ANSWER HERE", ""}
    assert released_lines - {line.strip() for line in public.splitlines()} - stubs == set()
    for cell in source.cells:
        secret = "\n".join(SOLUTION.findall(cell.source) + HIDDEN.findall(cell.source))
        assert secret == "" or code_lines(secret) - {line.strip() for line in public.splitlines()}, \
            "the check below needs secret lines that the public text lacks"
        assert not (code_lines(secret) & released_lines) - {line.strip() for line in public.splitlines()}
    explain = solution_cells(source)["ex1_explain"].source
    assert solution_cells(release)["ex1_explain"].source.strip() == "YOUR ANSWER HERE"
    assert not code_lines(explain) & released_lines


def test_release_keeps_the_cells_students_answer_and_the_visible_tests():
    """Students get every answer cell (with a stub) and the visible part of every test cell."""
    source, release = notebook(SOURCE), notebook(RELEASE)
    assert [nbgrader_meta(c).get("grade_id") for c in release.cells] == [nbgrader_meta(c).get("grade_id") for c in source.cells]
    stubs = solution_cells(release)
    assert "raise NotImplementedError()" in stubs["ex2_parallel"].source
    assert "class Parallel(nn.Module)" in stubs["ex2_parallel"].source
    visible = {nbgrader_meta(c)["grade_id"]: c.source for c in release.cells if nbgrader_meta(c).get("grade")}
    assert "expect_registered(net, blocks, \"MySequential\")" in visible["ex1_parameters"]


def test_config_roots_the_course_at_its_own_folder_with_a_patient_gradebook():
    """nbgrader finds the course wherever the checkout lives, and waits for a locked gradebook."""
    from traitlets.config.loader import PyFileConfigLoader

    config = PyFileConfigLoader("nbgrader_config.py", path=str(COURSE)).load_config()
    assert Path(config.CourseDirectory.root) == COURSE
    assert config.CourseDirectory.course_id == "d2lblocks"
    assert config.CourseDirectory.db_url.endswith("gradebook.db?timeout=30")
    assert config.ExecutePreprocessor.timeout > 0


def test_instructor_solutions_are_the_source_cells_without_markers():
    """The answer the audit and the full-marks check submit is exactly what the instructor wrote."""
    solutions = instructor_solutions(notebook(SOURCE))
    assert "BEGIN SOLUTION" not in solutions["ex1_sequential"]
    assert "self.add_module(str(index), block)" in solutions["ex1_sequential"]


@pytest.mark.slow
def test_generate_assignment_reproduces_the_committed_release(audit_run):
    """The release is generated, not hand written: regenerating it from source changes nothing."""
    fresh = notebook(audit_run.course / "grader-0" / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")
    committed = notebook(RELEASE)
    assert [c.source for c in fresh.cells] == [c.source for c in committed.cells], \
        "exercises/release is stale: run `d2lblocks-grade release --assignment layers-and-blocks`"
    assert [c.metadata for c in fresh.cells] == [c.metadata for c in committed.cells]


@pytest.mark.slow
def test_nbgrader_validate_passes_the_source_and_fails_the_release():
    """The instructor's notebook passes every test; the untouched student release fails its visible tests."""
    passed, failed = nbgrader_cli(("validate", str(SOURCE)), ("validate", str(RELEASE)), cwd=COURSE)
    assert "Success! Your notebook passes all the tests." in passed, passed
    assert "VALIDATION FAILED" in failed, failed
    assert "this part is not written yet" in failed


@pytest.mark.slow
def test_instructor_solutions_earn_full_marks_with_stock_autograde(audit_run):
    """`nbgrader autograde` gives the instructor's answers every automatic point, with nothing on stderr."""
    source = notebook(SOURCE)
    instructor = [r for r in audit_run.results["results"] if r["answer"] == "instructor solution"]
    scores = {t["grade_id"]: t for r in instructor for t in r["tests"]}
    assert set(scores) == set(graded_test_ids(source))
    assert [t for t in scores.values() if t["score"] != t["max_score"] or t["error"]] == []
    graded = notebook(audit_run.course / "grader-0" / "autograded" / "audit-00" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")
    outputs = [o for c in graded.cells if nbgrader_meta(c).get("grade") and c.cell_type == "code" for o in c.outputs]
    assert [o for o in outputs if o.output_type == "error" or o.get("name") == "stderr"] == []
