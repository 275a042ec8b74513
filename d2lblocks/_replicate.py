"""``replicate``: many independent copies of a block, and a check for accidental sharing."""
from __future__ import annotations

from collections.abc import Callable

from torch import nn

from ._registration import check_block, check_module
from .i18n import N_, Message, translate

BAD_COUNT = N_("replicate needs n, the number of blocks, as a whole number of at least 1; got {n!r}.")
INSTANCE_NOT_FACTORY = N_(
    "replicate needs a factory that builds a new block on every call, but got an already built "
    "{type_name}. Pass a function instead, e.g. replicate(lambda: nn.Linear(8, 8), n)."
)
NOT_CALLABLE = N_(
    "replicate needs a zero-argument function that builds a block, got {value!r} of type "
    "{type_name}. Pass e.g. lambda: nn.Linear(8, 8)."
)
SAME_OBJECT_TWICE = N_(
    "block_factory returned the same {type_name} object on call {first} and call {again}; the {n} "
    "blocks would share one set of weights. Build a new block inside the factory, e.g. "
    "lambda: nn.Linear(8, 8), instead of returning an existing one."
)
SHARED_PARAMETERS = N_(
    "blocks {first} and {again} made by block_factory share the parameter {name!r}: the factory "
    "reuses a layer built outside it. Build every layer inside the factory."
)
# Where a bad block came from, in NOT_A_BLOCK's words: "replicate's block_factory got 42 ... as block from call 0".
_FACTORY = Message(N_("replicate's block_factory"))
_FROM_CALL = N_("from call {call}")

def replicate(block_factory: Callable[[], nn.Module], n: int) -> nn.Sequential:
    """Chain ``n`` independent blocks, each built by its own call of ``block_factory``.

    Independent means separate parameters with separate initialisation. This is
    the right way to stack copies; ``nn.Sequential(*[block] * n)`` repeats ONE
    block (and one set of weights) ``n`` times (see ``find_shared_parameters``).

    Example::

        >>> net = replicate(lambda: nn.Sequential(nn.Linear(8, 8), nn.ReLU()), 3)
        >>> len(net), net[0][0].weight is net[1][0].weight
        (3, False)
    """
    if isinstance(block_factory, nn.Module):
        raise TypeError(translate(INSTANCE_NOT_FACTORY, type_name=type(block_factory).__name__))
    if not callable(block_factory):
        raise TypeError(translate(NOT_CALLABLE, value=block_factory, type_name=type(block_factory).__name__))
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(translate(BAD_COUNT, n=n))
    blocks: list[nn.Module] = []  # also keeps every block alive, so the ids below stay unique
    call_of_block: dict[int, int] = {}
    owner_of_parameter: dict[int, tuple[int, str]] = {}
    for call in range(n):
        block = check_block(block_factory(), _FACTORY, Message(_FROM_CALL, {"call": call}))
        if id(block) in call_of_block:
            raise ValueError(
                translate(SAME_OBJECT_TWICE, type_name=type(block).__name__, first=call_of_block[id(block)], again=call, n=n)
            )
        call_of_block[id(block)] = call
        for name, parameter in block.named_parameters():
            if id(parameter) in owner_of_parameter:
                raise ValueError(translate(SHARED_PARAMETERS, first=owner_of_parameter[id(parameter)][0], again=call,
                                           name=name))
            owner_of_parameter[id(parameter)] = (call, name)
        blocks.append(block)
    return nn.Sequential(*blocks)


def find_shared_parameters(model: nn.Module) -> list[tuple[str, ...]]:
    """Return groups of parameter names that refer to one and the same tensor.

    An empty list means every parameter is independent. A group like
    ``('0.weight', '1.weight', '2.weight')`` usually means one block was
    repeated (``[block] * 3``) where fresh blocks were meant. Deliberate tying
    (e.g. input and output embeddings) shows up here too.

    Example::

        >>> layer = nn.Linear(4, 4)
        >>> find_shared_parameters(nn.Sequential(layer, nn.ReLU(), layer))
        [('0.weight', '2.weight'), ('0.bias', '2.bias')]
    """
    check_module(model, "find_shared_parameters")
    # Holding the parameters themselves (not just id()) keeps them alive, so an
    # id can never be recycled by another tensor while we group.
    groups: dict[int, tuple[nn.Parameter, list[str]]] = {}
    for name, parameter in model.named_parameters(remove_duplicate=False):
        groups.setdefault(id(parameter), (parameter, []))[1].append(name)
    return [tuple(names) for _, names in groups.values() if len(names) > 1]
