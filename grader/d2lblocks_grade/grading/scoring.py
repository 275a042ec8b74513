"""Score an executed notebook exactly as stock nbgrader does, and say why a test lost points.

Scores come from `nbgrader.utils.determine_grade` itself (an error output or
anything on stderr scores 0; a numeric result is partial credit), so an honest
submission gets the same grade here as from `nbgrader autograde`. On top we
record a status and a reason per cell.

Example::

    >>> cells = score_notebook(executed_nb, Execution(), overrides={})   # doctest: +SKIP
    >>> cells[0].grade_id, cells[0].score, cells[0].reason               # doctest: +SKIP
    ('ex1_test_sequential', 0.0, 'AssertionError: MySequential must register its blocks ...')
"""

from __future__ import annotations

from nbgrader import utils

from d2lblocks.i18n import N_, translate
from d2lblocks_grade.datatypes import CRASHED, GRADED, NEEDS_GRADING, TIMEOUT, CellResult
from d2lblocks_grade.integrity.assemble import tests_of
from d2lblocks_grade.kernel.execute import Execution
from d2lblocks_grade.notebook_cells import strip_ansi

SLOW_ANSWER = N_("your answer cell {answer} ran past the cell time limit and was stopped "
                 "(an endless loop, or far too much work); its tests could not pass")
NO_MESSAGE = N_("{ename} (the test gives no message; compare your code with the exercise text)")
WROTE_TO_STDERR = N_("the test wrote to stderr, which counts as a failure: {line}")
WRITTEN_ANSWER = N_("written answer; grade it in formgrader")
NO_RESPONSE_WRITTEN = N_("no response: the cell is unchanged")
STOPPED_BEFORE = N_("an earlier cell ignored the interrupt at its time limit, so the kernel was stopped "
                    "before this test ran")
RAN_OUT_BEFORE = N_("the notebook ran past its time limit before this test ran")


def failure_reason(cell, language: str = "en") -> str:
    """The teaching message of a failed test: the error's own message, never its traceback."""
    for out in cell.get("outputs", []):
        if out.get("output_type") == "error":
            ename, evalue = out.get("ename", "Error"), strip_ansi(str(out.get("evalue", ""))).strip()
            return f"{ename}: {evalue}" if evalue else translate(NO_MESSAGE, language, ename=ename)
        if out.get("output_type") == "stream" and out.get("name") == "stderr":
            first = strip_ansi("".join(out.get("text", ""))).strip().splitlines()[:1]
            return translate(WROTE_TO_STDERR, language, line=first[0] if first else "")
    return ""


def manual_result(cell, language: str = "en") -> CellResult:
    gid = cell.metadata.nbgrader["grade_id"]
    score, max_score = utils.determine_grade(cell)
    if score is None:
        return CellResult(gid, None, max_score, NEEDS_GRADING, translate(WRITTEN_ANSWER, language),
                          kind="manual")
    return CellResult(gid, float(score), max_score, GRADED, translate(NO_RESPONSE_WRITTEN, language),
                      kind="manual")


def _timed_out_answers(nb, execution: Execution, language: str) -> dict[str, str]:
    """Tests whose answer cell hit the cell timeout: they fail because of it, so say so."""
    reasons: dict[str, str] = {}
    for cell in nb.cells:
        if cell.get("id") in execution.timed_out_cells and utils.is_solution(cell):
            gid = cell.metadata.nbgrader["grade_id"]
            for test in tests_of(gid, nb):
                reasons.setdefault(test, translate(SLOW_ANSWER, language, answer=gid))
    return reasons


def score_notebook(nb, execution: Execution, overrides: dict[str, tuple[str, str]],
                   language: str = "en") -> list[CellResult]:
    """One `CellResult` per grade cell of the executed notebook `nb`, in notebook order, its reasons in
    `language`."""
    results = []
    slow_answers = _timed_out_answers(nb, execution, language)
    for cell in nb.cells:
        if not utils.is_grade(cell):
            continue
        if utils.is_solution(cell):
            results.append(manual_result(cell, language))
            continue
        gid = cell.metadata.nbgrader["grade_id"]
        max_score = float(cell.metadata.nbgrader["points"])
        never_ran = cell.get("id") not in execution.ran and bool(execution.timed_out or execution.crashed)
        if gid in overrides:
            status, reason = overrides[gid]
            results.append(CellResult(gid, 0.0, max_score, status, reason, source=cell.source))
        elif gid in slow_answers:
            results.append(CellResult(gid, 0.0, max_score, TIMEOUT, slow_answers[gid], source=cell.source))
        elif cell.get("id") in execution.timed_out_cells:
            results.append(CellResult(gid, 0.0, max_score, TIMEOUT, failure_reason(cell, language), source=cell.source))
        elif never_ran and execution.timed_out:
            reason = translate(STOPPED_BEFORE if execution.stuck_cell is not None else RAN_OUT_BEFORE, language)
            results.append(CellResult(gid, 0.0, max_score, TIMEOUT, reason, source=cell.source))
        elif never_ran:
            results.append(CellResult(gid, 0.0, max_score, CRASHED, execution.crashed, source=cell.source))
        else:
            score, _ = utils.determine_grade(cell)
            score = float(score)
            reason = failure_reason(cell, language) if score < max_score else ""
            results.append(CellResult(gid, score, max_score, GRADED, reason, source=cell.source))
    return results
