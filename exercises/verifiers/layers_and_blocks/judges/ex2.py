"""Exercise 2, Parallel: challenges, and judges that compare with the course's Parallel.

Points come from numbers only: Parallel's outputs on X (in eval mode, after loading
another's state_dict, after .to(torch.float64)), the caller's networks after an SGD
step on Parallel's parameters(), and the networks' gradients, each compared with
what the course's Parallel gives on the same challenge. Which order the two outputs
come in is the subject of ex2_values alone: the other tests also accept the course's
Parallel run on the challenge with the networks swapped (at every level).
"""
from __future__ import annotations

import torch

from d2lblocks.i18n import N_, Message
from d2lblocks_grade.verify.checks import Check, passed

from ..probes import ex2 as probes
from ..reference import ANSWERS
from .common import expect, judge_after_training, linear, maybe_tensor, ran_ok, rand, same, see, stop, tensor_of
from .registration import problem

SECTION = N_("A custom block")
GRADIENTS = N_("Computing gradients")

# --- what the tests were doing when the answer's code raised ---------------------------------------------------
FOR_SHAPE = N_("{call} for X of shape {shape}")
FOR_NETS = N_("{call} for net1 = {net1}, net2 = {net2}")
EVAL_CALLS = N_("Parallel(...).eval() and two calls on the same X")
COPYING = N_("Copying one Parallel's state_dict() into another")
TRAINING = N_("One step of torch.optim.SGD on {call}.parameters()")
BOTH_ADVICE = N_("Parallel must run both networks on X and join their outputs into one tensor.")
WIDTHS_ADVICE = N_("The two outputs have different widths, {w1} and {w2}, but the same number of rows: join them side "
                   "by side, feature-wise.")
ANY_WIDTHS_ADVICE = N_("Join the two outputs along the last (feature) dimension, whatever their widths.")
REGISTER_ADVICE = N_("__init__ must register the two networks it is given. See {notebook}, section '{section}'.")
JOIN_ADVICE = N_("Parallel must run both networks on X and join their outputs.")
TO_ADVICE = N_("forward must use the registered networks, which .to() converts.")
ONE_TENSOR_ADVICE = N_("Parallel must return one tensor.")
GRAPH_ADVICE = N_("The output is not connected to the networks' weights: forward cut the computation graph (.detach(), "
                  ".data, torch.no_grad() or a trip through NumPy). See {notebook}, section '{section}'.")

# --- the side-by-side shape ------------------------------------------------------------------------------------
WHY = N_("the next layer needs one row per example, holding both networks' features side by side, as Exercise 2's "
         "instructions describe")
ONE_TENSOR = N_("Parallel must return one tensor of shape {joined}: {why}.")
STACKED = N_("{label} has shape {shape}, {dims} dimensions for a 2-D input: stacking puts the two outputs on a new axis "
             "instead of side by side (torch.stack does that, and it fails when the widths differ). It must be "
             "{joined}: {why}.")
FLATTENED = N_("{label} has shape {shape}, one dimension for a batch of {batch} examples: flattening the outputs "
               "(.flatten(), .view(-1), .reshape(-1)) before or after joining them mixes all examples into one vector, "
               "so nothing tells which features belong to which example. Keep the batch dimension: the result must be "
               "{joined}.")
BATCH_DIM = N_("{label} has {rows} rows for a batch of {batch}: the outputs were joined along the batch dimension "
               "(dim=0), which appends examples instead of features. It must be {joined}: {why}.")
TWICE = N_("{label} has {features} features per example instead of {w1} + {w2}: that is one network's output twice, so "
           "the other network never contributes. It must be {joined}: {why}.")
ONE_LOST = N_("{label} has {features} features per example instead of {w1} + {w2}: adding the outputs, or returning "
              "only one of them, loses one network's features. It must be {joined}: {why}.")
OTHER_SHAPE = N_("{label} has shape {shape} instead of {joined}: {why}.")

# --- the values --------------------------------------------------------------------------------------------------
ORDER = N_("Parallel(net1, net2)(X) puts net2's features first: Exercise 2's instructions fix the order, net1's output "
           "first, so that the next layer always finds each network's features at the same columns.")
