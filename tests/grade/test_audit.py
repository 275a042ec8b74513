"""The audit: the assignment's tests must catch every known-wrong answer and pass every known-right one."""
from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest
from project_paths import ROOT

from d2lblocks_grade.audit import run as audit, trusted
from d2lblocks_grade.audit.bank import (
    Answer,
    check_cells,
    fill_release,
    instructor_solutions,
    load_bank,
    solution_cells,
    submissions,
)
from d2lblocks_grade.audit.report import CAUGHT, MISSED, PASSED, REJECTED, UNTAUGHT, AnswerResult, AuditReport, format_table
from d2lblocks_grade.audit.stock_nbgrader import CellScore
from d2lblocks_grade.course.master import load_course
from d2lblocks_grade.datatypes import GRADED, NO_RESPONSE, TIMEOUT, CellResult

COURSE = ROOT / "exercises"
BANK = COURSE / "audit"
SOURCE = COURSE / "source" / "layers-and-blocks" / "layers-and-blocks.ipynb"
RELEASE = COURSE / "release" / "layers-and-blocks" / "layers-and-blocks.ipynb"


def score(grade_id: str, points: float, error: str = "", message: str = "") -> CellScore:
    return CellScore(grade_id, points, 1.0, error, message)


def answer(name: str, cell: str = "ex1_sequential") -> Answer:
    return Answer(cell=cell, name=name, correct=name.startswith("right_"), description="what it does", source="pass\n")


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_bank_has_six_wrong_and_two_right_answers_for_every_exercise():
    """Each exercise is audited against at least 6 known mistakes and 2 correct alternatives."""
    bank = load_bank(BANK)
    assert set(bank) == {"ex1_sequential", "ex2_parallel", "ex3_factory", "ex4_constant"}
    for cell, answers in bank.items():
        assert sum(not a.correct for a in answers) >= 6, cell
        assert sum(a.correct for a in answers) >= 2, cell
        assert all(a.description for a in answers), cell


def test_bank_answers_all_belong_to_cells_of_the_notebook():
    """Every bank folder names a solution cell of the assignment."""
    check_cells(load_bank(BANK), nbformat.read(SOURCE, as_version=4))


def test_a_missing_bank_folder_is_reported_with_what_to_put_there(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"does not exist.*wrong_\*\.py and right_\*\.py"):
        load_bank(tmp_path / "nowhere")


def test_an_empty_bank_is_reported(tmp_path):
    with pytest.raises(ValueError, match="holds no answers"):
        load_bank(tmp_path)


def test_an_answer_whose_name_does_not_say_wrong_or_right_is_rejected(tmp_path):
    write(tmp_path / "ex1_sequential" / "list_storage.py", "# Blocks in a list.\nclass MySequential: pass\n")
    with pytest.raises(ValueError, match=r"list_storage\.py.*must start with 'wrong_'"):
        load_bank(tmp_path)


def test_an_answer_without_a_description_is_rejected(tmp_path):
    write(tmp_path / "ex1_sequential" / "wrong_list.py", "class MySequential: pass\n")
    with pytest.raises(ValueError, match=r"wrong_list\.py: start the answer with a comment line"):
        load_bank(tmp_path)


def test_a_bank_folder_for_a_cell_the_notebook_lacks_is_rejected(tmp_path):
    write(tmp_path / "ex9_magic" / "wrong_x.py", "# Nothing.\n")
    with pytest.raises(ValueError, match=r"'ex9_magic'.*no solution cell with that grade id.*ex1_sequential"):
        check_cells(load_bank(tmp_path), nbformat.read(SOURCE, as_version=4))


def test_a_submission_is_the_release_with_every_answer_cell_filled():
    """The audit submits what a student would: the release, with only the answer cells changed."""
    source, release = (nbformat.read(p, as_version=4) for p in (SOURCE, RELEASE))
    answers = instructor_solutions(source)
    answers["ex2_parallel"] = "# Outputs added.\nclass Parallel(nn.Module): pass\n"
    filled = fill_release(release, answers)
    cells = solution_cells(filled)
    assert cells["ex2_parallel"].source.startswith("# Outputs added.")
    assert "### BEGIN SOLUTION" not in cells["ex1_sequential"].source
    assert "self.add_module(str(index), block)" in cells["ex1_sequential"].source
    assert [c.source for c in filled.cells if not c.metadata.get("nbgrader", {}).get("solution")] == \
        [c.source for c in release.cells if not c.metadata.get("nbgrader", {}).get("solution")]
    assert "raise NotImplementedError()" in solution_cells(release)["ex2_parallel"].source  # the release itself is untouched


