"""Exercise 3, replicate and deep_net: challenges, and judges that compare with the course's replicate.

Points come from numbers only. ex3_sequential: every copy is built by a factory that
gives it the challenge's weights, so replicate's output on X and its state_dict are
fixed by the challenge (a copied or repeated block still chains correctly there: whether
the copies are fresh is ex3_independent's question). ex3_independent: the global random
generator is seeded with the challenge's seed right before replicate runs, and the
course's replicate under the same seed gives the weights every copy must start with, in
order, and the output on the challenge's X; a copy, a reseed, a missing or extra factory
call or another order changes the weights, and a result that does not chain the copies
(a list, an nn.ModuleList) has no such output.
ex3_deep_net: deep_net's own weights, loaded into the architecture the exercise
describes (built with the course's replicate), must compute what deep_net computes on
the challenge's X, and its four hidden blocks must hold different weights. What the
kernel reports (types, counts, identities, shared tensors) only chooses the message.
"""
from __future__ import annotations

import torch
from torch import nn

from d2lblocks import replicate as reference_replicate
from d2lblocks.i18n import N_, Message
from d2lblocks_grade.verify.checks import Check, passed

from ..probes import ex3 as probes
from ..probes.common import after_training
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

SEQUENTIAL = N_("A layer and a block: `nn.Sequential`")
TWO_INSTANCES = N_("Two instances, two sets of parameters")
LIST_PITFALL = N_("1. Blocks stored in a Python list")
REPEAT_PITFALL = N_("3. `[block] * n` repeats one block, not n blocks")

# --- what the tests were doing when the answer's code raised ---------------------------------------------------
TAKES_BLOCKS = N_("block_factory is a function that builds a block each time you call it; nn.Sequential takes the "
                  "blocks, not the function.")
BUILDS_BLOCKS = N_("block_factory is a function that builds a block each time you call it.")
PLAIN_SEQUENTIAL = N_("replicate's result must be a plain nn.Sequential of the blocks.")
CHAINS = N_("deep_net chains replicate's blocks and the output layer.")

# --- replicate's result: an nn.Sequential of n registered blocks -----------------------------------------------
NO_RETURN = N_("{label} returned None: replicate has no `return` statement, so the caller gets nothing to build with. "
               "replicate must return the chained blocks.")
NOT_SEQUENTIAL = N_("{label} returned a {type}, not an nn.Sequential: the caller needs one block that runs the copies "
                    "one after another when called on X. See {notebook}, section '{section}'.")
ONLY_HOLDS = N_("{label} returned a {type}, not an nn.Sequential: the caller needs one block that runs the copies "
                "one after another when called on X, and a list or an nn.ModuleList only holds blocks: it has no "
                "forward to call. See {notebook}, section '{section}'.")
UNSEEN = N_("{label} keeps {path} where PyTorch cannot see it, so parameters(), state_dict() and .to() skip those "
            "blocks. Pass the blocks to nn.Sequential itself, which registers them. "
            "See {notebook}, section '{section}'.")
COUNT = N_("{label} chains {count} blocks instead of n = {n}: the loop that builds the copies must run exactly n "
           "times (range(n) already gives n values, 0 to n - 1). See {notebook}, section '{section}'.")
NOT_CHAINED = N_("{label}(X) does not run the {n} blocks one after another: the result must be a plain nn.Sequential, "
                 "whose forward chains its blocks. See {notebook}, section '{section}'.")
CHANGED_BLOCKS = N_("{label} does not hold the blocks block_factory built, as they were built: its weights differ from "
                    "the ones the factory gave its blocks. replicate must chain the very blocks the factory returns, "
                    "unchanged. See {notebook}, section '{section}'.")

# --- every copy a fresh block ----------------------------------------------------------------------------------
ONE_OBJECT = N_("replicate's result holds one block object {times} times, so those copies are one layer with one set "
                "of weights: training one trains them all. Repeating a block (as [block] * n does) repeats a "
                "reference, not the block. See {notebook}, section '{section}'.")
CALLS = N_("replicate(counting_factory, 3) called the factory {count} time(s) instead of once per copy. {copied}Each "
           "copy must be built by its own call of block_factory(). See {notebook}, section '{section}'.")
COPIED = N_("Copying one block (copy.deepcopy) gives separate tensors that all start with the same numbers, so the "
            "copies are not initialised independently, unlike n freshly built blocks. ")
SHARED = N_("The copies share parameters ({names} are one tensor): training one copy changes the others. Each copy "
            "needs its own tensors. See {notebook}, section '{section}'.")