FIRST = N_("The first {width} features of Parallel(net1, net2)(X) are not net1(X): they must be net1's output on X, "
           "unchanged (run net1 on the same X as net2, and put its output first).")
LAST = N_("The last {width} features of Parallel(net1, net2)(X) are not net2(X): they must be net2's output on the same "
          "X as net1's (not on net1's output, and not net1's output again).")
ORDER_HIDDEN = N_("Parallel(net1, net2)(X) puts net2's features first; the exercise fixes the order, net1's output "
                  "first.")
IDLE = N_("Parallel ran {ran} {count} time(s) and never ran {idle}, so half of the output is not {idle}(X) and training "
          "never reaches {idle}: run each network once on the same X.")
OTHER_NUMBERS = N_("{label} must hold net1(X) and then net2(X), both computed on the same X and joined feature-wise; "
                   "yours holds other numbers.")

# --- registration ------------------------------------------------------------------------------------------------
NOT_THEIRS = N_("{call}.parameters() must yield exactly the parameters of net1 and net2 themselves, so that training, "
                "saving and moving Parallel reach both networks; one step of torch.optim.SGD on yours does not change "
                "the two networks as it should. See {notebook}, section '{section}'.")
EVAL = N_("Parallel.eval() did not reach the Dropout inside net1, so dropout stays on when you evaluate: .eval() only "
          "switches registered blocks, and forward must run those. See {notebook}, section '{section}'.")
STATE_LACKS = N_("Parallel's state_dict() lacks {count} of the networks' weights and biases, so saving loses them: "
                 "state_dict() holds only registered blocks. See {notebook}, section '{section}'.")
LOADED = N_("A Parallel loaded with another's state_dict() computes something else: forward must use the registered "
            "networks, whose weights state_dict() saves and loads. See {notebook}, section '{section}'.")
TO = N_("par.to(torch.float64) did not convert the networks inside Parallel (on a GPU they would stay on the CPU): .to() "
        "only converts registered blocks. See {notebook}, section '{section}'.")

# --- gradients ---------------------------------------------------------------------------------------------------
BOTH = N_("{first} and {second}")
NEVER_RAN = N_("{idle} never ran in Parallel's forward, so its weights get no gradient and training never changes them: "
               "run both networks on X.")
NO_GRADIENT = N_("After Parallel(net1, net2)(X).sum().backward() these weights got no gradient although both networks "
                 "ran: {missing}. forward cut the computation graph (.detach(), .data, torch.no_grad() or a trip "
                 "through NumPy) between the networks' outputs and the result, so training cannot reach them. "
                 "See {notebook}, section '{section}'.")
OTHER_GRADIENT = N_("After Parallel(net1, net2)(X).sum().backward() these weights got other gradients than training "
                    "through Parallel gives: {names}. forward must join the networks' outputs unchanged, so that each "
                    "feature sends its gradient back to the network that computed it. See {notebook}, section "
                    "'{section}'.")

NET_NAMES = ("net1", "net2")


# --- labels ------------------------------------------------------------------------------------------------------
def _spec_label(spec: dict) -> str:
    kind = spec["kind"]
    if kind == "linear":
        out_features, in_features = spec["weight"].shape
        return f"nn.Linear({in_features}, {out_features})"
    if kind in ("parallel", "sequential"):
        name = "Parallel" if kind == "parallel" else "nn.Sequential"
        return f"{name}({', '.join(_spec_label(inner) for inner in spec['blocks'])})"
    if kind == "dropout":
        return f"nn.Dropout({spec['p']})"
    return {"relu": "nn.ReLU()", "tanh": "nn.Tanh()", "identity": "nn.Identity()"}.get(kind, kind)


def _call(case: dict) -> str:
    """``Parallel(nn.Linear(4, 3), nn.Linear(4, 5))``"""
    return _spec_label({"kind": "parallel", "blocks": case["nets"]})


def _width(spec: dict, inputs: int) -> int:
    if spec["kind"] == "linear":
        return spec["weight"].shape[0]
    if spec["kind"] == "parallel":
        return sum(_width(inner, inputs) for inner in spec["blocks"])
    if spec["kind"] == "sequential":
        for inner in spec["blocks"]:
            inputs = _width(inner, inputs)
        return inputs
    return inputs