def test_submissions_try_one_answer_per_exercise_after_the_instructors_own():
    """Exercises are independent, so one notebook carries answer k of every exercise; short lists fall back to the instructor."""
    bank = {"ex1_sequential": [answer("right_a"), answer("wrong_b"), answer("wrong_c")],
            "ex2_parallel": [answer("wrong_d", "ex2_parallel")]}
    plans = submissions(bank, {"ex1_sequential": "", "ex1_explain": "", "ex2_parallel": ""})
    assert plans[0] == {"ex1_sequential": None, "ex1_explain": None, "ex2_parallel": None}
    assert [p["ex1_sequential"].name for p in plans[1:]] == ["right_a", "wrong_b", "wrong_c"]
    assert [p["ex2_parallel"] and p["ex2_parallel"].name for p in plans[1:]] == ["wrong_d", None, None]
    assert all(p["ex1_explain"] is None for p in plans)


def test_a_wrong_answer_counts_as_caught_only_when_every_lost_point_is_explained():
    taught = AnswerResult("ex1_sequential", answer("wrong_list"),
                          (score("ex1_forward", 1), score("ex1_parameters", 0, "AssertionError", "Register the blocks.")))
    crashed = AnswerResult("ex1_sequential", answer("wrong_list"),
                           (score("ex1_forward", 0, "TypeError", "unsupported operand"),))
    unnoticed = AnswerResult("ex1_sequential", answer("wrong_list"), (score("ex1_forward", 1),))
    assert (taught.verdict, crashed.verdict, unnoticed.verdict) == (CAUGHT, UNTAUGHT, MISSED)
    assert taught.ok and not crashed.ok and not unnoticed.ok


def test_a_right_answer_must_earn_every_point():
    full = AnswerResult("ex1_sequential", answer("right_list"), (score("ex1_forward", 1),))
    docked = AnswerResult("ex1_sequential", answer("right_list"), (score("ex1_forward", 0, "AssertionError", "x"),))
    instructor = AnswerResult("ex1_sequential", None, (score("ex1_forward", 1),))
    assert (full.verdict, docked.verdict, instructor.verdict) == (PASSED, REJECTED, PASSED)
    assert instructor.name == "instructor solution"


def test_the_table_shows_every_tests_score_and_each_failures_teaching_message():
    report = AuditReport((
        AnswerResult("ex1_sequential", None, (score("ex1_forward", 1), score("ex1_parameters", 1))),
        AnswerResult("ex1_sequential", answer("wrong_python_list"),
                     (score("ex1_forward", 1), score("ex1_parameters", 0, "AssertionError", "Use nn.ModuleList."))),
    ), cascades=(), seconds=3.0)
    table = format_table(report)
    assert "answer" in table and "forward  parameters" in table
    assert "wrong_python_list" in table and "1/1      0/1" in table and "caught" in table
    assert "      ex1_parameters: Use nn.ModuleList." in table
    assert "wrong answers caught with a teaching message: 1/1" in table and report.ok


def test_a_cascade_into_another_exercise_fails_the_audit():
    report = AuditReport((AnswerResult("ex1_sequential", None, (score("ex1_forward", 1),)),),
                         cascades=("audit-03: ex2_values lost points",), seconds=1.0)
    assert not report.ok
    assert "cascade: audit-03: ex2_values lost points" in format_table(report)


def test_audit_names_a_folder_that_is_not_a_course(tmp_path, capsys):
    assert audit.main(["--course", str(tmp_path), "--bank", str(BANK)]) == 2
    assert "is not an nbgrader course folder: it needs nbgrader_config.py" in capsys.readouterr().err


@pytest.mark.slow
@pytest.mark.parametrize("run", ["audit_run", "audit_run_trusted"])
def test_audit_catches_every_wrong_answer_and_passes_every_right_one(run, request):
    """Stock nbgrader and trusted mode each grade the whole bank: 100% of mistakes caught with a message,
    100% of right answers passed."""
    audit_run = request.getfixturevalue(run)
    assert audit_run.status == 0, audit_run.table
    assert audit_run.results["ok"] and not audit_run.results["cascades"]
    bank = load_bank(BANK)
    assert {(r["cell"], r["answer"]) for r in audit_run.results["results"] if r["answer"] != "instructor solution"} == \
        {(cell, a.name) for cell, answers in bank.items() for a in answers}
    for result in audit_run.results["results"]:
        expected = "passed" if result["expected"] == "right" else "caught"
        assert result["verdict"] == expected, result
    assert "wrong_python_list" in audit_run.table and "instructor solution" in audit_run.table
    assert "wrong answers caught with a teaching message: " in audit_run.table
    assert audit_run.results["grader"].startswith("stock nbgrader" if run == "audit_run" else "trusted mode")


