"""The trusted mode's parts: the plain-data format, loading a course's verifier, judging what a kernel sent."""
from __future__ import annotations

import base64
import json

import nbformat
import pytest
import torch

from d2lblocks_grade.datatypes import NO_RESPONSE, VerifierFiles
from d2lblocks_grade.verify import course_verifier
from d2lblocks_grade.verify.course_verifier import VerifierError, read_verifier
from d2lblocks_grade.verify.judging import judge_all
from d2lblocks_grade.verify.kernel_side import MIME, load_package
from d2lblocks_grade.verify.plan import make_plan, restore_tests
from d2lblocks_grade.verify.wire import NotPlainData, dumps, loads

TINY_CHECKS = '''
from d2lblocks.i18n import N_
from d2lblocks_grade.verify.checks import Check, failed, passed
from .probes import MODULES

WRONG = N_("double({x}) gave {got}, not {want}.")


def judge(challenge, response):
    if response["value"] == 2 * challenge["x"]:
        return passed()
    return failed(WRONG, x=challenge["x"], got=response["value"], want=2 * challenge["x"])


CHECKS = {"test_double": Check(probe="main.double", draw=lambda g: {"x": int(torch.randint(1, 99, (1,), generator=g))},
                               judge=judge)}
PROBES = {"main": "def double(challenge, answers):\\n    return {'value': answers['double'](challenge['x'])}\\n"}
CELLS = {"setup": "# graded setup\\n"}
import torch
'''


def tiny_course(tmp_path, checks: str = TINY_CHECKS, name: str = "tiny"):
    folder = tmp_path / "verifiers" / name
    folder.mkdir(parents=True)
    (folder / "__init__.py").write_text(checks)
    (folder / "probes.py").write_text("MODULES = ('main',)\n")
    nb = nbformat.v4.new_notebook(metadata={"d2lblocks": {"verifier": name}})
    nb.cells = [nbformat.v4.new_code_cell("import secrets_of_the_setup", metadata={"nbgrader": {
                    "grade_id": "setup", "locked": True, "solution": False, "grade": False}}),
                nbformat.v4.new_code_cell("def double(x):\n    return 2 * x", metadata={"nbgrader": {
                    "grade_id": "answer", "solution": True, "grade": False, "locked": False}}),
                nbformat.v4.new_code_cell("assert double(2) == 4\n### BEGIN HIDDEN TESTS\nassert double(-7) == -14\n"
                                          "### END HIDDEN TESTS", metadata={"nbgrader": {
                                              "grade_id": "test_double", "grade": True, "solution": False,
                                              "points": 1, "locked": True}})]
    return nb


# --- wire --------------------------------------------------------------------------------------------------------
def test_plain_data_survives_the_round_trip_and_tensors_come_back_plain():
    class Sneaky(torch.Tensor):
        pass

    value = {"out": torch.arange(6.0).reshape(2, 3).as_subclass(Sneaky), "ints": torch.tensor([1, 2]),
             "n": 3, "nested": [None, True, "text", 1.5, (1, 2)], "empty": torch.empty(0, 4)}
    back = loads(dumps(value))
    assert type(back["out"]) is torch.Tensor and back["out"].tolist() == [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]
    assert back["ints"].dtype == torch.int64 and back["nested"] == [None, True, "text", 1.5, [1, 2]]
    assert back["empty"].shape == (0, 4)


@pytest.mark.parametrize("text, problem", [
    ("{not json", "not JSON"),
    ('{"__tensor__": {"dtype": "float32", "shape": [2], "data": "AAAA"}}', "holds 3 bytes"),
    ('{"__tensor__": {"dtype": "object", "shape": [1], "data": ""}}', "dtype"),
    ('{"__tensor__": {"dtype": "float32", "shape": [4096, 4096], "data": ""}}', "more than a response may hold"),
    ('{"__tensor__": {"dtype": "float32", "shape": [-1], "data": ""}}', "non-negative"),
    ("[" * 100 + "]" * 100, "deeper than 32"),
])
def test_anything_but_plain_data_is_refused_with_a_reason(text, problem):
    with pytest.raises(NotPlainData, match=problem):
        loads(text)