def _widths(case: dict) -> tuple[int, int]:
    inputs = case["X"].shape[-1]
    return _width(case["nets"][0], inputs), _width(case["nets"][1], inputs)


def _swapped_spec(spec: dict) -> dict:
    if spec["kind"] == "parallel":
        return {**spec, "blocks": [_swapped_spec(inner) for inner in spec["blocks"][::-1]]}
    return spec


def _swapped(case: dict) -> dict:
    """The case with the networks of every Parallel in reverse order."""
    swapped = {**case, "nets": [_swapped_spec(spec) for spec in case["nets"][::-1]]}
    if "other" in case:
        swapped["other"] = case["other"][::-1]
    return swapped


def _ran(got: dict, key: str, what, advice="") -> None:
    """Stop with the message for the answer's error when the probe's step ``key`` raised."""
    if key in got:
        ran_ok(got[key], what, advice)


def _dict(value) -> dict:
    return value if isinstance(value, dict) else {}


def _cases(response, count: int) -> list[dict]:
    cases = _dict(response).get("cases")
    if not isinstance(cases, list) or len(cases) != count:
        cases = [{} for _ in range(count)]
    return [_dict(case) for case in cases]


# --- shared diagnoses --------------------------------------------------------------------------------------------
def side_by_side(got: dict, label: str, batch: int, widths: tuple[int, int], model: bool) -> torch.Tensor:
    """The output tensor when its shape is (batch, w1 + w2); else stop with the message for the way it was joined.
    With ``model``, a Parallel that lost one of its networks is told so first."""
    joined = f"({batch}, {widths[0]} + {widths[1]}) = ({batch}, {sum(widths)})"
    why = Message(WHY)
    out = tensor_of(got.get("output"), label, Message(ONE_TENSOR, {"joined": joined, "why": why}))
    shape = tuple(out.shape)
    if shape == (batch, sum(widths)):
        return out
    if model:
        kind = problem(_dict(got.get("registry")), 2, "Parallel")
        if kind and kind[0] == "lost":
            stop(kind[1], **kind[2])
    fields = {"label": label, "shape": str(shape), "joined": joined, "why": why}
    expect(out.dim() <= 2, STACKED, dims=out.dim(), **fields)
    expect(out.dim() >= 2, FLATTENED, batch=batch, **fields)
    expect(shape[0] == batch, BATCH_DIM, rows=shape[0], batch=batch, **fields)
    sizes = {"features": shape[1], "w1": widths[0], "w2": widths[1]}
    expect(not (shape[1] != sum(widths) and shape[1] in (2 * widths[0], 2 * widths[1])), TWICE, **sizes, **fields)
    expect(shape[1] not in widths, ONE_LOST, **sizes, **fields)
    stop(OTHER_SHAPE, **fields)
    raise AssertionError  # unreachable: stop raised


def _counted(got: dict) -> list[int]:
    ran = [entry[0] for entry in got.get("ran", []) if isinstance(entry, list) and entry]
    return [ran.count(0), ran.count(1)]


def idle(got: dict) -> None:
    """Stop when one of the two networks never ran (the probe's report of the calls chooses the message)."""
    counted = _counted(got)
    for ran, never in ((0, 1), (1, 0)):
        expect(not (counted[never] == 0 and counted[ran] > 0), IDLE, ran=NET_NAMES[ran], count=counted[ran],
               idle=NET_NAMES[never])


def _either(out, wants: list) -> int | None:
    """Which of the accepted outputs ``out`` equals (the reference's, or the reference's with the networks swapped)."""
    return next((k for k, want in enumerate(wants) if same(out, want)), None)


# --- ex2_shape ---------------------------------------------------------------------------------------------------
def _draw_shape(g: torch.Generator) -> dict:
    X = rand(g, 2, 4)
    return {"cases": [
        {"nets": [linear(g, 4, 3), linear(g, 4, 3)], "X": X},
        {"nets": [linear(g, 4, 3), linear(g, 4, 5)], "X": X},
        {"nets": [{"kind": "parallel", "blocks": [linear(g, 6, 2), linear(g, 6, 3)]}, linear(g, 6, 1)],
         "X": rand(g, 1, 6)},
        {"nets": [linear(g, 6, 4), {"kind": "identity"}], "X": rand(g, 7, 6)},
    ]}