def test_audit_refuses_to_grade_into_a_folder_that_already_holds_files(tmp_path, capsys):
    """Old submissions in the --keep folder would mix into the results."""
    (tmp_path / "old.txt").write_text("left over")
    assert audit.main(["--keep", str(tmp_path)]) == 2
    assert "already holds files; give the audit an empty (or new) folder" in capsys.readouterr().err


def test_audit_needs_at_least_one_grader(capsys):
    assert audit.main(["--jobs", "0"]) == 2
    assert "--jobs must be at least 1" in capsys.readouterr().err


# --- which grader: trusted mode (the course's verifier) or stock nbgrader, on a tiny course of our own --------------
TINY_VERIFIER = '''
import torch
from d2lblocks.i18n import N_
from d2lblocks_grade.verify.checks import Check, failed, passed

WRONG = N_("double({x}) gave {got}, not {want}.")


def judge(challenge, response):
    if response["value"] == 2 * challenge["x"]:
        return passed()
    return failed(WRONG, x=challenge["x"], got=response["value"], want=2 * challenge["x"])


CHECKS = {"ex1_check": Check(probe="main.double", judge=judge,
                             draw=lambda g: {"x": int(torch.randint(3, 99, (1,), generator=g))})}
PROBES = {"main": "def double(challenge, answers):\\n    return {'value': answers['double'](challenge['x'])}\\n"}
'''
TINY_ASSIGNMENT = "doubling"


def nbgrader_cell(source: str, grade_id: str, solution: bool = False, grade: bool = False):
    meta = {"grade_id": grade_id, "solution": solution, "grade": grade, "locked": not solution,
            "schema_version": 3, "task": False}
    if grade:
        meta["points"] = 1
    return nbformat.v4.new_code_cell(source, metadata={"nbgrader": meta})


def tiny_course(root: Path, verifier: bool = True) -> Path:
    """An nbgrader course of one exercise (write double(x)), with a verifier unless told not to, and a bank."""
    write(root / "nbgrader_config.py", 'c = get_config()  # noqa: F821\nc.CourseDirectory.course_id = "tiny"\n'
                                       "c.ExecutePreprocessor.timeout = 30\n")
    notebook = nbformat.v4.new_notebook(metadata={"d2lblocks": {"verifier": "tiny"}} if verifier else {})
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    notebook.cells = [
        nbgrader_cell("import math", "setup"),
        nbgrader_cell("def double(x):\n    ### BEGIN SOLUTION\n    return 2 * x\n    ### END SOLUTION", "ex1_double",
                      solution=True),
        nbgrader_cell('assert double(2) == 4, "double(2) should be 4"\n### BEGIN HIDDEN TESTS\n'
                      'assert double(-7) == -14, "double(-7) should be -14"\n### END HIDDEN TESTS', "ex1_check",
                      grade=True)]
    (root / "source" / TINY_ASSIGNMENT).mkdir(parents=True)
    nbformat.write(notebook, root / "source" / TINY_ASSIGNMENT / f"{TINY_ASSIGNMENT}.ipynb")
    write(root / "verifiers" / "tiny" / "__init__.py", TINY_VERIFIER)
    write(root / "audit" / "ex1_double" / "right_sum.py", "# Adds x to itself.\ndef double(x):\n    return x + x\n")
    write(root / "audit" / "ex1_double" / "wrong_triple.py", "# Triples x.\ndef double(x):\n    return 3 * x\n")
    return root


class FakeGrader:
    """Stands in for a grader: gives every test full marks and says which grader it replaces."""

    def __init__(self, label: str, course) -> None:
        self.label = label
        self.source = nbformat.read(next((Path(course) / "source").rglob("*.ipynb")), as_version=4)

    def release(self):
        return self.source

    def grade(self, notebooks):
        return {student: {"ex1_check": score("ex1_check", 1)} for student in notebooks}


@pytest.fixture
def fake_graders(monkeypatch):
    monkeypatch.setattr(audit, "StockGrader", lambda course, *args: FakeGrader("fake stock", course))
    monkeypatch.setattr(trusted, "TrustedGrader", lambda course, *args: FakeGrader("fake trusted", course.root))


def test_trusted_mode_is_the_default_for_an_assignment_with_a_verifier(tmp_path, fake_graders):
    assert audit.run_audit(tiny_course(tmp_path / "course")).grader == "fake trusted"


def test_stock_nbgrader_is_the_default_for_an_assignment_without_one(tmp_path, fake_graders):
    assert audit.run_audit(tiny_course(tmp_path / "course", verifier=False)).grader == "fake stock"


def test_either_grader_can_be_chosen(tmp_path, fake_graders):
    course = tiny_course(tmp_path / "course")
    assert audit.run_audit(course, grader="stock").grader == "fake stock"
    assert audit.run_audit(course, grader="trusted").grader == "fake trusted"


