"""Registration checks: does a container register exactly the blocks it was given, and if not, which mistake is it?

Each mistake gets its own message (blocks hidden in a list or dict, non-string names, copies instead of the
blocks themselves, blocks lost under a reused name, extra parameters), found with the course library's
`find_unregistered`.

    >>> from torch import nn
    >>> class InAList(nn.Module):
    ...     def __init__(self, *blocks):
    ...         super().__init__()
    ...         self.blocks = list(blocks)
    >>> blocks = [nn.Linear(2, 2)]
    >>> registration_problem(InAList(*blocks), blocks, "MySequential").kind
    'hidden'
"""
import contextlib
from typing import NamedTuple

import torch
from torch import nn

from d2lblocks import find_unregistered
from d2lblocks.exercises._feedback import (
    CUSTOM_BLOCK,
    KEY_PITFALL,
    LIST_PITFALL,
    PITFALLS,
    SEQUENTIAL_BLOCK,
    at,
    fail,
    quiet,
    say,
)
from d2lblocks.i18n import N_, Message


class Problem(NamedTuple):
    """What is wrong with a container's registration: its kind, the message, and the fix hint() gives."""
    kind: str
    message: str
    fix: str


def distinct(blocks):
    return list({id(block): block for block in blocks}.values())


def held(model, blocks):
    """The entries of `model`'s registry, one per registered position (an nn.ModuleList or similar opened)."""
    given, entries = {id(block) for block in blocks}, []
    for child in model._modules.values():
        if id(child) not in given and type(child) in (nn.ModuleList, nn.ModuleDict, nn.Sequential):
            entries.extend(child._modules.values())
        else:
            entries.append(child)
    return entries


def same_state(copy, block):
    """True when `copy` is a different object with the same numbers as `block` (copy.deepcopy, a rebuilt network)."""
    if copy is block or type(copy) is not type(block):
        return False
    mine, theirs = copy.state_dict(), block.state_dict()
    return mine.keys() == theirs.keys() and all(torch.equal(mine[key], theirs[key]) for key in mine)


REGISTRATION = {  # per class: the notebook section that explains registering its blocks, and the fix hint() gives
    "MySequential": (SEQUENTIAL_BLOCK, "ex1-register"),
    "Parallel": (CUSTOM_BLOCK, "ex2-register"),
}
NAMES = N_("{name} registers its blocks under {key_type} objects instead of string names: PyTorch builds parameter "
           "names such as '0.weight' by joining the names with '.', so parameters(), state_dict() and print() crash on "
           "a name that is not a string. See {notebook}, section '{section}'.")
HIDDEN = N_("{name} keeps self.{attribute} {where}, where PyTorch cannot see it: parameters(), state_dict(), .to() "
            "and .eval() skip the blocks inside, so an optimizer never trains them and saving loses them. {fix} "
            "See {notebook}, section '{section}'.")
IN_A = N_("in a {container}")
AS_ATTRIBUTE = N_("as a plain attribute")
FIX_CONTAINER = N_("Register them: nn.ModuleList or nn.ModuleDict instead of a {container}, or add_module.")
FIX_ATTRIBUTE = N_("Register it: assign it with self.{attribute} = block after super().__init__(), or add_module.")
COPIES = N_("{name} registers copies of the blocks it was given (copy.deepcopy, or new blocks with the same numbers), "
            "not the blocks themselves. The copies start out equal, but training, .to() and .eval() on {name} now "
            "change only the copies: the blocks the caller passed in, and still holds, never change. Register the "
            "very objects passed to __init__. See {notebook}, section '{section}'.")
LOST = N_("{name} kept only {kept} of the {total} blocks it was given: the others are not registered at all, so "
          "forward cannot run them and parameters() misses them. Either they were never stored, or they were stored "
          "under a name already in use: registering a block under a taken name (the same attribute or add_module "
          "name twice, e.g. self.block = block in a loop) replaces the block registered before. Every block needs a "
          "name of its own. See {notebook}, section '{section}'.")
PARAMETERS = N_("{name}.parameters() gives {found} tensors, but the blocks it was given hold {wanted}{extra}: an "
                "optimizer built from {name}.parameters() must receive exactly the blocks' own weights and biases. "
                "See {notebook}, section '{section}'.")
EXTRA = N_(" ({count} of yours are not the blocks' own: layers or parameters made inside {name})")


def registration_problem(model, blocks, name):
    """The `Problem` when `model` does not register exactly `blocks`; None when it does."""
    section, fix = REGISTRATION[name]
    odd_keys = [key for key in model._modules if not isinstance(key, str)]
    if odd_keys:
        return Problem("names", say(NAMES, name=name, key_type=type(odd_keys[0]).__name__, **at(KEY_PITFALL, PITFALLS)),
                "string-names")
    with quiet():
        hidden = find_unregistered(model)
        registered = list(model.modules())
        found = list(model.parameters())
    modules = [finding for finding in hidden if finding.kind == "module"] or hidden
    if modules:
        first = modules[0]
        plain = first.container == "attribute"
        where = Message(AS_ATTRIBUTE) if plain else Message(IN_A, {"container": first.container})
        advice = Message(FIX_ATTRIBUTE if plain else FIX_CONTAINER,
                         {"container": first.container, "attribute": first.attribute})
        return Problem("hidden", say(HIDDEN, name=name, attribute=first.attribute, where=where, fix=advice,
                              **at(LIST_PITFALL, PITFALLS)), fix)
    ids = {id(module) for module in registered}
    missing = [block for block in distinct(blocks) if id(block) not in ids]
    if missing:
        given = {id(block) for block in blocks}
        copies = [module for module in registered
                  if id(module) not in given and any(same_state(module, block) for block in missing)]
        if copies:
            return Problem("copies", say(COPIES, name=name, **at(section)), fix)
        kept = len(distinct(blocks)) - len(missing)
        return Problem("lost", say(LOST, name=name, kept=kept, total=len(distinct(blocks)), **at(section)), fix)
    wanted = {id(p) for block in blocks for p in block.parameters()}
    if {id(p) for p in found} != wanted or len(found) != len(wanted):
        extra = sum(id(p) not in wanted for p in found)
        return Problem("parameters", say(PARAMETERS, name=name, found=len(found), wanted=len(wanted),
                                  extra=Message(EXTRA, {"count": extra, "name": name}) if extra else "", **at(section)),
                fix)
    return None


def expect_registered(model, blocks, name):
    """PyTorch must see every block inside `model` (parameters, state_dict, .to, .eval), and nothing else."""
    problem = registration_problem(model, blocks, name)
    if problem:
        fail(problem.message, problem.fix)


@contextlib.contextmanager
def watching(blocks):
    """Record which of `blocks` run, in order, and the input each one receives."""
    calls = []
    handles = [block.register_forward_pre_hook(lambda module, args: calls.append((module, args[0] if args else None)))
               for block in distinct(blocks)]
    try:
        yield calls
    finally:
        for handle in handles:
            handle.remove()