def _shape_advice(index: int, widths: tuple[int, int]):
    if index == 0:
        return Message(BOTH_ADVICE)
    if index == 1:
        return Message(WIDTHS_ADVICE, {"w1": widths[0], "w2": widths[1]})
    return Message(ANY_WIDTHS_ADVICE)


def judge_shape(challenge: dict, response) -> object:
    cases = challenge["cases"]
    want = probes.shape(challenge, ANSWERS)["cases"]
    swapped = probes.shape({"cases": [_swapped(case) for case in cases]}, ANSWERS)["cases"]
    got = _cases(response, len(cases))
    outputs = []
    for index, (case, mine) in enumerate(zip(cases, got)):  # the shapes first, as the tests of the shape did
        widths, X = _widths(case), case["X"]
        label = f"{_call(case)}(X)"
        running = Message(FOR_SHAPE, {"call": label, "shape": str(tuple(X.shape))})
        advice = _shape_advice(index, widths)
        _ran(mine, "made", running, advice)
        ran_ok(mine.get("output"), running, advice)
        outputs.append(side_by_side(mine, label, X.shape[0], widths, model=index < 2))
    for case, mine, out, wanted, other in zip(cases, got, outputs, want, swapped):  # then the numbers
        if _either(out, [maybe_tensor(wanted["output"]), maybe_tensor(other["output"])]) is None:
            idle(mine)
            stop(OTHER_NUMBERS, label=f"{_call(case)}(X)")
    return passed()


# --- ex2_values --------------------------------------------------------------------------------------------------
def _draw_values(g: torch.Generator) -> dict:
    return {"cases": [
        {"nets": [linear(g, 4, 3), linear(g, 4, 5)], "X": rand(g, 2, 4)},
        {"nets": [linear(g, 4, 3), linear(g, 4, 3)], "X": rand(g, 5, 4)},
    ]}


def judge_values(challenge: dict, response) -> object:
    cases = challenge["cases"]
    want = probes.values(challenge, ANSWERS)["cases"]
    swapped = probes.values({"cases": [_swapped(case) for case in cases]}, ANSWERS)["cases"]
    got = _cases(response, len(cases))

    # net1 = nn.Linear(4, 3), net2 = nn.Linear(4, 5): the order of the features.
    case, mine = cases[0], got[0]
    widths = _widths(case)
    running = Message(FOR_NETS, {"call": "Parallel(net1, net2)(X)", "net1": _spec_label(case["nets"][0]),
                                 "net2": _spec_label(case["nets"][1])})
    advice = Message(WIDTHS_ADVICE, {"w1": widths[0], "w2": widths[1]})
    _ran(mine, "made", running, advice)
    ran_ok(mine.get("output"), running, advice)
    out = first = side_by_side(mine, "Parallel(net1, net2)(X)", case["X"].shape[0], widths, model=True)
    expected, other = maybe_tensor(want[0]["output"]), maybe_tensor(swapped[0]["output"])
    expect(not same(out, other), ORDER)
    expect(same(out[:, :widths[0]], expected[:, :widths[0]]), FIRST, width=widths[0])
    expect(same(out, expected), LAST, width=widths[1])

    # Equal widths: each branch must run on X.
    case, mine = cases[1], got[1]
    label = f"{_call(case)}(X)"
    _ran(mine, "made", label, Message(BOTH_ADVICE))
    ran_ok(mine.get("output"), label, Message(BOTH_ADVICE))
    out = side_by_side(mine, label, case["X"].shape[0], _widths(case), model=False)
    if not same(out, maybe_tensor(want[1]["output"])):
        expect(not same(out, maybe_tensor(swapped[1]["output"])), ORDER_HIDDEN)
        idle(mine)
        stop(OTHER_NUMBERS, label="Parallel(net1, net2)(X)")
    # Right on the first call: still right after a training step changed the networks' weights.
    for mine, wanted, output in zip(got, want, (first, out)):
        judge_after_training(mine.get("again"), wanted["again"], output, "Parallel(net1, net2)(X)", see(SECTION))
    return passed()