def test_a_response_that_is_not_text_is_refused():
    with pytest.raises(NotPlainData, match="JSON text"):
        loads(b"{}")


def test_an_object_that_is_not_data_is_named_not_sent():
    assert loads(dumps({"x": object()}))["x"] == "object"


# --- loading a course's verifier ------------------------------------------------------------------------------------
def test_a_course_verifier_is_read_loaded_and_covers_every_test(tmp_path):
    master = tiny_course(tmp_path)
    files = read_verifier(tmp_path, master)
    assert isinstance(files, VerifierFiles) and "__init__.py" in files.files
    assert sorted(course_verifier.load(files).CHECKS) == ["test_double"]


def test_an_assignment_without_a_verifier_has_none(tmp_path):
    master = tiny_course(tmp_path)
    master.metadata.pop("d2lblocks")
    assert read_verifier(tmp_path, master) is None


@pytest.mark.parametrize("change, message", [
    (lambda tmp, nb: nb.metadata.update(d2lblocks={"verifier": "../etc"}), "a Python identifier"),
    (lambda tmp, nb: nb.metadata.update(d2lblocks={"verifier": "absent"}), "does not exist"),
    (lambda tmp, nb: (tmp / "verifiers/tiny/__init__.py").write_text("CHECKS = {}\nPROBES = {}\n"),
     "no check for the test cell"),
    (lambda tmp, nb: (tmp / "verifiers/tiny/__init__.py").write_text("def broken(:\n"), "cannot be loaded: SyntaxError"),
    (lambda tmp, nb: (tmp / "verifiers/tiny/__init__.py").write_text("CHECKS = {}\n"), "defines no PROBES"),
])
def test_a_wrong_verifier_says_what_to_fix(tmp_path, change, message):
    master = tiny_course(tmp_path)
    change(tmp_path, master)
    with pytest.raises(VerifierError, match=message):
        read_verifier(tmp_path, master)


def test_a_check_for_a_cell_that_is_not_a_test_is_refused(tmp_path):
    master = tiny_course(tmp_path, TINY_CHECKS + "\nCHECKS['answer'] = CHECKS['test_double']\n")
    with pytest.raises(VerifierError, match="not test cells of the assignment"):
        read_verifier(tmp_path, master)


# --- plan and judging ----------------------------------------------------------------------------------------------
def planned(tmp_path):
    master = tiny_course(tmp_path)
    verifier = course_verifier.load(read_verifier(tmp_path, master))
    nb, plan = make_plan(master, verifier)
    return nb, plan, verifier


def respond(cell, plan, body=None, raw=None):
    test = plan.tests[cell["id"]]
    text = raw if raw is not None else dumps({"nonce": test.nonce, "test": test.grade_id, **(body or {})})
    cell.outputs = [nbformat.v4.new_output("display_data", data={MIME: text})]


def test_the_kernel_never_sees_a_test_only_its_challenge(tmp_path):
    nb, plan, _ = planned(tmp_path)
    sources = "\n".join(cell.source for cell in nb.cells)
    assert "double(-7)" not in sources and "assert double(2)" not in sources
    assert "import secrets_of_the_setup" not in sources and "# graded setup" in sources
    assert nb.cells[0]["id"] == plan.runtime_cell_id
    (test,) = plan.tests.values()
    assert json.dumps(test.challenge["x"]) in nb.cells[-1].source
    restore_tests(nb, plan)
    assert nb.cells[-1].source.startswith("assert double(2) == 4") and "double(-7)" not in nb.cells[-1].source
    assert nb.cells[0].source == "import secrets_of_the_setup"


def test_challenges_differ_between_submissions(tmp_path):
    draws = {json.dumps(planned(tmp_path / str(i))[1].tests.popitem()[1].challenge) for i in range(6)}
    assert len(draws) > 1


def test_a_right_response_passes_and_a_wrong_one_fails_with_its_message(tmp_path):
    nb, plan, verifier = planned(tmp_path)
    (test,) = plan.tests.values()
    respond(nb.cells[-1], plan, {"response": {"value": 2 * test.challenge["x"]}})
    verdicts, problems = judge_all(nb, plan, verifier, "en")
    assert verdicts["test_double"].passed and nb.cells[-1].outputs == [] and not problems
    respond(nb.cells[-1], plan, {"response": {"value": 5}})
    verdicts, _ = judge_all(nb, plan, verifier, "en")
    (error,) = nb.cells[-1].outputs
    assert not verdicts["test_double"].passed and error.ename == "AssertionError"
    assert error.evalue == f"double({test.challenge['x']}) gave 5, not {2 * test.challenge['x']}."


