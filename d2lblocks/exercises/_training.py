"""Right once is not enough: a block's output must follow its parameters after a training step.

A forward that stores its first output and hands it back (a cache keyed by the input, or the last
input kept with its result) passes every check that calls it once. `expect_follows_training` changes
every weight in place, as an optimizer step does, and calls the model again on the same input and on
an equal copy of it; the weights are put back afterwards.

    >>> from torch import nn
    >>> layer = nn.Linear(3, 2)
    >>> expect_follows_training(layer, torch.rand(4, 3), [layer], layer, "nn.Linear(3, 2)(X)", "A custom block")
"""
import torch

from d2lblocks.exercises._feedback import at, fail, running
from d2lblocks.i18n import N_

STALE = N_("{what} returned the same output as before after a training step changed its weights, as if it gave back "
           "a result it had stored from an earlier call: the output of a block must follow its parameters, or "
           "training (and load_state_dict, and .to()) would change nothing it computes. Compute the output in "
           "forward on every call; do not keep outputs in a cache. See {notebook}, section '{section}'.")
STALE_LATER = N_("{what} is right the first time, but after a training step changed its weights it no longer computes "
                 "what the same blocks compute: forward must run the registered blocks on every call, with the "
                 "weights they hold now. See {notebook}, section '{section}'.")


def _close(out, expected):
    return isinstance(out, torch.Tensor) and out.shape == expected.shape and torch.allclose(out, expected)


def expect_follows_training(model, X, blocks, compute, label, section):
    """model(X), if right, must stay right once a training step changed its blocks' weights, on the same X and on
    an equal copy: a forward that hands back an output it stored never follows its parameters. The weights are
    put back afterwards."""
    parameters = list({id(p): p for block in blocks for p in block.parameters()}.values())
    saved = [p.detach().clone() for p in parameters]
    with running(label):
        out = model(X)
    with torch.no_grad():
        first = compute(X)
    if not _close(out, first):
        return  # a wrong first output is the other checks' to explain
    try:
        with torch.no_grad():
            for p in parameters:
                p.mul_(-0.5).add_(0.125)  # what one training step does: change every weight in place
            expected = compute(X)
        for inputs in (X, X.clone()):
            with running(label):
                out = model(inputs)
            if not _close(out, expected):
                fail(STALE if _close(out, first) else STALE_LATER, "stale", what=label, **at(section))
    finally:
        with torch.no_grad():
            for p, value in zip(parameters, saved):
                p.copy_(value)