RESEEDED = N_("replicate called the factory once per copy, yet the copies start with identical weights: something "
              "resets the random generator between the calls (torch.manual_seed inside replicate, or restoring its "
              "state as torch.random.fork_rng does), so every call draws the same numbers. Identical copies compute "
              "identical features and receive identical gradients, so they stay copies of one another. Leave the "
              "random generator alone inside replicate. See {notebook}, section '{section}'.")
FACTORY_CALLS = N_("replicate(factory, 3) called factory {count} time(s); each copy must be built by its own call of "
                   "the factory. See {notebook}, section '{section}'.")
NOT_MADE = N_("replicate's result must contain the blocks the factory returned, in the order they were made, not "
              "copies or wrappers of them. See {notebook}, section '{section}'.")
IDENTICAL = N_("All copies start with identical weights: each copy must be initialised independently, so replicate "
               "must neither copy one block nor reseed the random generator. See {notebook}, section '{section}'.")
PARAMETERS = N_("replicate(factory, 3) exposes {count} parameter tensors instead of 3 copies x 2: every copy must keep "
                "its own weight and bias. See {notebook}, section '{section}'.")
NOT_FRESH = N_("{label} does not start from the weights the factory's blocks are drawn with: under the same random "
               "seed, calling block_factory() once per copy and chaining the blocks in the order they were made gives "
               "other weights. Call the factory exactly once per copy, in order, chain the very blocks it returns, "
               "and leave the random generator alone inside replicate. See {notebook}, section '{section}'.")

# --- deep_net --------------------------------------------------------------------------------------------------
NOT_DEFINED = N_("{name} is not defined: the cell above must build deep_net with replicate, run it on torch.rand(2, 8) "
                 "and keep the result as deep_out. Run that cell; if it raises an error, fix what the error reports "
                 "(your replicate must pass its own tests first).")
NOT_A_NETWORK = N_("deep_net must be a network (an nn.Module), got a {type}: put replicate's result and the output "
                   "layer into one nn.Sequential. See {notebook}, section '{section}'.")
DEEP_SHAPE = N_("deep_net(torch.rand(2, 8)) has shape {shape} instead of (2, 1): one output per example, so the network "
                "must end with an output layer of one unit, nn.Linear(8, 1).")
DEEP_OUT = N_("deep_out must be deep_net's output on torch.rand(2, 8), a tensor of shape (2, 1).")
DEEP_COUNT = N_("deep_net has {count} parameter tensors; four Linear(8, 8) layers and the Linear(8, 1) output layer "
                "have 10 (a weight and a bias each). Build the four hidden blocks with your replicate, from a factory "
                "that makes one nn.Sequential(nn.Linear(8, 8), nn.ReLU()) per call.")
DEEP_SHARED = N_("deep_net's copies share parameters ({names}): the four hidden blocks must be four separately built "
                 "blocks. See {notebook}, section '{section}'.")
DEEP_IDENTICAL = N_("deep_net's four hidden blocks start with identical weights: separate tensors holding the same "
                    "numbers (one block copied, or the random generator reset between the factory's calls) compute "
                    "identical features and receive identical gradients, so they stay copies of one another. Build "
                    "them with your replicate, which must call the factory once per copy and leave the random "
                    "generator alone. See {notebook}, section '{section}'.")
DEEP_WRONG = N_("deep_net(torch.rand(2, 8)) differs from four nn.Sequential(nn.Linear(8, 8), nn.ReLU()) blocks followed "
                "by nn.Linear(8, 1) holding deep_net's own weights: deep_net must chain replicate's four blocks and "
                "the output layer, in that order, and nothing else. See {notebook}, section '{section}'.")

DEEP_CALL = "deep_net(torch.rand(2, 8))"


def _dict(value) -> dict:
    return value if isinstance(value, dict) else {}


def _values(result) -> list | None:
    """The tensors of a probe's ``_state`` result, or None."""
    values = _dict(result).get("value")
    if not isinstance(values, list):
        return None
    tensors = [_dict(value).get("tensor") for value in values]
    return tensors if all(isinstance(tensor, torch.Tensor) for tensor in tensors) else None


def _same_values(got, want) -> bool:
    mine, theirs = _values(got), _values(want)
    return mine is not None and theirs is not None and len(mine) == len(theirs) and \
        all(same(a, b) for a, b in zip(mine, theirs))


