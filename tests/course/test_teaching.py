"""The assignment's visible tests teach: they catch the known mistakes, say what is wrong and where to read,
and keep the concrete fix for hint(), which gives it only after the same test has failed twice.

These run the release's cells in this process (no kernel, no nbgrader), so they are quick; the audit
(tests/grade/test_audit.py) grades the same bank with stock nbgrader, hidden tests included.
"""
from __future__ import annotations

import contextlib
import io
import re

import nbformat
import pytest
from project_paths import ROOT

from d2lblocks_grade.audit.bank import load_bank

COURSE = ROOT / "exercises"
SOURCE = COURSE / "source" / "layers-and-blocks" / "layers-and-blocks.ipynb"
RELEASE = COURSE / "release" / "layers-and-blocks" / "layers-and-blocks.ipynb"
BANK = load_bank(COURSE / "audit")
HIDDEN = re.compile(r"### BEGIN HIDDEN TESTS\n.*?### END HIDDEN TESTS\n?", re.S)
# The one-line answers: a first failure must not paste them (hint() may, after a second failure).
ANSWERS = ("for block in self._modules.values()", "self.add_module(str(i), block)", "torch.cat((self.net1(X), self.net2(X))",
           "[block_factory() for _ in range(n)]", "register_buffer('rand_weight', torch.rand(20, 20))")
SEE = re.compile(r"See (notebooks/[\w.-]+\.ipynb), section '([^']+)'")


def cells(path) -> dict[str, str]:
    return {c.metadata["nbgrader"]["grade_id"]: c.source for c in nbformat.read(path, as_version=4).cells
            if "nbgrader" in c.metadata}


RELEASED = cells(RELEASE)
TESTS = [gid for gid, c in ((c.metadata["nbgrader"]["grade_id"], c) for c in nbformat.read(RELEASE, as_version=4).cells
                            if "nbgrader" in c.metadata) if c.metadata["nbgrader"].get("points") and c.cell_type == "code"]


def headings(notebook: str) -> set[str]:
    nb = nbformat.read(ROOT / notebook, as_version=4)
    return {line.lstrip("#").strip() for c in nb.cells if c.cell_type == "markdown"
            for line in c.source.splitlines() if line.startswith("#")}


def student_session(answers: dict[str, str]) -> dict:
    """A kernel's namespace after the setup cell and the given answer cells (the instructor's for the others)."""
    namespace: dict = {"__name__": "__main__"}
    solutions = {gid: re.sub(r"[ \t]*### (BEGIN|END) SOLUTION\n", "", src + "\n") for gid, src in cells(SOURCE).items()}
    with contextlib.redirect_stdout(io.StringIO()):
        exec(RELEASED["setup"], namespace)
        for gid in ("ex1_sequential", "ex2_parallel", "ex3_factory", "ex3_network", "ex4_constant"):
            with contextlib.suppress(Exception):  # a cell that raises leaves the kernel running, as in Jupyter
                exec(answers.get(gid, solutions[gid]), namespace)
    return namespace


def visible_failures(namespace: dict, exercise: str) -> dict[str, BaseException]:
    failures = {}
    for test in (t for t in TESTS if t.startswith(exercise + "_")):
        try:
            with contextlib.redirect_stdout(io.StringIO()):
                exec(HIDDEN.sub("", RELEASED[test]), namespace)
        except BaseException as error:  # noqa: BLE001 -- the test below says what any failure must be
            failures[test] = error
    return failures


def wrong_answers():
    return [pytest.param(answer, id=f"{cell}/{answer.name}") for cell, answers in BANK.items()
            for answer in answers if not answer.correct]


def test_the_notebooks_children_loop_fails_the_visible_forward_test_and_names_the_mistake():
    """MySequential(l, l)(X) must equal l(l(X)); the old children() loop runs l once and is told why."""
    answer = next(a for a in BANK["ex1_sequential"] if a.name == "wrong_children")
    failures = visible_failures(student_session({"ex1_sequential": answer.source}), "ex1")
    message = str(failures["ex1_forward"])
    assert isinstance(failures["ex1_forward"], AssertionError)
    assert "MySequential(layer, layer)(X) ran the block passed twice only once" in message
    assert "children() and named_children() de-duplicate" in message and "self._modules" in message
    assert "See notebooks/01-layers-and-blocks.ipynb, section 'The Sequential block'" in message


