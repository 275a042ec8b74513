"""The two public entry points: ``param_tree`` (the model) and ``show`` (the widget)."""
from __future__ import annotations

from typing import Any

from torch import nn

from .._registration import check_module
from ..i18n import N_, translate
from ._build import build_tree
from ._calls import CALLS_NOTE, count_calls
from ._tree import ParamTree

BAD_NAME = N_("name must be a Python identifier such as 'net', got {name!r}")


def param_tree(model: nn.Module, example_input: Any = None, *, name: str = "net") -> ParamTree:
    """The parameter tree of ``model``: every block, parameter and buffer at its path.

    Parameters are counted once each, by identity, however many paths reach them
    (tied weights); blocks and tensors PyTorch cannot see (a block kept in a Python
    list, a plain tensor attribute) appear at their real place, marked
    ``[unregistered]``. Building the tree never runs or changes the model. Given an
    ``example_input``, each block's call count in one forward pass is added; that
    forward runs on a copy of the model.

    Example::

        >>> import torch, d2lblocks
        >>> tree = d2lblocks.param_tree(d2lblocks.FixedHiddenMLP(), torch.rand(2, 20))
        >>> tree["net.linear"].calls
        2
    """
    check_module(model, "param_tree")
    if not isinstance(name, str) or not name.isidentifier():
        raise ValueError(translate(BAD_NAME, name=name))
    if example_input is None:
        return build_tree(model, name)
    calls, keep_alive = count_calls(model, example_input)
    return build_tree(model, name, calls=calls, calls_note=CALLS_NOTE, keep_alive=keep_alive)


def show(model: nn.Module, example_input: Any = None):
    """An interactive tree of ``model`` for JupyterLab and Notebook 7 (see ``ParamTreeWidget``).

    Example::

        >>> import d2lblocks
        >>> widget = d2lblocks.show(d2lblocks.chimera())
        >>> widget.refresh()  # after a training step: new values, same expanded nodes
        >>> widget.version
        1
    """
    check_module(model, "show")
    from ._widget import ParamTreeWidget

    return ParamTreeWidget(model, example_input)
