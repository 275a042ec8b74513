"""Exercise 1, MySequential: challenges, and judges that compare with the course's MySequential."""
from __future__ import annotations

import torch

from d2lblocks.i18n import N_, Message
from d2lblocks_grade.verify.checks import Check, passed

from ..probes import ex1 as probes
from ..reference import ANSWERS
from .common import expect, linear, maybe_tensor, ran_ok, rand, same, see, stop, tensor_of
from .registration import problem

SECTION = N_("The Sequential block")
SUBCLASS = N_("MySequential subclasses nn.Sequential, which already chains blocks, so your class shows nothing about "
              "how chaining works: subclass nn.Module and write __init__ and forward yourself. "
              "See {notebook}, section '{section}'.")
INIT_ADVICE = N_("__init__ must register the blocks it is given.")
RETURN_ADVICE = N_("forward must return the output of the last block.")
REPEATED_ONCE = N_("{label} registers the block passed twice only once, so forward runs it once where nn.Sequential "
                   "runs it twice: a name derived from the block itself (its type, id or str) is the same for both "
                   "positions, and the second registration replaces the first. Name the positions, not the blocks. "
                   "See {notebook}, section '{section}'.")
RECURSED = N_("{label}(X) never finished: forward calls the model itself again and again (RecursionError). "
              "self.modules() yields the model itself before its blocks, so a forward that runs everything in "
              "self.modules() calls itself. Run only the blocks that were passed in, one registered entry per "
              "position. See {notebook}, section '{section}'.")
DEDUPLICATED = N_("{label}(X) ran the block passed twice only once, but nn.Sequential(layer, layer) runs it twice: "
                  "every position of the chain is one step, even when two positions hold the same block (weight "
                  "sharing, like FixedHiddenMLP's linear). children() and named_children() de-duplicate: they yield a "
                  "block registered at two positions once, so a forward that walks them skips the repeat. "
                  "self._modules keeps one entry per position. See {notebook}, section '{section}'.")
REVERSED = N_("{label}(X) runs its blocks last to first: a chain applies the first block given to X, then each next "
              "block to the previous output, so b3(b2(b1(X))) for MySequential(b1, b2, b3). Run the blocks in the "
              "order they were registered. See {notebook}, section '{section}'.")
NOT_CHAINED = N_("{label}(X) gives every block the original X instead of the previous block's output, so the blocks "
                 "are not chained: only the last one's work survives, and layers of different sizes crash. Each "
                 "block's output must become the next block's input. See {notebook}, section '{section}'.")
FIRST_ONLY = N_("{label}(X) ran only the first {ran} of its {total} blocks: the last block's output is the model's "
                "output, so every block must run. Check the loop: it must visit every position. "
                "See {notebook}, section '{section}'.")
SKIPPED_FIRST = N_("{label}(X) skipped its first {skipped} block(s): X must go through every block, starting with the "
                   "first. Check the loop: it must visit every position. See {notebook}, section '{section}'.")
CRASHED = N_("{label}(X) raised {error}. MySequential(b1, b2, b3)(X) must compute b3(b2(b1(X))): X goes into the "
             "first block and each block's output into the next one. See {notebook}, section '{section}'.")
WRONG = N_("{label}(X) must equal the blocks applied in turn, b3(b2(b1(X))) for three blocks, like nn.Sequential; "
           "yours computes something else{shape}: use every block exactly once per position, in order, each on the "
           "previous output, and return the last output. See {notebook}, section '{section}'.")
SHAPE = N_(" (shape {got} instead of {want})")


def _label(case: dict) -> str:
    names = []
    for i in case["order"]:
        spec = case["pool"][i]
        if spec["kind"] == "linear":
            out_features, in_features = spec["weight"].shape
            names.append(f"nn.Linear({in_features}, {out_features})")
        elif spec["kind"] == "nested":
            names.append("MySequential(...)")
        else:
            names.append({"relu": "nn.ReLU()", "tanh": "nn.Tanh()", "identity": "nn.Identity()"}.get(
                spec["kind"], spec["kind"]))
    return f"MySequential({', '.join(names)})"


