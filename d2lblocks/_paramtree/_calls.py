"""Count how often each module runs in one forward pass, without touching the model.

The forward pass runs on a deep copy: a forward in training mode would update
BatchNorm statistics, and a first call would initialise lazy parameters. The
``memo`` of ``copy.deepcopy`` maps every original object's ``id`` to its copy,
so counts on the copy translate back to the original modules.
"""
from __future__ import annotations

import copy
from typing import Any

import torch
from torch import nn

from ..i18n import N_, translate

# A msgid, kept as such in the tree (calls_note) and said in the language in force when shown.
CALLS_NOTE = N_("call counts from one forward pass of the example input on a copy of the model (no_grad); "
                "the model itself was not run")
FORWARD_FAILED = N_(
    "param_tree(): the example input could not go through the model: {error}. Pass an input the model accepts, "
    "e.g. torch.rand(2, 20) for a model whose first layer is nn.Linear(20, ...), or leave example_input out."
)
NOT_COPYABLE = N_(
    "param_tree(): call counts run the example input through a copy of the model, and copy.deepcopy(model) "
    "failed: {error}. Leave example_input out to build the tree without call counts."
)


def count_calls(model: nn.Module, example_input: Any) -> tuple[dict[int, int], Any]:
    """``({id(original module): calls}, keep_alive)`` from one forward of ``example_input``.

    A tuple is passed as several positional arguments, a dict as keyword arguments.
    """
    memo: dict[int, Any] = {}
    try:
        clone = copy.deepcopy(model, memo)
    except Exception as error:  # any object in the model may refuse to be copied
        raise TypeError(translate(NOT_COPYABLE, error=error)) from error
    originals = {id(copied): original_id for original_id, copied in memo.items() if isinstance(copied, nn.Module)}
    counts: dict[int, int] = {}

    def count(module, _inputs):
        key = originals.get(id(module))
        if key is not None:
            counts[key] = counts.get(key, 0) + 1

    hook = nn.modules.module.register_module_forward_pre_hook(count)
    try:
        with torch.no_grad(), torch.random.fork_rng(devices=[]):
            if isinstance(example_input, tuple):
                clone(*example_input)
            elif isinstance(example_input, dict):
                clone(**example_input)
            else:
                clone(example_input)
    except Exception as error:
        raise ValueError(translate(FORWARD_FAILED, error=error)) from error
    finally:
        hook.remove()
    return counts, memo
