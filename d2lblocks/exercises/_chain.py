"""The chain checks of Exercise 1: MySequential(*blocks)(X) must be the blocks applied in turn, and must stay
right after training changed their weights; each way of getting it wrong has its own message.

    >>> from torch import nn
    >>> from d2lblocks import MySequential
    >>> expect_chain(MySequential, [nn.Linear(3, 3), nn.ReLU()], torch.rand(2, 3), "MySequential(...)")
"""
import torch
from torch import nn

from d2lblocks import MySequential as CourseSequential, find_unregistered
from d2lblocks.exercises._feedback import NOT_WRITTEN, SEQUENTIAL_BLOCK, at, expect_tensor, fail, quiet, running, said, say
from d2lblocks.exercises._registration import held, registration_problem, watching
from d2lblocks.i18n import N_, Message

INIT_SEE = N_("__init__ must register the blocks it is given. See {notebook}, section '{section}'.")
RETURN_ADVICE = N_("forward must return the output of the last block.")
NAMES_REPEATED = N_("{names} With the block itself as its name, a block passed twice even gets one entry for two "
                    "positions.")
RECURSED = N_("{label}(X) never finished: forward calls the model itself again and again (RecursionError). "
              "self.modules() yields the model itself before its blocks, so a forward that runs everything in "
              "self.modules() calls itself. Run only the blocks that were passed in, one registered entry per "
              "position. See {notebook}, section '{section}'.")
REPEATED_ONCE = N_("{label} registers the block passed twice only once, so forward runs it once where nn.Sequential "
                   "runs it twice: a name derived from the block itself (its type, id or str) is the same for both "
                   "positions, and the second registration replaces the first. Name the positions, not the blocks. "
                   "See {notebook}, section '{section}'.")
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

def expect_chain(cls, blocks, X, label, reference_blocks=None):
    """cls(*blocks)(X) must equal the blocks applied in turn, as nn.Sequential does; if not, say which mistake it is."""
    section = at(SEQUENTIAL_BLOCK)
    with running(label, Message(INIT_SEE, section), "ex1-register"):
        net = cls(*blocks)
    with torch.no_grad():
        expected = CourseSequential(*(reference_blocks or blocks))(X)  # the course library's MySequential
    error, out = None, None
    with watching(blocks) as calls, quiet():
        try:
            out = net(X)
        except NotImplementedError:
            raise AssertionError(say(NOT_WRITTEN, what=f"{label}(X)")) from None
        except Exception as caught:
            error = caught
    if error is None and isinstance(out, torch.Tensor) and out.shape == expected.shape and torch.allclose(out, expected):
        return
    order = [id(block) for block in blocks]
    ran = [id(module) for module, _ in calls]
    odd_keys = [key for key in net._modules if not isinstance(key, str)]
    if odd_keys:
        _, message, fix = registration_problem(net, blocks, "MySequential")
        if len(set(order)) < len(order):
            fail(NAMES_REPEATED, fix, names=message)
        fail(message, fix)
    with quiet():
        hidden = find_unregistered(net)
    entries = held(net, blocks)
    lost = [i for i, block in enumerate(blocks) if sum(entry is block for entry in entries) < order.count(id(block))]
    if isinstance(error, RecursionError):
        fail(RECURSED, "ex1-loop", label=label, **section)
    if not hidden and lost and not isinstance(net, nn.Sequential):
        if order.count(order[lost[0]]) > 1:
            fail(REPEATED_ONCE, "ex1-register", label=label, **section)
        problem = registration_problem(net, blocks, "MySequential")
        if problem:
            fail(problem.message, problem.fix)
    if error is None and not isinstance(out, torch.Tensor):
        expect_tensor(out, f"{label}(X)", Message(RETURN_ADVICE), "ex1-return")
    unique = list(dict.fromkeys(order))
    if len(unique) < len(order) and ran == unique:
        fail(DEDUPLICATED, "ex1-children", label=label, **section)
    if ran and ran[0] != order[0] and ran == order[::-1][:len(ran)]:
        fail(REVERSED, "ex1-order", label=label, **section)
    if any(inputs is X for _, inputs in calls[1:]):
        fail(NOT_CHAINED, "ex1-chain", label=label, **section)
    if error is None and ran and len(ran) < len(order) and ran == order[:len(ran)]:
        fail(FIRST_ONLY, "ex1-all", label=label, ran=len(ran), total=len(order), **section)
    if error is None and ran and len(ran) < len(order) and ran == order[len(order) - len(ran):]:
        fail(SKIPPED_FIRST, "ex1-all", label=label, skipped=len(order) - len(ran), **section)
    if error is not None:
        fail(CRASHED, "ex1-loop", label=label, error=said(error), **section)
    shape = "" if out.shape == expected.shape else Message(SHAPE, {"got": tuple(out.shape), "want": tuple(expected.shape)})
    fail(WRONG, "ex1-loop", label=label, shape=shape, **section)

