"""The one validating door every block of this library goes through.

``MySequential``, ``Parallel`` and ``replicate`` all register children here, so a
wrong argument gets the same clear error wherever it is passed.
"""
from __future__ import annotations

from typing import Any

from torch import nn

from .i18n import N_, Message, translate

NOT_A_BLOCK = N_(
    "{owner} got {value!r} (type {type_name}) as block {position}, but every block must be an "
    "nn.Module such as nn.Linear(20, 256) or nn.ReLU(). {hint}"
)
_HINT_CLASS = N_("You passed the class itself; call it to build a block: {name}(...).")
_HINT_FUNCTION = N_("You passed a function; pass the module it builds, or wrap it in a custom nn.Module.")
_HINT_SEQUENCE = N_("You passed a {kind}; unpack it with a star: {owner}(*blocks).")
_HINT_OTHER = N_("Build the block first, e.g. nn.Linear(in_features, out_features).")


def describe_non_block(value: object, owner: str | Message) -> str:
    """Say, in a student's words, why ``value`` is not a block and how to fix it."""
    if isinstance(value, type):
        return translate(_HINT_CLASS, name=value.__name__)
    if isinstance(value, (list, tuple)):
        return translate(_HINT_SEQUENCE, kind=type(value).__name__, owner=owner)
    if callable(value):
        return translate(_HINT_FUNCTION)
    return translate(_HINT_OTHER)


def check_block(value: object, owner: str | Message, position: object) -> nn.Module:
    """Return ``value`` if it is an ``nn.Module``; otherwise raise a ``TypeError`` that teaches.

    ``owner`` and ``position`` may be a ``Message``: words, rendered only if the error happens.
    """
    if not isinstance(value, nn.Module):
        raise TypeError(
            translate(
                NOT_A_BLOCK,
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
NOT_A_MODULE = N_(
    "{function}() expects a PyTorch block (an nn.Module instance such as nn.Linear(20, 256) or an "
    "nn.Sequential), got {what}. {hint}"
)
_GOT_CLASS = N_("the class {name} itself")
_GOT_SEQUENCE = N_("a {kind}")
_HINT_CREATE = N_("Create the block first: {function}({name}()).")
_HINT_WRAP = N_("Wrap the blocks first: {function}(nn.Sequential(*blocks)).")
_HINT_BUILD = N_("Build a model first, e.g. {function}(nn.Sequential(nn.Linear(20, 256), nn.ReLU())).")


def check_module(model: Any, function: str) -> None:
    """Raise a TypeError that names what was passed and how to pass a block instead."""
    if isinstance(model, nn.Module):
        return
    if isinstance(model, type) and issubclass(model, nn.Module):
        what = translate(_GOT_CLASS, name=model.__name__)
        hint = translate(_HINT_CREATE, function=function, name=model.__name__)
    elif isinstance(model, (list, tuple)):
        what = translate(_GOT_SEQUENCE, kind=type(model).__name__)
        hint = translate(_HINT_WRAP, function=function)
    else:
        what = f"{type(model).__name__} {model!r}"[:120]
        hint = translate(_HINT_BUILD, function=function)
    raise TypeError(translate(NOT_A_MODULE, function=function, what=what, hint=hint))
