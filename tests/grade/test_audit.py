"""The audit: the assignment's tests must catch every known-wrong answer and pass every known-right one."""
from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from project_paths import ROOT

from d2lblocks_grade.audit import run as audit
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
def test_audit_catches_every_wrong_answer_and_passes_every_right_one(audit_run):
    """Stock nbgrader grades the whole bank: 100% of mistakes caught with a message, 100% of right answers passed."""
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


def test_audit_refuses_to_grade_into_a_folder_that_already_holds_files(tmp_path, capsys):
    """Old submissions in the --keep folder would mix into the results."""
    (tmp_path / "old.txt").write_text("left over")
    assert audit.main(["--keep", str(tmp_path)]) == 2
    assert "already holds files; give the audit an empty (or new) folder" in capsys.readouterr().err


def test_audit_needs_at_least_one_grader(capsys):
    assert audit.main(["--jobs", "0"]) == 2
    assert "--jobs must be at least 1" in capsys.readouterr().err
