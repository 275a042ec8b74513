"""Exercise 1, MySequential: challenges, and judges that compare with the course's MySequential."""
from __future__ import annotations

import torch

from d2lblocks.i18n import N_, Message
from d2lblocks_grade.verify.checks import Check, passed

from ..probes import ex1 as probes
from ..reference import ANSWERS
from .common import (
    NO_RESULT,
    PITFALLS,
    expect,
    judge_after_training,
    linear,
    maybe_tensor,
    ran_ok,
    rand,
    same,
    see,
    stop,
    tensor_of,
)
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
NAMES_REPEATED = N_("{names} With the block itself as its name, a block passed twice even gets one entry for two "
                    "positions.")


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
        ran_ok(got["built"], "MySequential(...)", Message(INIT_ADVICE))
    if "made" in got:
        ran_ok(got["made"], label, Message(INIT_ADVICE))
    out, expected = maybe_tensor(got.get("output")), maybe_tensor(want["output"])
    if same(out, expected):
        judge_after_training(got.get("again"), want["again"], out, f"{label}(X)", section)
        return
    report, order = got.get("registry", {}), case["order"]
    pool_size = len(case["pool"])
    raised = (got.get("output") or {}).get("raised")
    kind = problem(report, pool_size, "MySequential")
    if kind and kind[0] == "names":
        if len(set(order)) < len(order):
            stop(NAMES_REPEATED, names=Message(kind[1], kind[2]))
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
        tensor_of(got.get("output"), f"{label}(X)", Message(RETURN_ADVICE))
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
    expect(isinstance(cases, list) and len(cases) == len(challenge["cases"]), NO_RESULT, what="MySequential(...)")
    bases = (cases[0].get("registry") or {}).get("bases", []) if isinstance(cases[0], dict) else []
    expect("torch.nn.modules.container.Sequential" not in bases, SUBCLASS, **see(SECTION))
    for case, got, wanted in zip(challenge["cases"], cases, want["cases"]):
        judge_chain(case, got if isinstance(got, dict) else {}, wanted)
    return passed()


FORWARD = Check(probe="ex1.forward", draw=_draw_forward, judge=judge_forward)


# --- ex1_parameters: PyTorch sees every block's parameters through MySequential -----------------------------------
INIT_SEE = N_("__init__ must register the blocks it is given. See {notebook}, section '{section}'.")
NESTED_NAMES = N_("A MySequential inside a MySequential should expose {count} uniquely named parameters, got {names}: "
                  "every block needs its own name, so that the dotted names (such as '0.0.weight') tell the parameters "
                  "apart. See {notebook}, section '{section}'.")
NOT_THE_BLOCKS = N_("{label}.parameters() does not give exactly the weights and biases of the blocks it was given, in "
                    "their order, so an optimizer built from it does not train those blocks: a step of "
                    "torch.optim.SGD({label}.parameters()) must change the blocks the caller passed in. Register the "
                    "very objects passed to __init__, one per position, in order. See {notebook}, section '{section}'.")
PARAMETER_CASES = (
    ("MySequential(nn.Linear(20, 256), nn.ReLU(), nn.Linear(256, 10))", True),
    ("MySequential(*[nn.Linear(3, 3) for _ in range(12)])", False),
    ("MySequential(MySequential(nn.Linear(3, 3), nn.ReLU()), nn.Linear(3, 3))", False),
)
NESTED_LISTING = N_("Listing named_parameters() of a nested MySequential")


def _draw_parameters(g: torch.Generator) -> dict:
    return {"lr": 0.1, "cases": [
        {"pool": [linear(g, 20, 256), {"kind": "relu"}, linear(g, 256, 10)], "order": [0, 1, 2]},
        {"pool": [linear(g, 3, 3) for _ in range(12)], "order": list(range(12))},
        {"pool": [linear(g, 3, 3), {"kind": "relu"}, {"kind": "nested", "order": [0, 1]}, linear(g, 3, 3)],
         "order": [2, 3]},
    ]}