def judge_chain(case: dict, got: dict, want: dict) -> None:
    """Stop with the message for the first thing wrong in one MySequential(*blocks)(X) case."""
    label, section = _label(case), see(SECTION)
    if "built" in got:
        ran_ok(got["built"], "MySequential(...)", INIT_ADVICE)
    if "made" in got:
        ran_ok(got["made"], label, INIT_ADVICE)
    out, expected = maybe_tensor(got.get("output")), maybe_tensor(want["output"])
    if same(out, expected):
        return
    report, order = got.get("registry", {}), case["order"]
    pool_size = len(case["pool"])
    raised = (got.get("output") or {}).get("raised")
    kind = problem(report, pool_size, "MySequential")
    if kind and kind[0] == "names":
        stop(kind[1], **kind[2])
    entries = report.get("entries", [])
    lost = [i for i, block in enumerate(order) if entries.count(block) < order.count(block)]
    if raised and raised.get("type") == "RecursionError":
        stop(RECURSED, label=label, **section)
    if not report.get("hidden") and lost:
        if order.count(order[lost[0]]) > 1:
            stop(REPEATED_ONCE, label=label, **section)
        if kind:
            stop(kind[1], **kind[2])
    if not raised:
        tensor_of(got.get("output"), f"{label}(X)", RETURN_ADVICE)
    calls = got.get("ran", [])
    ran = [entry[0] for entry in calls]
    unique = list(dict.fromkeys(order))
    expect(not (len(unique) < len(order) and ran == unique), DEDUPLICATED, label=label, **section)
    expect(not (ran and ran[0] != order[0] and ran == order[::-1][:len(ran)]), REVERSED, label=label, **section)
    expect(not any(entry[1] for entry in calls[1:]), NOT_CHAINED, label=label, **section)
    if not raised and ran and len(ran) < len(order):
        expect(ran != order[:len(ran)], FIRST_ONLY, label=label, ran=len(ran), total=len(order), **section)
        expect(ran != order[len(order) - len(ran):], SKIPPED_FIRST, label=label, skipped=len(order) - len(ran),
               **section)
    if raised:
        ran_ok({"raised": raised}, f"{label}(X)")
    shape = "" if out is None or expected is None or out.shape == expected.shape else \
        Message(SHAPE, {"got": tuple(out.shape), "want": tuple(expected.shape)})
    stop(WRONG, label=label, shape=shape, **section)


# --- challenges --------------------------------------------------------------------------------------------------
def _draw_forward(g: torch.Generator) -> dict:
    four = [linear(g, 4, 4), {"kind": "tanh"}, linear(g, 4, 4), linear(g, 4, 4)]
    X4 = rand(g, 3, 4)
    return {"cases": [
        {"pool": [linear(g, 20, 256), {"kind": "relu"}, linear(g, 256, 10)], "order": [0, 1, 2], "X": rand(g, 2, 20)},
        {"pool": [linear(g, 4, 4)], "order": [0, 0], "X": rand(g, 3, 4)},
        {"pool": four, "order": [0, 1, 2, 3], "X": X4},
        {"pool": four[:1], "order": [0], "X": X4},
        {"pool": four[:2], "order": [0, 1, 0, 1, 0], "X": X4},
        {"pool": [four[0], four[1], four[2], {"kind": "nested", "order": [0, 1]}], "order": [3, 2], "X": X4},
    ]}


def judge_forward(challenge: dict, response: dict):
    want = probes.forward(challenge, ANSWERS)
    cases = response.get("cases") if isinstance(response, dict) else None
    expect(isinstance(cases, list) and len(cases) == len(challenge["cases"]), CRASHED, label="MySequential(...)",
           error="no result", **see(SECTION))
    bases = (cases[0].get("registry") or {}).get("bases", []) if isinstance(cases[0], dict) else []
    expect("torch.nn.modules.container.Sequential" not in bases, SUBCLASS, **see(SECTION))
    for case, got, wanted in zip(challenge["cases"], cases, want["cases"]):
        judge_chain(case, got if isinstance(got, dict) else {}, wanted)
    return passed()


FORWARD = Check(probe="ex1.forward", draw=_draw_forward, judge=judge_forward)
CHECKS = {"ex1_forward": FORWARD}
