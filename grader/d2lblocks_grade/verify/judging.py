"""Turn the kernel's responses into test outcomes, in the grader's process.

For each planned test cell: exactly one response of type `kernel_side.MIME` with
the cell's nonce must be among its outputs; it is parsed by `wire.loads` (plain
data only) and handed to the course's judge with the challenge. The cell's
outputs are then replaced by the verdict: nothing when it passed, an
``AssertionError`` carrying the teaching message when it failed, so the executed
notebook, the scores (`grading.scoring`) and the feedback page all show it.

Example::

    >>> verdicts = judge_all(executed_nb, plan, verifier, "en")   # doctest: +SKIP
    >>> verdicts["ex1_forward"].outcome                          # doctest: +SKIP
    'passed'
"""
from __future__ import annotations

import threading
import traceback
import types

import nbformat

from d2lblocks.i18n import N_, Message
from d2lblocks_grade.datatypes import NO_RESPONSE
from d2lblocks_grade.verify.checks import FAILED, Failure, Verdict, render, uses_reference
from d2lblocks_grade.verify.kernel_side import MIME
from d2lblocks_grade.verify.plan import Plan, PlannedTest
from d2lblocks_grade.verify.wire import NotPlainData, loads

NOTHING_SENT = N_("This test sent nothing back to the grader: the kernel stopped, or an earlier cell kept "
                  "this test from running (for example by changing how cells run). Run the notebook top to "
                  "bottom in a fresh kernel and check that every cell finishes.")
SENT_TWICE = N_("This test sent {count} answers to the grader where it sends one, so none of them was "
                "used. Something in your notebook runs code while the tests run (an IPython event hook, a "
                "thread): remove it.")
NOT_DATA = N_("What this test sent back could not be read as plain data ({problem}), so it was not used. "
              "Your blocks must return ordinary torch tensors.")
PROBE_FAILED = N_("Testing your code stopped with {error}. Run your exercise cell again and read its error; "
                  "the exercise text says which names and arguments the test uses.")
MISSING_NAME = N_("{name} is not defined when this test runs: run the cell that defines it (and the cells "
                  "before it) and fix any error it shows. Keep the name the exercise asks for.")
USES_LIBRARY = N_("Your notebook imports the course library d2lblocks, which holds the reference answers and is not "
                  "available while your notebook is graded, so this test could not use your answer. Write your own "
                  "answer to exercise {exercise} with torch and torch.nn only, and remove the import.")
JUDGE_FAILED = N_("The grader could not check this test ({error}); this is the grader's fault, not yours. "
                  "Your instructor has been told.")


# A judge computes the reference answer in this process, seeding torch's global random generator (a seeded dropout
# mask, freshly drawn weights). Submissions graded side by side in threads would draw from that one generator in
# turn and fail right answers; so one judge runs at a time (each takes milliseconds).
_ONE_JUDGE_AT_A_TIME = threading.Lock()


def warm_up_judges() -> None:
    """Pay torch's one-off first calls in this process before the first verdict needs them (under the
    judges' lock: the workload seeds the global generator too)."""
    from d2lblocks_grade.kernel.warm_up import exercise_torch

    with _ONE_JUDGE_AT_A_TIME:
        try:
            exercise_torch()
        except Exception:  # only speed is at stake
            pass


def _responses(cell, planned: PlannedTest) -> list[str]:
    found = []
    for out in cell.get("outputs", []):
        data = out.get("data", {}) if out.get("output_type") in ("display_data", "execute_result") else {}
        text = data.get(MIME)
        if isinstance(text, list):
            text = "".join(text)
        if isinstance(text, str) and planned.nonce in text:
            found.append(text)
    return found


def judge_cell(cell, planned: PlannedTest, verifier: types.ModuleType) -> tuple[Verdict, str | None]:
    """The verdict for one executed probe cell, and a grader-side traceback when a judge broke."""
    texts = _responses(cell, planned)
    if not texts:
        return Verdict(NO_RESPONSE, Message(NOTHING_SENT, {})), None
    if len(texts) > 1:
        return Verdict(NO_RESPONSE, Message(SENT_TWICE, {"count": len(texts)})), None
    try:
        body = loads(texts[0])
        if type(body) is not dict or body.get("nonce") != planned.nonce or body.get("test") != planned.grade_id:
            raise NotPlainData("it does not belong to this test")
    except NotPlainData as bad:
        return Verdict(NO_RESPONSE, Message(NOT_DATA, {"problem": str(bad)})), None
    if "probe_raised" in body:
        raised = body["probe_raised"]
        if isinstance(raised, dict) and raised.get("type") == "Missing":
            return Verdict(FAILED, Message(MISSING_NAME, {"name": str(raised.get("message"))[:80]})), None
        error = f"{raised.get('type')}: {raised.get('message')}" if isinstance(raised, dict) else "an error"
        return Verdict(FAILED, Message(PROBE_FAILED, {"error": error})), None
    try:
        with _ONE_JUDGE_AT_A_TIME:
            return verifier.CHECKS[planned.grade_id].judge(planned.challenge, body.get("response")), None
    except Failure as stop:
        return stop.verdict, None
    except Exception as error:  # a judge meeting a response it did not expect must not pass it
        return (Verdict(FAILED, Message(JUDGE_FAILED, {"error": type(error).__name__})),
                traceback.format_exc(limit=6))


LIBRARY_SIGN = "the course library d2lblocks is not available"  # kernel/unavailable_package's message


def imports_the_library(nb, plan: Plan) -> bool:
    """A cell of the executed notebook (the student's) failed on importing the course library."""
    for cell in nb.cells:
        if cell.get("id") in plan.tests:
            continue
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error" and LIBRARY_SIGN in str(out.get("evalue", "")):
                return True
    return False


def _uses_library(cell, verdict: Verdict, notebook_imports: bool) -> bool:
    if verdict.passed:
        return False
    sent = "".join(str(out.get("data", {}).get(MIME, "")) for out in cell.get("outputs", []))
    return LIBRARY_SIGN in sent or notebook_imports


def judge_all(nb, plan: Plan, verifier: types.ModuleType, language: str) -> tuple[dict[str, Verdict], list[str]]:
    """Judge every planned cell of the executed ``nb`` and write the verdicts into its outputs."""
    verdicts, problems = {}, []
    notebook_imports = imports_the_library(nb, plan)
    for cell in nb.cells:
        planned = plan.tests.get(cell.get("id"))
        if planned is None:
            continue
        verdict, problem = judge_cell(cell, planned, verifier)
        if _uses_library(cell, verdict, notebook_imports):
            exercise = planned.grade_id.split("_")[0].removeprefix("ex")
            verdict = uses_reference(USES_LIBRARY, exercise=exercise)
        if problem:
            problems.append(f"the check of {planned.grade_id} failed inside the grader:\n{problem}")
        verdicts[planned.grade_id] = verdict
        cell.outputs = [] if verdict.passed else [nbformat.v4.new_output(
            "error", ename="AssertionError", evalue=render(verdict.message, language) if verdict.message else "",
            traceback=[])]
    return verdicts, problems