def _given(report: dict, order: list[int]) -> tuple[dict, int]:
    """The registry report about the blocks one MySequential was given (its arguments, not what they hold),
    renumbered by their position among the distinct arguments; and how many distinct arguments there are."""
    given = list(dict.fromkeys(order))

    def keep(indices) -> list[int]:
        return [given.index(i) for i in indices if i in given] if isinstance(indices, list) else []

    return {**report, "registered": keep(report.get("registered")), "copies": keep(report.get("copies"))}, len(given)


def _tensors(result) -> list | None:
    """The tensors of an ``attempt`` result holding a list of ``plain`` values (or parameters_of entries)."""
    if not isinstance(result, dict) or not isinstance(result.get("value"), list):
        return None
    found = []
    for item in result["value"]:
        if isinstance(item, dict) and "values" in item:
            item = item["values"]
        found.append(item.get("tensor") if isinstance(item, dict) else None)
    return found


def _same_list(got: list | None, want: list | None) -> bool:
    return got is not None and want is not None and len(got) == len(want) and all(map(same, got, want))


def judge_parameters_case(case: dict, got: dict, want: dict, label: str, advice: bool) -> None:
    section = see(SECTION)
    advice_message = Message(INIT_SEE, section) if advice else ""
    for step in ("built", "made"):
        if step in got:
            ran_ok(got[step], label, advice_message)
    values, trained = _tensors(got.get("parameters")), _tensors(got.get("trained"))
    if not (_same_list(values, _tensors(want["parameters"])) and _same_list(trained, _tensors(want["trained"]))):
        report, pool_size = _given(got.get("registry") or {}, case["order"])
        listed = (got.get("parameters") or {}).get("value")
        owners = [entry.get("owner", -1) if isinstance(entry, dict) else -1 for entry in listed] \
            if isinstance(listed, list) else None
        kind = problem(report, pool_size, "MySequential", owners, len(want["parameters"]["value"]))
        if kind:
            stop(kind[1], **kind[2])
        ran_ok(got.get("parameters"), f"{label}.parameters()")
        stop(NOT_THE_BLOCKS, label=label, **section)
    if any(spec["kind"] == "nested" for spec in case["pool"]):
        ran_ok(got.get("names"), Message(NESTED_LISTING))
        names, wanted = got["names"].get("value"), want["names"]["value"]
        expect(isinstance(names, list) and len(names) == len(wanted) and len(set(map(str, names))) == len(wanted),
               NESTED_NAMES, count=len(wanted), names=str(names)[:300], **section)


def judge_parameters(challenge: dict, response: dict):
    want = probes.parameters(challenge, ANSWERS)
    cases = response.get("cases") if isinstance(response, dict) else None
    expect(isinstance(cases, list) and len(cases) == len(challenge["cases"]), NO_RESULT, what="MySequential(...)")
    for case, got, wanted, (label, advice) in zip(challenge["cases"], cases, want["cases"], PARAMETER_CASES):
        judge_parameters_case(case, got if isinstance(got, dict) else {}, wanted, label, advice)
    return passed()


# --- ex1_state_dict: state_dict() saves every block's weights and loads them back --------------------------------
STATE_LABEL = "MySequential(nn.Linear(5, 6), nn.ReLU(), nn.Linear(6, 2))"
LOAD_LABEL = N_("second.load_state_dict(first.state_dict()) and running both on X")
FEED_SEE = N_("forward must feed X to the first block and each block's output to the next. "
              "See {notebook}, section '{section}'.")
RETURN_SEE = N_("forward must return the last block's output. See {notebook}, section '{section}'.")
SEE_ONLY = N_("See {notebook}, section '{section}'.")
DIFFERENT_NAMES = N_("Two MySequentials built from the same kinds of blocks save their weights under different names "
                     "({first} and {second}): the names depend on the block objects (their id or str), not on their "
                     "positions, so a saved state_dict() can never be loaded into a new model. Name each block by its "
                     "position. See {notebook}, section '{section}'.")
UNSAVED = N_("{label}.state_dict() lacks {unsaved} of the {total} weights and biases of its blocks: state_dict() holds "
             "only registered blocks, so saving your model would lose them. {why}")
