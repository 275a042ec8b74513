"""The container check of Exercise 3: replicate's result must be an nn.Sequential of exactly n registered blocks.

    >>> from torch import nn
    >>> expect_sequential(nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 2)), 2, "replicate(factory, 2)")
"""
from torch import nn

from d2lblocks import find_unregistered
from d2lblocks.exercises._feedback import LAYER_AND_BLOCK, LIST_PITFALL, PITFALLS, REPEAT_PITFALL, at, expect, fail, quiet
from d2lblocks.i18n import N_

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


def expect_sequential(net, n, label):
    """replicate's result: an nn.Sequential of exactly n registered blocks."""
    if net is None:
        fail(NO_RETURN, "ex3-sequential", label=label)
    container = isinstance(net, (list, tuple, nn.ModuleList))
    expect(isinstance(net, nn.Sequential), ONLY_HOLDS if container else NOT_SEQUENTIAL, "ex3-sequential",
           label=label, type=type(net).__name__, **at(LAYER_AND_BLOCK))
    with quiet():
        hidden = find_unregistered(net)
    expect(not hidden, UNSEEN, "ex3-sequential", label=label, path=hidden[0].path if hidden else "",
           **at(LIST_PITFALL, PITFALLS))
    expect(len(net) == n, COUNT, "ex3-sequential", label=label, count=len(net), n=n, **at(REPEAT_PITFALL, PITFALLS))