# --- ex2_registration --------------------------------------------------------------------------------------------
def _draw_registration(g: torch.Generator) -> dict:
    def with_dropout():
        return {"kind": "sequential", "blocks": [linear(g, 4, 6), {"kind": "dropout", "p": 0.5}, linear(g, 6, 3)]}
    return {
        "trained": {"nets": [{"kind": "sequential", "blocks": [linear(g, 4, 6), {"kind": "relu"}, linear(g, 6, 3)]},
                             linear(g, 4, 2)], "X": rand(g, 5, 4), "lr": 0.1},
        "saved": {"nets": [with_dropout(), linear(g, 4, 2)], "other": [with_dropout(), linear(g, 4, 2)],
                  "X": rand(g, 8, 4)},
    }


def _values(parameters) -> list:
    found = parameters.get("value") if isinstance(parameters, dict) else None
    if not isinstance(found, list):
        return []
    return [_dict(entry.get("values")).get("tensor") for entry in map(_dict, found)]


def _same_tensors(mine: list, theirs: list) -> bool:
    """The same tensors in any order (a Parallel may register net2 before net1)."""
    left = list(mine)
    for tensor in theirs:
        match = next((k for k, candidate in enumerate(left) if same(candidate, tensor, exact=True)), None)
        if match is None:
            return False
        left.pop(match)
    return not left


def _registered(got: dict, wanted: int) -> None:
    """Stop with the registration message the probe's report explains, if any."""
    parameters = got.get("parameters")
    owners = None
    if isinstance(parameters, dict) and isinstance(parameters.get("value"), list):
        owners = [_dict(entry).get("owner", -1) for entry in parameters["value"]]
    kind = problem(_dict(got.get("registry")), 2, "Parallel", owners, wanted)
    if kind:
        stop(kind[1], **kind[2])


def judge_trained(case: dict, got: dict, want: dict) -> None:
    """parameters() are exactly the networks' own: the same tensors, and an SGD step on them trains the networks."""
    call = _call(case)
    _ran(got, "made", call, Message(REGISTER_ADVICE, see(SECTION)))
    theirs = _values(want["parameters"])
    after = got.get("after") if isinstance(got.get("after"), list) else []
    if (_same_tensors(_values(got.get("parameters")), theirs) and len(after) == 2
            and all(same(maybe_tensor(mine), maybe_tensor(ref)) for mine, ref in zip(after, want["after"]))):
        return
    _registered(got, len(theirs))
    ran_ok(got.get("parameters"), f"{call}.parameters()")
    ran_ok(got.get("step"), Message(TRAINING, {"call": call}))
    stop(NOT_THEIRS, call=call, **see(SECTION))


def judge_saved(case: dict, got: dict, wants: list) -> None:
    """eval(), state_dict() and .to() reach both networks: the outputs equal the course's Parallel's."""
    section = see(SECTION)
    _ran(got, "made", _call(case))
    out1, out2 = maybe_tensor(got.get("out1")), maybe_tensor(got.get("out2"))
    k = _either(out1, [maybe_tensor(want.get("out1")) for want in wants])
    if k is not None and same(out2, out1) and same(maybe_tensor(got.get("loaded")), maybe_tensor(wants[k]["loaded"])) \
            and same(maybe_tensor(got.get("out64")), maybe_tensor(wants[k]["out64"])):
        return
    _registered(got, len(_values(wants[0]["parameters"])))
    ran_ok(got.get("eval"), Message(EVAL_CALLS), Message(JOIN_ADVICE))
    out1 = side_by_side({**got, "output": got.get("out1")}, "Parallel(...)(X)", case["X"].shape[0], _widths(case),
                        model=True)
    expect(got.get("dropout_off") is True and same(out1, out2), EVAL, **section)
    if k is None:
        idle(got)
        stop(OTHER_NUMBERS, label="Parallel(...)(X)")
    ran_ok(got.get("loaded"), Message(COPYING))
    expect(not got.get("unsaved"), STATE_LACKS, count=got.get("unsaved"), **section)
    loaded = tensor_of(got.get("loaded"), Message(COPYING))
    expect(same(loaded, maybe_tensor(wants[k]["loaded"])), LOADED, **section)
    call = "Parallel(...).to(torch.float64)(X.double())"
    ran_ok(got.get("out64"), call, Message(TO_ADVICE))
    out64 = tensor_of(got.get("out64"), "Parallel(...)(X)", Message(ONE_TENSOR_ADVICE))
    dtypes = got.get("dtypes") if isinstance(got.get("dtypes"), list) else []
    expect(out64.dtype == torch.float64 and all(dtype == "float64" for dtype in dtypes), TO, **section)
    stop(OTHER_NUMBERS, label=call)