STILL_DIFFERENT = N_("After second.load_state_dict(first.state_dict()) the two models still compute different outputs: "
                     "state_dict() must hold exactly the weights forward uses, so forward must run the registered "
                     "blocks. See {notebook}, section '{section}'.")
LOADED_WRONG = N_("After second.load_state_dict(first.state_dict()) both models compute the same output, but not the "
                  "one nn.Sequential computes with the blocks of the first{shape}: state_dict() must hold the weights "
                  "of the very blocks the first model was given (the caller's blocks, as they are now), and forward must "
                  "run every registered block once per position, in order, each on the previous output. "
                  "See {notebook}, section '{section}'.")


def _shape(out: torch.Tensor | None, expected: torch.Tensor | None):
    return "" if out is None or expected is None or out.shape == expected.shape else \
        Message(SHAPE, {"got": tuple(out.shape), "want": tuple(expected.shape)})


def _draw_state_dict(g: torch.Generator) -> dict:
    def blocks():
        return [linear(g, 5, 6), {"kind": "relu"}, linear(g, 6, 2)]
    return {"first": blocks(), "retrained": blocks(), "second": blocks(), "X": rand(g, 3, 5)}


def judge_state_dict(challenge: dict, response: dict):
    want = probes.state_dict(challenge, ANSWERS)
    got = response if isinstance(response, dict) else {}
    section = see(SECTION)
    if "made" in got:
        ran_ok(got["made"], STATE_LABEL)
    report = got.get("registry") or {}
    total = sum(spec["kind"] == "linear" for spec in challenge["first"]) * 2
    kind = problem(report, len(challenge["first"]), "MySequential")
    if kind and kind[0] == "names":
        stop(kind[1], **kind[2])
    ran_ok(got.get("state", {"value": True}), f"{STATE_LABEL}.state_dict()")
    ran_ok(got.get("other_names"), f"{STATE_LABEL}.state_dict()")
    names, other = got.get("names"), got["other_names"].get("value")
    names, other = sorted(map(str, names if isinstance(names, list) else [])), \
        sorted(map(str, other if isinstance(other, list) else []))
    expect(names == other, DIFFERENT_NAMES, first=str(names[:2]), second=str(other[:2]), **section)
    unsaved = got.get("unsaved")
    why = Message(kind[1], kind[2]) if kind else Message(SEE_ONLY, section)
    expect(unsaved == 0, UNSAVED, label=STATE_LABEL, unsaved=unsaved if type(unsaved) is int else total, total=total,
           why=why)
    feed = Message(FEED_SEE, section)
    for step in ("loaded", "first", "second"):
        ran_ok(got.get(step), Message(LOAD_LABEL), feed)
    first = tensor_of(got["first"], "MySequential(...)(X)", Message(RETURN_SEE, section))
    second = tensor_of(got["second"], "MySequential(...)(X)", Message(RETURN_SEE, section))
    expect(same(first, second), STILL_DIFFERENT, **section)
    expected = maybe_tensor(want["first"])
    expect(same(first, expected) and same(second, maybe_tensor(want["second"])), LOADED_WRONG,
           shape=_shape(first, expected), **section)
    return passed()


# --- ex1_to_eval: .eval() and .to() reach every block inside MySequential ----------------------------------------
EVAL_LABEL = "MySequential(nn.Linear(4, 8), nn.Dropout(0.5), nn.Linear(8, 2))"
EVAL_CALLS = N_("{label}.eval() and two calls on X")
TO_LABEL = "net.to(torch.float64)(X.double())"
RETURN_LAST = N_("forward must return the last block's output.")
TO_ADVICE = N_("forward must run the registered blocks, which .to() converts.")
EVAL_MISSED = N_("net.eval() did not reach the Dropout inside MySequential, so dropout stays on when you evaluate: "
                 ".eval() only switches blocks PyTorch can see, i.e. registered ones. See {notebook}, section "
                 "'{section}'.")
