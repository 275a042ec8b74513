"""Notebook 01's efficiency section concludes only what its own measurements show, and runs anywhere.

The sentences under each measurement are computed by functions defined in the notebook; here they are fed
made-up numbers both ways, so a sentence can only say "faster" when the numbers do. No test here times
anything: the notebook measures, the tests check that its words follow its numbers.
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from notebook_code import NOTEBOOK_DIR, definitions, read  # noqa: E402

sys.path.insert(0, str(NOTEBOOK_DIR))
import run_notebooks  # noqa: E402

TAUGHT = definitions("01-layers-and-blocks")

# Claims about speed that no measurement on an arbitrary machine can back unconditionally.
UNCONDITIONAL_CLAIMS = ["removes much of", "hardly changes", "speeds up", "is much faster", "always faster",
                        "gains grow"]
# torch._dynamo's own wording for a graph break; it changes between torch releases.
PRIVATE_DYNAMO_WORDING = ["generic_jump", "TensorVariable"]


def prose(name: str = "01-layers-and-blocks") -> str:
    return "\n".join(c.source for c in read(name).cells if c.cell_type == "markdown")


def flat(sentence: str) -> str:
    return " ".join(sentence.split())


# --- batch size ---------------------------------------------------------------------------------

def test_a_call_dominated_by_a_fixed_price_is_described_as_overhead():
    """256x the batch for 1.6x the time: the sentence says most of a small call is a fixed price."""
    said = flat(TAUGHT["batch_verdict"]({1: 100.0, 16: 104.0, 256: 160.0}, blocks=9))
    assert said.startswith("A batch 256x larger took 1.6x as long per call.")
    assert "100 us per call plus 0.24 us per example" in said  # the straight line through both ends
    assert "mostly a fixed price per call" in said and "most of its time on arithmetic" not in said


def test_a_call_dominated_by_arithmetic_is_described_as_arithmetic():
    """When most of a batch-1 call is per-example work, the sentence says so instead."""
    said = flat(TAUGHT["batch_verdict"]({1: 10.0, 16: 100.0, 256: 1500.0}, blocks=9))
    assert "most of its time on arithmetic" in said and "mostly a fixed price" not in said


def test_time_in_proportion_to_the_batch_is_described_as_no_visible_overhead():
    said = flat(TAUGHT["batch_verdict"]({1: 10.0, 16: 160.0, 256: 2560.0}, blocks=9))
    assert "256x larger took 256.0x" in said and "in proportion" in said and "too small to see" in said


def test_a_larger_batch_that_is_no_slower_is_described_as_all_fixed_price():
    said = flat(TAUGHT["batch_verdict"]({1: 100.0, 16: 95.0, 256: 98.0}, blocks=9))
    assert "no slower" in said and "all fixed price" in said


def test_a_single_batch_size_asks_for_a_second_instead_of_concluding():
    said = TAUGHT["batch_verdict"]({16: 100.0}, blocks=9)
    assert "at least two batch sizes" in said and "fixed price" not in said


# --- compiled vs eager --------------------------------------------------------------------------

@pytest.mark.parametrize("eager, compiled, ratio, word", [
    (300.0, 100.0, "3.00x", "faster"),
    (300.0, 700.0, "0.43x", "slower"),
    (300.0, 290.0, "1.03x", "about the same"),
    (300.0, 310.0, "0.97x", "about the same"),
])
def test_the_compile_sentence_says_faster_or_slower_as_the_numbers_do(eager, compiled, ratio, word):
    """The row's sentence quotes the measured ratio and draws the conclusion that ratio supports."""
    said = flat(TAUGHT["compile_verdict"]("chimera", eager, compiled, call_cost_us=40.0, graph_breaks=0))
    assert said.startswith("chimera: compiled ran ") and f"{ratio} as fast as eager" in said
    assert word in said
    assert [other for other in {"faster", "slower", "about the same"} - {word} if other in said] == []


def test_a_slower_compiled_model_is_explained_by_measured_costs_only_those_it_has():
    """The explanation names the measured per-call cost, and graph breaks only where the model has them."""
    verdict = TAUGHT["compile_verdict"]
    with_breaks = flat(verdict("chimera", 300.0, 700.0, call_cost_us=62.4, graph_breaks=2))
    without = flat(verdict("loop-free chimera", 300.0, 700.0, call_cost_us=62.4, graph_breaks=0))
    assert "~62 us" in with_breaks and "graph break" in with_breaks
    assert "~62 us" in without and "graph break" not in without


@pytest.mark.parametrize("with_breaks, without, word", [
    (0.44, 0.86, "helped"), (1.5, 1.0, "did not help"), (0.9, 0.95, "about the same"),
])
def test_the_graph_break_sentence_compares_the_two_measured_ratios(with_breaks, without, word):
    said = flat(TAUGHT["graph_break_verdict"](with_breaks, without))
    assert word in said and f"{with_breaks:.2f}x" in said and f"{without:.2f}x" in said
    if word == "helped":
        assert "did not help" not in said


# --- the prose -----------------------------------------------------------------------------------

def test_the_prose_makes_no_unconditional_speed_claim():
    """Whether compiling or batching pays is left to the measured sentences and the reader's own table."""
    text = prose().lower()
    assert [claim for claim in UNCONDITIONAL_CLAIMS if claim in text] == []
    assert prose().count("What did your table show?") >= 2  # after the batch sizes and in the summary
    summary = prose().split("## Summary")[1].split("## Exercises")[0]
    assert "torch.compile" in summary and "depends on the model and the device" in summary


def test_the_prose_quotes_no_internal_torch_dynamo_wording():
    """The graph-break reason is printed from explain() for the torch version in use, never hard-coded."""
    assert [word for word in PRIVATE_DYNAMO_WORDING if word in prose()] == []
    code = "\n".join(c.source for c in read("01-layers-and-blocks").cells if c.cell_type == "code")
    assert "reason.reason" in code and 'print("torch", torch.__version__)' in code


# --- no C++ compiler -----------------------------------------------------------------------------

@pytest.mark.slow
def test_without_a_working_compiler_notebook_01_runs_to_the_end_and_says_why(monkeypatch):
    """torch.compile cannot build code without a C++ compiler: the notebook says so and skips those columns."""
    monkeypatch.setenv("CXX", "/nonexistent/c++")
    monkeypatch.setenv("CC", "/nonexistent/cc")
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "")  # the CPU path, where the C++ compiler is needed
    run = run_notebooks.execute_notebook(NOTEBOOK_DIR / "01-layers-and-blocks.ipynb")
    cells = [c for c in run.notebook.cells if c.cell_type == "code"]
    assert [o for c in cells for o in c.outputs if o.output_type == "error"] == []
    text = flat("".join(o.text for c in cells for o in c.outputs if o.output_type == "stream" and o.name == "stdout"))
    assert "torch.compile cannot generate code here" in text and "C++ compiler" in text
    assert "the compiled columns below are skipped" in text
    assert re.search(r"chimera [\d.]+ skipped - loop-free chimera [\d.]+ skipped -", text)
    assert re.search(r"graph breaks: [1-9]", text)  # explain() generates no code, so it needs no compiler
    assert "Traceback" not in text
