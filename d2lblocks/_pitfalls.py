"""Two broken Sequentials, kept on purpose so the chapter's pitfalls can be run and seen.

Use ``MySequential`` (or ``nn.Sequential``) in real code.
"""
from __future__ import annotations

import torch
from torch import nn

from ._registration import check_block


class ListSequential(nn.Module):
    """THE PITFALL: a Sequential that keeps its blocks in a plain Python list.

    ``forward`` works, so the mistake is easy to miss, but PyTorch's registry
    never hears of the blocks: ``parameters()`` is empty, an optimizer refuses
    it, ``state_dict()`` saves nothing, ``.to()`` and ``.eval()`` skip the
    blocks and ``print(net)`` shows no children. ``find_unregistered`` spots it;
    the fix is ``nn.ModuleList`` or ``MySequential``.

    Example::

        >>> net = ListSequential(nn.Linear(20, 256), nn.ReLU(), nn.Linear(256, 10))
        >>> net(torch.rand(2, 20)).shape, len(list(net.parameters()))
        (torch.Size([2, 10]), 0)
    """

    def __init__(self, *blocks: nn.Module) -> None:
        super().__init__()
        self.blocks = [check_block(block, "ListSequential", index) for index, block in enumerate(blocks)]

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        for block in self.blocks:
            X = block(X)
        return X


class ModuleKeyedSequential(nn.Module):
    """An older edition's bug: ``self._modules[block] = block``, keyed by the module itself.

    ``_modules`` must map *string names* to modules. Keyed by objects, ``forward``
    still runs (it only reads the values), but everything that builds names
    (``parameters()``, ``state_dict()``, ``print(net)``) raises ``TypeError``.
    The fix is ``self._modules[str(index)] = block`` or ``self.add_module(str(index), block)``.

    Example::

        >>> net = ModuleKeyedSequential(nn.Linear(4, 2))
        >>> net(torch.rand(3, 4)).shape
        torch.Size([3, 2])
        >>> list(net.parameters())
        Traceback (most recent call last):
        ...
        TypeError: can only concatenate str (not "Linear") to str
    """

    def __init__(self, *blocks: nn.Module) -> None:
        super().__init__()
        for index, block in enumerate(blocks):
            # The bug, on purpose (and why the type checker objects): a module as the key.
            self._modules[check_block(block, "ModuleKeyedSequential", index)] = block  # type: ignore[index]

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        for block in self._modules.values():
            X = block(X)  # type: ignore[misc]  # torch types the values as Optional; none is None here
        return X