def expect_sequential(structure, label: str, n: int) -> None:
    """replicate's result must be an nn.Sequential of exactly n registered blocks (the kernel's report: messages)."""
    structure = _dict(structure)
    kind = str(structure.get("type", "object"))
    expect(kind != "NoneType", NO_RETURN, label=label)
    expect(structure.get("sequential") is True, ONLY_HOLDS if structure.get("container") else NOT_SEQUENTIAL,
           label=label, type=kind, **see(SEQUENTIAL))
    hidden = structure.get("hidden") or []
    expect(not hidden, UNSEEN, label=label, path=str(hidden[0]) if hidden else "", **see(LIST_PITFALL, PITFALLS))
    count = structure.get("length")
    expect(count == n, COUNT, label=label, count=count, n=n, **see(REPEAT_PITFALL, PITFALLS))


def _no_result(label: str):
    stop(NO_RESULT, what=label)


# --- ex3_sequential ------------------------------------------------------------------------------------------------
def _draw_sequential(g: torch.Generator) -> dict:
    return {"block": linear(g, 4, 4), "X": rand(g, 2, 4), "ns": [3, 1, 2, 5]}


def judge_sequential(challenge: dict, response):
    with torch.random.fork_rng(devices=[]):
        want = probes.sequential(challenge, ANSWERS)
    cases = _dict(response).get("cases")
    if not isinstance(cases, list) or len(cases) != len(challenge["ns"]):
        _no_result("replicate(lambda: nn.Linear(4, 4), 3)")
    for index, (n, got, wanted) in enumerate(zip(challenge["ns"], cases, want["cases"])):
        got, label = _dict(got), f"replicate(lambda: nn.Linear(4, 4), {n})"
        ran_ok(got.get("made"), label, Message(TAKES_BLOCKS if index == 0 else BUILDS_BLOCKS))
        expect_sequential(got.get("structure"), label, n)
        output, expected = got.get("output"), maybe_tensor(wanted["output"])
        if index == 0 or not same(maybe_tensor(output), expected):
            tensor_of(output, f"{label}(X)", Message(PLAIN_SEQUENTIAL))
        expect(_same_values(got.get("state"), wanted["state"]), CHANGED_BLOCKS, label=label, **see(SEQUENTIAL))
        expect(same(maybe_tensor(output), expected), NOT_CHAINED, label=label, n=n, **see(SEQUENTIAL))
    return passed()


# --- ex3_independent -----------------------------------------------------------------------------------------------
def _seed(g: torch.Generator) -> int:
    return int(torch.randint(0, 2 ** 31 - 1, (), generator=g))


def _draw_independent(g: torch.Generator) -> dict:
    return {"seeds": [_seed(g), _seed(g)], "X": rand(g, 2, 4)}


def _chained(got: dict, wanted: dict, label: str) -> None:
    """The result run on X computes what the course's chain of the same copies computes."""
    output = got.get("output")
    if not same(maybe_tensor(output), maybe_tensor(wanted["output"])):
        tensor_of(output, f"{label}(X)", Message(PLAIN_SEQUENTIAL))
        stop(NOT_CHAINED, label=label, n=3, **see(SEQUENTIAL))
    judge_after_training(got.get("again"), wanted["again"], maybe_tensor(output), f"{label}(X)", see(SEQUENTIAL))


def _judge_counting(got: dict, wanted: dict) -> None:
    """The visible part: replicate(counting_factory, 3)."""
    label = "replicate(counting_factory, 3)"
    ran_ok(got.get("made"), label, Message(BUILDS_BLOCKS))
    expect_sequential(got.get("structure"), label, 3)
    objects, distinct = got.get("objects"), got.get("distinct")
    if isinstance(objects, int) and isinstance(distinct, int):
        expect(objects == distinct, ONE_OBJECT, times=objects - distinct + 1, **see(REPEAT_PITFALL, PITFALLS))
    calls = got.get("calls")
    expect(calls == 3, CALLS, count=calls, copied=Message(COPIED) if calls == 1 else "", **see(TWO_INSTANCES))
    shared = got.get("shared") or []
    expect(not shared, SHARED, names=", ".join(map(str, shared[0])) if shared and isinstance(shared[0], list) else "",
           **see(REPEAT_PITFALL, PITFALLS))
    expect(got.get("identical") is not True, RESEEDED, **see(TWO_INSTANCES))
    expect(_same_values(got.get("state"), wanted["state"]), NOT_FRESH, label=label, **see(TWO_INSTANCES))
    _chained(got, wanted, label)