STILL_RANDOM = N_("After net.eval() two calls on the same X give different outputs: dropout is still active, because "
                  "the blocks forward runs are not the registered ones. See {notebook}, section '{section}'.")
TRAIN_MISSED = N_("net.train() did not switch the Dropout inside MySequential back to training mode: only registered "
                  "blocks follow .train(). See {notebook}, section '{section}'.")
TRAIN_WRONG = N_("After net.train(), {label}(X) does not compute what nn.Sequential computes with the same blocks and "
                 "the same random seed: in training mode too, forward must run every block once per position, in "
                 "order, each on the previous output. See {notebook}, section '{section}'.")
TO_MISSED = N_("net.to(torch.float64) did not convert the blocks' weights: .to() (like .cuda()) only moves blocks "
               "PyTorch can see, so on a GPU your blocks would stay on the CPU. See {notebook}, section '{section}'.")
DTYPE = N_("After net.to(torch.float64) the output is {dtype}: forward must return the last registered block's output. "
           "See {notebook}, section '{section}'.")
PITFALL = N_("1. Blocks stored in a Python list")


def _draw_to_eval(g: torch.Generator) -> dict:
    return {"pool": [linear(g, 4, 8), {"kind": "dropout", "p": 0.5}, linear(g, 8, 2)], "X": rand(g, 16, 4),
            "seed": int(torch.randint(0, 2 ** 31 - 1, (1,), generator=g))}


def judge_to_eval(challenge: dict, response: dict):
    want = probes.to_eval(challenge, ANSWERS)
    got = response if isinstance(response, dict) else {}
    section = see(SECTION)
    if "made" in got:
        ran_ok(got["made"], EVAL_LABEL)
    kind = problem(got.get("registry") or {}, len(challenge["pool"]), "MySequential")
    if kind and kind[0] in ("lost", "names"):
        stop(kind[1], **kind[2])
    feed = Message(FEED_SEE, section)
    for step in ("eval", "out1", "out2"):
        ran_ok(got.get(step), Message(EVAL_CALLS, {"label": EVAL_LABEL}), feed)
    out1 = tensor_of(got["out1"], "MySequential(...)(X)", Message(RETURN_SEE, section))
    expect(got.get("dropout_off") is True, EVAL_MISSED, **section)
    expect(same(out1, maybe_tensor(got["out2"])), STILL_RANDOM, **section)
    expect(same(maybe_tensor(got.get("held_eval")), maybe_tensor(want["held_eval"])), EVAL_MISSED, **section)
    expected = maybe_tensor(want["out1"])
    expect(same(out1, expected), WRONG, label=EVAL_LABEL, shape=_shape(out1, expected), **section)
    ran_ok(got.get("train"), "net.train()")
    expect(got.get("dropout_on") is True, TRAIN_MISSED, **section)
    trained = maybe_tensor(got.get("out_train"))
    if not same(trained, maybe_tensor(want["out_train"])):
        ran_ok(got.get("out_train"), "net.train()")
        expect(trained is None or not same(trained, out1), TRAIN_MISSED, **section)
        stop(TRAIN_WRONG, label=EVAL_LABEL, **section)
    to_advice = Message(TO_ADVICE)
    for step in ("to", "out64"):
        ran_ok(got.get(step), TO_LABEL, to_advice)
    dtypes = got.get("dtypes")
    converted = isinstance(dtypes, list) and all(dtype == "torch.float64" for dtype in dtypes)
    expect(converted and same(maybe_tensor(got.get("held64")), maybe_tensor(want["held64"])), TO_MISSED,
           **see(PITFALL, PITFALLS))
    out = tensor_of(got["out64"], TO_LABEL, Message(RETURN_LAST))
    expect(out.dtype == torch.float64, DTYPE, dtype=str(out.dtype), **section)
    expected = maybe_tensor(want["out64"])
    expect(same(out, expected), WRONG, label=EVAL_LABEL, shape=_shape(out, expected), **section)
    return passed()


