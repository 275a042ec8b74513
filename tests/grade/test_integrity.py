"""Integrity checks: tests run against pristine tools, and any change a submission makes is named."""
from __future__ import annotations

import json

import nbformat
import pytest
import torch
from hostile import course

from d2lblocks_grade.datatypes import CellResult
from d2lblocks_grade.integrity import instrument as integrity
from d2lblocks_grade.integrity.harness import MIME


def harness(published):
    ns = {"__name__": integrity.HARNESS_TAG}
    exec(integrity.HARNESS_SOURCE, ns)
    return ns


@pytest.fixture
def installed():
    """The harness installed in this very process, publishing into a list."""
    published = []
    ns = harness(published)
    key = "_d2lb_test_harness"
    ns["install"](key, ["torch", "torch.testing", "math"], "import torch\nfrom torch import nn",
                  "n0", publish=lambda payload: published.append(json.loads(payload)))
    import sys
    yield sys.modules[key], published
    sys.modules.pop(key, None)


def test_a_replaced_comparison_is_named_and_the_real_one_restored(installed):
    """torch.allclose replaced by a lambda is reported and put back before the test runs."""
    state, published = installed
    real = torch.allclose
    torch.allclose = lambda *a, **k: True
    try:
        state.check("n1")
    finally:
        torch.allclose = real if torch.allclose is not real else torch.allclose
    marker = published[-1]
    assert marker["nonce"] == "n1"
    assert "torch.allclose was replaced" in marker["findings"]
    assert torch.allclose is real
    assert marker["digest"] == published[0]["digest"]


def test_an_added_tensor_operator_is_named_and_removed(installed):
    state, published = installed
    torch.Tensor.__matmul_evil__ = lambda self, other: True
    state.check("n1")
    assert "torch.Tensor.__matmul_evil__ was added" in published[-1]["findings"]
    assert not hasattr(torch.Tensor, "__matmul_evil__")


def test_an_untouched_process_reports_nothing(installed):
    state, published = installed
    state.check("n1")
    assert published[-1]["findings"] == [] and published[-1]["digest"] == published[0]["digest"]


def test_a_rewritten_snapshot_is_caught_by_the_digest_taken_before_student_code(installed):
    """Even a submission that swaps the stored original for its fake is caught out of process."""
    state, published = installed
    real = torch.allclose
    fake = lambda *a, **k: True  # noqa: E731
    state.snapshot.module_attrs["torch"]["allclose"] = fake
    torch.allclose = fake
    try:
        state.check("n1")
        assert published[-1]["findings"] == []  # the in-process comparison was fooled...
        assert published[-1]["digest"] != published[0]["digest"]  # ...the grader's digest is not
    finally:
        torch.allclose = real


def executed_markers(plan, findings_for=None, skip=()):
    """An instrumented fixture notebook whose harness cells carry markers, as a kernel would leave them."""
    nb, plan2 = plan
    for cell in nb.cells:
        if not cell.metadata.get(integrity.HARNESS_TAG):
            continue
        nonce = next(n for n in [plan2.install_nonce, *plan2.checks] if repr(n) in cell.source)
        if nonce in skip:
            continue
        grade_id = plan2.checks.get(nonce, ("", ""))[0]
        payload = {"nonce": nonce, "digest": "d0",
                   "findings": ["torch.equal was replaced"] if grade_id == findings_for else [], "notes": []}
        cell.outputs = [nbformat.v4.new_output("display_data", data={MIME: json.dumps(payload)})]
    return nb, plan2


def test_instrument_puts_the_install_cell_first_and_checks_around_every_test():
    nb, plan = integrity.instrument(course.master())
    kinds = ["H" if c.metadata.get(integrity.HARNESS_TAG) else c.metadata.nbgrader["grade_id"] for c in nb.cells]
    assert kinds == ["H", "imports", "ex1_answer", "H", "ex1_test", "H", "ex2_answer", "H", "ex2_test", "H"]
    assert plan.tests == ["ex1_test", "ex2_test"] and len(plan.checks) == 4
    assert len({*plan.checks, plan.install_nonce}) == 5  # every nonce is fresh


def test_the_first_tampered_test_and_all_later_ones_score_zero():
    nb, plan = executed_markers(integrity.instrument(course.master()), findings_for="ex2_test")
    clean, verdict = integrity.read_verdict(nb, plan)
    assert verdict.tampered_tests == ["ex2_test"]
    assert verdict.findings == ["torch.equal was replaced (before test ex2_test)",
                                "torch.equal was replaced (after test ex2_test)"]
    assert not any(c.metadata.get(integrity.HARNESS_TAG) for c in clean.cells)
    cells = integrity.apply_verdict([CellResult("ex1_test", 1.0, 1.0), CellResult("ex2_test", 1.0, 1.0)], verdict)
    assert [(c.score, c.status) for c in cells] == [(1.0, "graded"), (0.0, "tampered")]


def test_a_check_that_never_reported_is_tampering_unless_the_kernel_died():
    built = integrity.instrument(course.master())
    silent = next(n for n, (gid, phase) in built[1].checks.items() if gid == "ex1_test" and phase == "after")
    nb, plan = executed_markers(built, skip={silent})
    _, verdict = integrity.read_verdict(nb, plan)
    assert verdict.tampered_tests == ["ex1_test", "ex2_test"]
    assert "never reported" in verdict.findings[0]
    _, died = integrity.read_verdict(nb, plan, kernel_died=True)
    assert died.findings == [] and died.silent_tests == ["ex1_test"]


def test_a_forged_marker_with_a_wrong_digest_is_tampering():
    nb, plan = executed_markers(integrity.instrument(course.master()))
    for cell in nb.cells[3:]:
        for out in cell.get("outputs", []):
            out["data"][MIME] = out["data"][MIME].replace('"d0"', '"forged"')
    _, verdict = integrity.read_verdict(nb, plan)
    assert any("pristine references were altered" in f for f in verdict.findings)


def test_framework_imports_come_from_non_answer_cells_only():
    nb = course.master()
    nb.cells[1].source = "import numpy as np\n" + nb.cells[1].source  # an answer cell's import
    assert integrity.framework_imports(nb) == "import torch\nfrom torch import nn"


def test_instrument_names_a_wrong_argument():
    with pytest.raises(TypeError, match="nbformat NotebookNode"):
        integrity.instrument({"cells": []})


def test_code_too_deep_to_parse_is_skipped_not_a_crash_even_from_many_threads():
    """Grading threads share the coordinator's parser; hostile nesting must cost nothing but that cell's imports."""
    from concurrent.futures import ThreadPoolExecutor

    deep = "x = " + "(" * 5000 + "1" + ")" * 5000
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(deep), nbformat.v4.new_code_cell("import math")])
    with ThreadPoolExecutor(8) as pool:
        found = list(pool.map(lambda _: integrity.framework_imports(nb), range(16)))
    assert found == ["import math"] * 16