def _judge_factory(got: dict, wanted: dict) -> None:
    """The hidden part: replicate(factory, 3), factory making nn.Sequential(nn.Linear(4, 4), nn.Tanh())."""
    label = "replicate(factory, 3)"
    ran_ok(got.get("made"), label, Message(BUILDS_BLOCKS))
    expect_sequential(got.get("structure"), label, 3)
    calls = got.get("calls")
    expect(calls == 3, FACTORY_CALLS, count=calls, **see(TWO_INSTANCES))
    expect(got.get("order") == [0, 1, 2], NOT_MADE, **see(REPEAT_PITFALL, PITFALLS))
    expect(got.get("identical") is not True, IDENTICAL, **see(TWO_INSTANCES))
    count = got.get("parameters")
    expect(count == 6, PARAMETERS, count=count, **see(REPEAT_PITFALL, PITFALLS))
    expect(_same_values(got.get("state"), wanted["state"]), NOT_FRESH, label=label, **see(TWO_INSTANCES))
    _chained(got, wanted, label)


def judge_independent(challenge: dict, response):
    with torch.random.fork_rng(devices=[]):
        want = probes.independent(challenge, ANSWERS)
    response = _dict(response)
    _judge_counting(_dict(response.get("counting")), want["counting"])
    _judge_factory(_dict(response.get("sequential")), want["sequential"])
    return passed()


# --- ex3_deep_net --------------------------------------------------------------------------------------------------
def _draw_deep_net(g: torch.Generator) -> dict:
    return {"X": rand(g, 2, 8)}


def _architecture() -> nn.Sequential:
    """The network the exercise describes, built with the course's replicate."""
    with torch.random.fork_rng(devices=[]):
        return nn.Sequential(reference_replicate(lambda: nn.Sequential(nn.Linear(8, 8), nn.ReLU()), 4),
                             nn.Linear(8, 1))


def _loaded(response: dict) -> nn.Sequential | None:
    """The exercise's architecture holding deep_net's state_dict values (matched by order and shape), or None."""
    values = _values({"value": response.get("state")})
    network = _architecture()
    wanted = network.state_dict()
    if values is None or len(values) != len(wanted):
        return None
    if any(value.shape != target.shape or value.dtype != target.dtype
           for value, target in zip(values, wanted.values())):
        return None
    network.load_state_dict(dict(zip(wanted.keys(), values)))
    return network


def judge_deep_net(challenge: dict, response):
    response = _dict(response)
    if "missing" in response:
        stop(NOT_DEFINED, name=str(response["missing"])[:40])
    expect(response.get("module") is True, NOT_A_NETWORK, type=str(response.get("type", "object")),
           **see(SEQUENTIAL))
    out = tensor_of(response.get("output"), DEEP_CALL, Message(CHAINS))
    expect(tuple(out.shape) == (2, 1), DEEP_SHAPE, shape=tuple(out.shape))
    deep_out = _dict(response.get("deep_out"))
    expect(deep_out.get("tensor") is True and deep_out.get("shape") == [2, 1], DEEP_OUT)
    count = response.get("count")
    expect(count == 10, DEEP_COUNT, count=count)
    shared = [group for group in response.get("shared") or [] if isinstance(group, list)] or \
        [group for group in response.get("storage") or [] if isinstance(group, list)]
    expect(not shared, DEEP_SHARED, names=", ".join(map(str, shared[0])) if shared else "",
           **see(REPEAT_PITFALL, PITFALLS))
    network = _loaded(response)
    expect(network is not None, DEEP_WRONG, **see(SEQUENTIAL))
    hidden = [network[0][i][0].weight for i in range(4)]
    expect(not any(torch.equal(a, b) for i, a in enumerate(hidden) for b in hidden[i + 1:]), DEEP_IDENTICAL,
           **see(TWO_INSTANCES))
    with torch.no_grad():
        expected = network(challenge["X"])
    expect(same(out, expected), DEEP_WRONG, **see(SEQUENTIAL))
    again = after_training(network, challenge["X"], [network])  # what deep_net computes after a training step
    judge_after_training(response.get("again"), again, out, DEEP_CALL, see(SEQUENTIAL))
    return passed()


CHECKS = {
    "ex3_sequential": Check(probe="ex3.sequential", draw=_draw_sequential, judge=judge_sequential),
    "ex3_independent": Check(probe="ex3.independent", draw=_draw_independent, judge=judge_independent),
    "ex3_deep_net": Check(probe="ex3.deep_net", draw=_draw_deep_net, judge=judge_deep_net),
}