def judge_registration(challenge: dict, response) -> object:
    want = probes.registration(challenge, ANSWERS)
    swapped = probes.registration({"trained": challenge["trained"], "saved": _swapped(challenge["saved"])}, ANSWERS)
    got = _dict(response)
    judge_trained(challenge["trained"], _dict(got.get("trained")), want["trained"])
    judge_saved(challenge["saved"], _dict(got.get("saved")), [want["saved"], swapped["saved"]])
    return passed()


# --- ex2_gradients -----------------------------------------------------------------------------------------------
def _draw_gradients(g: torch.Generator) -> dict:
    return {"nets": [linear(g, 4, 3), linear(g, 4, 5)], "X": rand(g, 2, 4)}


def _grads(got: dict) -> dict:
    found = {}
    for entry in got.get("grads", []) if isinstance(got.get("grads"), list) else []:
        if isinstance(entry, list) and len(entry) == 3 and entry[0] in (0, 1):
            found[f"{NET_NAMES[entry[0]]}.{entry[1]}"] = maybe_tensor({"value": entry[2]})
    return found


def judge_gradients(challenge: dict, response) -> object:
    want = probes.gradients(challenge, ANSWERS)
    swapped = probes.gradients(_swapped(challenge), ANSWERS)
    got = _dict(response)
    call = _call(challenge)
    _ran(got, "made", call)
    ran_ok(got.get("output"), f"{call}(X)", Message(JOIN_ADVICE))
    out = side_by_side(got, f"{call}(X)", challenge["X"].shape[0], _widths(challenge), model=True)
    ran_ok(got.get("backward"), f"{call}(X).sum().backward()", Message(GRAPH_ADVICE, see(GRADIENTS)))
    mine, theirs = _grads(got), _grads(want)
    wrong = [name for name, grad in theirs.items() if not same(mine.get(name), grad)]
    if wrong:
        missing = [name for name in theirs if mine.get(name) is None or not bool(mine[name].abs().sum() > 0)]
        if missing:
            kind = problem(_dict(got.get("registry")), 2, "Parallel")
            if kind and kind[0] == "copies":
                stop(kind[1], **kind[2])
            counted = _counted(got)
            never = [NET_NAMES[i] for i in (0, 1) if counted[i] == 0]
            if never:
                names = never[0] if len(never) == 1 else Message(BOTH, {"first": never[0], "second": never[1]})
                stop(NEVER_RAN, idle=names)
            stop(NO_GRADIENT, missing=", ".join(missing), **see(GRADIENTS))
        stop(OTHER_GRADIENT, names=", ".join(wrong), **see(GRADIENTS))
    if _either(out, [maybe_tensor(want["output"]), maybe_tensor(swapped["output"])]) is None:
        idle(got)
        stop(OTHER_NUMBERS, label=f"{call}(X)")
    return passed()


CHECKS = {
    "ex2_shape": Check(probe="ex2.shape", draw=_draw_shape, judge=judge_shape),
    "ex2_values": Check(probe="ex2.values", draw=_draw_values, judge=judge_values),
    "ex2_registration": Check(probe="ex2.registration", draw=_draw_registration, judge=judge_registration),
    "ex2_gradients": Check(probe="ex2.gradients", draw=_draw_gradients, judge=judge_gradients),
}
