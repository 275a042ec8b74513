"""The one validating door every block of this library goes through.

``MySequential``, ``Parallel`` and ``replicate`` all register children here, so a
wrong argument gets the same clear error wherever it is passed.
"""
from __future__ import annotations

from typing import Any

from torch import nn

NOT_A_BLOCK = (
    "{owner} got {value!r} (type {type_name}) as block {position}, but every block must be an "
    "nn.Module such as nn.Linear(20, 256) or nn.ReLU(). {hint}"
)
_HINT_CLASS = "You passed the class itself; call it to build a block: {name}(...)."
_HINT_FUNCTION = "You passed a function; pass the module it builds, or wrap it in a custom nn.Module."
_HINT_SEQUENCE = "You passed a {kind}; unpack it with a star: {owner}(*blocks)."
_HINT_OTHER = "Build the block first, e.g. nn.Linear(in_features, out_features)."


def describe_non_block(value: object, owner: str) -> str:
    """Say, in a student's words, why ``value`` is not a block and how to fix it."""
    if isinstance(value, type):
        return _HINT_CLASS.format(name=value.__name__)
    if isinstance(value, (list, tuple)):
        return _HINT_SEQUENCE.format(kind=type(value).__name__, owner=owner)
    if callable(value):
        return _HINT_FUNCTION
    return _HINT_OTHER


def check_block(value: object, owner: str, position: object) -> nn.Module:
    """Return ``value`` if it is an ``nn.Module``; otherwise raise a ``TypeError`` that teaches."""
    if not isinstance(value, nn.Module):
        raise TypeError(
            NOT_A_BLOCK.format(
                owner=owner,
                value=value,
                type_name=type(value).__name__,
                position=position,
                hint=describe_non_block(value, owner),
            )
        )
    return value


def register_block(parent: nn.Module, name: str, block: object) -> nn.Module:
    """Validate ``block`` and register it on ``parent`` under ``name``.

    Registration (``add_module``) is what makes a child visible to ``parameters()``,
    ``state_dict()``, ``.to()``, ``.eval()`` and ``print``; a plain attribute or a
    Python list is not.
    """
    module = check_block(block, type(parent).__name__, name)
    parent.add_module(name, module)
    return module


# The one message for a function that takes a whole model (param_tree, show, find_unregistered, ...).
NOT_A_MODULE = (
    "{function}() expects a PyTorch block (an nn.Module instance such as nn.Linear(20, 256) or an "
    "nn.Sequential), got {what}. {hint}"
)


def check_module(model: Any, function: str) -> None:
    """Raise a TypeError that names what was passed and how to pass a block instead."""
    if isinstance(model, nn.Module):
        return
    if isinstance(model, type) and issubclass(model, nn.Module):
        what, hint = f"the class {model.__name__} itself", f"Create the block first: {function}({model.__name__}())."
    elif isinstance(model, (list, tuple)):
        what, hint = f"a {type(model).__name__}", f"Wrap the blocks first: {function}(nn.Sequential(*blocks))."
    else:
        what = f"{type(model).__name__} {model!r}"[:120]
        hint = f"Build a model first, e.g. {function}(nn.Sequential(nn.Linear(20, 256), nn.ReLU()))."
    raise TypeError(NOT_A_MODULE.format(function=function, what=what, hint=hint))