@pytest.mark.parametrize("make, reason", [
    (lambda cell, plan: setattr(cell, "outputs", []), "sent nothing back"),
    (lambda cell, plan: respond(cell, plan, raw='{"nonce": "%s"' % plan.tests[cell["id"]].nonce), "could not be read"),
    (lambda cell, plan: cell.outputs.extend(list(cell.outputs)), "sent 2 answers"),
    (lambda cell, plan: respond(cell, plan, raw=dumps({"nonce": "0" * 16, "test": "test_double",
                                                        "response": {"value": 0}}) + plan.tests[cell["id"]].nonce),
     "could not be read"),
])
def test_a_missing_doubled_or_malformed_response_scores_zero_with_a_reason(tmp_path, make, reason):
    nb, plan, verifier = planned(tmp_path)
    (test,) = plan.tests.values()
    respond(nb.cells[-1], plan, {"response": {"value": 2 * test.challenge["x"]}})
    make(nb.cells[-1], plan)
    verdicts, _ = judge_all(nb, plan, verifier, "en")
    assert verdicts["test_double"].outcome == NO_RESPONSE
    assert reason in nb.cells[-1].outputs[0].evalue


def test_a_missing_answer_is_named(tmp_path):
    nb, plan, verifier = planned(tmp_path)
    respond(nb.cells[-1], plan, {"probe_raised": {"type": "Missing", "message": "double"}})
    judge_all(nb, plan, verifier, "en")
    assert nb.cells[-1].outputs[0].evalue.startswith("double is not defined when this test runs")


def test_a_judge_that_breaks_fails_the_test_and_tells_the_instructor(tmp_path):
    nb, plan, verifier = planned(tmp_path)
    respond(nb.cells[-1], plan, {"response": {"unexpected": 1}})
    verdicts, problems = judge_all(nb, plan, verifier, "en")
    assert not verdicts["test_double"].passed and "grader's fault" in nb.cells[-1].outputs[0].evalue
    assert problems and "KeyError" in problems[0]


def test_probes_load_as_a_package_whose_modules_import_each_other():
    package = load_package({"common": "def twice(x):\n    return 2 * x\n",
                            "main": "from .common import twice\n\ndef probe(c, a):\n    return twice(c)\n"},
                           name="probe_package_under_test")
    assert package.main.probe(21, {}) == 42


def test_a_tensor_written_in_the_kernel_is_bytes_the_judge_rebuilds():
    text = dumps({"t": torch.tensor([1.5, -2.0])})
    raw = base64.b64decode(json.loads(text)["t"]["__tensor__"]["data"])
    assert len(raw) == 8 and loads(text)["t"].tolist() == [1.5, -2.0]


def test_nothing_the_real_course_sends_into_the_kernel_holds_a_line_of_its_hidden_tests():
    """Runtime cell (the probes' source), graded setup cell and probe calls: no hidden-test line among them."""
    from project_paths import ASSIGNMENT, COURSE

    from d2lblocks_grade.course.master import hidden_test_lines, load_course

    course = load_course(COURSE, ASSIGNMENT)
    nb, plan = make_plan(course.master, course_verifier.load(course.verifier), course.markers)
    sent = "\n".join(cell.source for cell in nb.cells
                     if cell["id"] in plan.tests or cell["id"] in plan.replaced or cell["id"] == plan.runtime_cell_id)
    hidden = hidden_test_lines(course.master, course.markers)
    assert len(hidden) > 100 and len(plan.tests) == 16
    assert [line for line in hidden if line in sent] == []


def test_tensor_data_that_is_not_base64_is_refused_not_a_grader_failure():
    with pytest.raises(NotPlainData, match="not base64"):
        loads('{"__tensor__": {"dtype": "float32", "shape": [1], "data": "!!!!"}}')