@pytest.mark.parametrize("answer", wrong_answers())
def test_a_visible_failure_teaches_without_pasting_the_answer(answer):
    """Each first failure is an AssertionError that names a real notebook section and leaves the fix to hint()."""
    exercise = answer.cell.split("_")[0]
    failures = visible_failures(student_session({answer.cell: answer.source}), exercise)
    for test, error in failures.items():
        message = str(error)
        assert isinstance(error, AssertionError), f"{test}: {type(error).__name__}: {message}"
        assert not [line for line in ANSWERS if line in message], f"{test} pastes the answer: {message}"
        for notebook, section in SEE.findall(message):
            assert section in headings(notebook), f"{test} names a section {notebook} lacks: {section!r}"
        assert "hint(" in message or "not written yet" in message or "course library's version" in message, \
            f"{test} offers no hint: {message}"


def test_hint_gives_the_concrete_fix_only_after_the_same_test_failed_twice():
    answer = next(a for a in BANK["ex2_parallel"] if a.name == "wrong_stack")
    namespace = student_session({"ex2_parallel": answer.source})
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        namespace["hint"]("ex2")
    assert "No test of ex2 has failed" in printed.getvalue()

    first = str(visible_failures(namespace, "ex2")["ex2_shape"])
    assert first.endswith('Stuck after your next try? Run hint("ex2") in a new cell.')
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        namespace["hint"]("ex2")
    assert "It has failed once" in printed.getvalue() and "torch.cat" not in printed.getvalue()

    second = str(visible_failures(namespace, "ex2")["ex2_shape"])
    assert 'This check has failed 2 times now: run hint("ex2")' in second
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        namespace["hint"](2)
    assert "Concrete fix: `return torch.cat((self.net1(X), self.net2(X)), dim=-1)`" in printed.getvalue()


def test_the_instructions_requirements_have_visible_tests():
    """Parallel's registration and replicate's one factory call per copy are checked where students see them."""
    assert 'expect_registered(par, [net1, net2], "Parallel")' in HIDDEN.sub("", RELEASED["ex2_registration"])
    visible = HIDDEN.sub("", RELEASED["ex3_independent"])
    assert "replicate(counting_factory, 3)" in visible and "len(made) == 3" in visible
    assert "MySequential(layer, layer)" in RELEASED["about_ex1"] and "[layer, layer]" in HIDDEN.sub("", RELEASED["ex1_forward"])


def test_every_test_cell_names_itself_and_hidden_tests_offer_no_hint():
    """checking(grade id) routes hint(); hidden failures are read in feedback, where hint() cannot help."""
    for test, source in cells(SOURCE).items():
        if test not in TESTS:
            continue
        visible, hidden = HIDDEN.sub("", source), "".join(HIDDEN.findall(source))
        assert f'checking("{test}")' in visible or visible.count("\n") <= 1, test
        assert not hidden or f'checking("{test}", hints=False)' in hidden, test


def test_the_written_exercise_has_a_rubric_for_graders():
    source = cells(SOURCE)
    assert "exercises/RUBRIC.md" in source["ex1_explain"]
    rubric = (COURSE / "RUBRIC.md").read_text()
    assert "`ex1_explain`" in rubric and "225" in rubric and "['out.weight', 'out.bias']" in rubric
    assert "RUBRIC" not in "".join(RELEASED.values())
    # the question asks for a prediction the notebooks do not print verbatim
    assert "self.hidden = [nn.Linear(8, 8) for _ in range(3)]" in RELEASED["about_ex1_explain"]


def test_passing_test_cells_display_nothing():
    """A test cell whose last line has a value would print it (and set IPython's `_`, which the grader treats as tampering)."""
    import ast

    namespace = student_session({})
    source = cells(SOURCE)
    for test in TESTS:
        body = ast.parse(re.sub(r"[ \t]*### (BEGIN|END) HIDDEN TESTS\n", "", source[test] + "\n"))
        last = body.body.pop() if isinstance(body.body[-1], ast.Expr) else None
        with contextlib.redirect_stdout(io.StringIO()) as printed:
            exec(compile(body, test, "exec"), namespace)
            value = eval(compile(ast.Expression(last.value), test, "eval"), namespace) if last else None
        assert value is None and printed.getvalue() == "", test