# --- ex1_gradients: gradients flow back through MySequential to every block --------------------------------------
GRADIENT_LABEL = "MySequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 2))"
GRADIENTS_SECTION = N_("Computing gradients")
FEED = N_("forward must feed X to the first block and each block's output to the next.")
CUT = N_("The output is not connected to the weights: forward cut the computation graph (.detach(), .data, "
         "torch.no_grad() or a trip through NumPy). See {notebook}, section '{section}'.")
SKIPPED = N_("Block {block} never ran in forward, so its weights get no gradient and training never changes them: "
             "every block must run on the way from X to the output. See {notebook}, section '{section}'.")
NO_GRADIENT = N_("After net(X).sum().backward() these weights got no gradient although their blocks ran: {missing}. "
                 "forward cut the computation graph between blocks (.detach(), .data, torch.no_grad() or a trip "
                 "through NumPy), so training cannot reach them. See {notebook}, section '{section}'.")
GRADIENTS_DIFFER = N_("After net(X).sum().backward() the gradients of {which} differ from the ones nn.Sequential gives "
                      "the same blocks: forward must run every block once per position, in order, each on the previous "
                      "output, so that backward reaches every weight as it does in nn.Sequential. "
                      "See {notebook}, section '{section}'.")


def _draw_gradients(g: torch.Generator) -> dict:
    return {"pool": [linear(g, 4, 8), {"kind": "tanh"}, linear(g, 8, 2)], "X": rand(g, 3, 4)}


def _gradients(response: dict) -> dict:
    """(block index, parameter name) -> its gradient (None when it has none or the entry is malformed)."""
    found = {}
    for entry in response.get("grads") or []:
        if isinstance(entry, list) and len(entry) == 3:
            value = entry[2] if isinstance(entry[2], dict) else {}
            found[entry[0], str(entry[1])] = value.get("tensor") if isinstance(value.get("tensor"), torch.Tensor) \
                else None
    return found


def judge_gradients(challenge: dict, response: dict):
    want = probes.gradients(challenge, ANSWERS)
    got = response if isinstance(response, dict) else {}
    section = see(SECTION)
    if "made" in got:
        ran_ok(got["made"], GRADIENT_LABEL)
    kind = problem(got.get("registry") or {}, len(challenge["pool"]), "MySequential")
    if kind and kind[0] in ("lost", "names"):
        stop(kind[1], **kind[2])
    ran_ok(got.get("output"), f"{GRADIENT_LABEL}(X)", Message(FEED))
    tensor_of(got["output"], "MySequential(...)(X)", Message(RETURN_SEE, section))
    ran_ok(got.get("backward"), f"{GRADIENT_LABEL}(X).sum().backward()", Message(CUT, see(GRADIENTS_SECTION)))
    expected, grads = _gradients(want), _gradients(got)
    wrong = [key for key, value in expected.items() if not same(grads.get(key), value)]
    if not wrong:
        return passed()
    ran = {entry[0] for entry in got.get("ran") or [] if isinstance(entry, list) and entry}
    skipped = [i for i, spec in enumerate(challenge["pool"]) if spec["kind"] == "linear" and i not in ran]
    expect(not skipped, SKIPPED, block=skipped[0] if skipped else "", **section)
    missing = [f"blocks[{i}].{name}" for i, name in wrong if grads.get((i, name)) is None
               or not bool(grads[i, name].abs().sum() > 0)]
    expect(not missing, NO_GRADIENT, missing=", ".join(missing), **see(GRADIENTS_SECTION))
    stop(GRADIENTS_DIFFER, which=", ".join(f"blocks[{i}].{name}" for i, name in wrong), **section)


CHECKS = {
    "ex1_forward": FORWARD,
    "ex1_parameters": Check(probe="ex1.parameters", draw=_draw_parameters, judge=judge_parameters),
    "ex1_state_dict": Check(probe="ex1.state_dict", draw=_draw_state_dict, judge=judge_state_dict),
    "ex1_to_eval": Check(probe="ex1.to_eval", draw=_draw_to_eval, judge=judge_to_eval),
    "ex1_gradients": Check(probe="ex1.gradients", draw=_draw_gradients, judge=judge_gradients),
}