def test_a_bad_grader_is_refused_with_the_choices(capsys):
    assert audit.main(["--grader", "fast"]) == 2
    err = capsys.readouterr().err
    assert "--grader must be 'trusted' (" in err and "or 'stock' (stock nbgrader" in err and "got 'fast'" in err
    with pytest.raises(ValueError, match=r"--grader must be 'trusted' .* or 'stock' .*got 'fast'"):
        audit.run_audit(COURSE, grader="fast")


def test_trusted_mode_without_a_verifier_says_to_use_stock(tmp_path, capsys):
    assert audit.main(["--course", str(tiny_course(tmp_path / "course", verifier=False)), "--grader", "trusted"]) == 2
    assert "--grader trusted needs a verifier" in capsys.readouterr().err


def test_a_broken_verifier_is_named_and_stock_suggested_by_default(tmp_path, capsys):
    course = tiny_course(tmp_path / "course")
    write(course / "verifiers" / "tiny" / "__init__.py", "CHECKS = {}\nPROBES = {}\n")
    assert audit.main(["--course", str(course)]) == 2
    err = capsys.readouterr().err
    assert "no check for the test cell(s) ex1_check" in err and "pass --grader stock" in err


@pytest.mark.parametrize("cell, error, message", [
    (CellResult("t", 1.0, 1.0), "", ""),
    (CellResult("t", 0.0, 1.0, GRADED, "AssertionError: double(3) gave 9, not 6.\nSecond line."),
     "AssertionError", "double(3) gave 9, not 6."),
    (CellResult("t", 0.0, 1.0, GRADED, "AssertionError (the test gives no message; compare ...)"),
     "failure", "AssertionError (the test gives no message; compare ...)"),
    (CellResult("t", 0.0, 1.0, NO_RESPONSE, "AssertionError: This test sent nothing back"),
     NO_RESPONSE, "AssertionError: This test sent nothing back"),
    (CellResult("t", 0.0, 1.0, TIMEOUT, "the notebook ran past its time limit"), TIMEOUT,
     "the notebook ran past its time limit"),
])
def test_a_trusted_result_becomes_the_score_the_table_reads(cell, error, message):
    """Only a failure the judges explained counts as taught; the grader's own reasons never do."""
    got = trusted.cell_score(cell)
    assert (got.error, got.message, got.passed) == (error, message, not error)


@pytest.mark.slow
def test_trusted_audit_catches_a_wrong_answer_with_the_judges_message(tmp_path, capsys):
    """The default for a course with a verifier: sandboxed kernels send data, the course's judge explains."""
    course = tiny_course(tmp_path / "course")
    status = audit.main(["--course", str(course), "--keep", str(tmp_path / "kept"), "--json", str(tmp_path / "a.json")])
    table = capsys.readouterr().out
    results = json.loads((tmp_path / "a.json").read_text())
    assert status == 0, table
    assert results["grader"].startswith("trusted mode (verifier tiny") and "graded by trusted mode" in table
    verdicts = {r["answer"]: (r["verdict"], r["tests"][0]["message"]) for r in results["results"]}
    assert verdicts["instructor solution"] == ("passed", "") and verdicts["right_sum"] == ("passed", "")
    verdict, message = verdicts["wrong_triple"]
    assert verdict == "caught" and message.startswith("double(") and ", not " in message, table
    assert f"ex1_check: {message}" in table
    # no committed release: one generate_assignment made it; each executed notebook is kept
    release = nbformat.read(tmp_path / "kept" / "release-copy" / "release" / TINY_ASSIGNMENT /
                            f"{TINY_ASSIGNMENT}.ipynb", as_version=4)
    assert (tmp_path / "kept" / "autograded" / "audit-02" / TINY_ASSIGNMENT / f"{TINY_ASSIGNMENT}.ipynb").is_file()
    loaded = load_course(course, TINY_ASSIGNMENT)
    assert trusted.is_current(release, loaded)
    release.cells[-1].source += "\nassert double(0) == 0"
    assert not trusted.is_current(release, loaded)


@pytest.mark.slow
def test_stock_nbgrader_still_grades_the_bank_when_asked(tmp_path, capsys):
    course = tiny_course(tmp_path / "course")
    status = audit.main(["--course", str(course), "--grader", "stock", "--json", str(tmp_path / "a.json")])
    table = capsys.readouterr().out
    results = json.loads((tmp_path / "a.json").read_text())
    assert status == 0, table
    assert "graded by stock nbgrader" in table and results["grader"].startswith("stock nbgrader")
    wrong = next(r for r in results["results"] if r["answer"] == "wrong_triple")
    assert wrong["verdict"] == "caught" and wrong["tests"][0]["message"] == "double(2) should be 4"
