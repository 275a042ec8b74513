"""``MySequential``: the chapter's Sequential block, with its blocks registered."""
from __future__ import annotations

from collections.abc import Iterator

import torch
from torch import nn

from ._registration import register_block
from .i18n import N_, translate

INDEX_OUT_OF_RANGE = N_(
    "MySequential has {length} blocks, so index {index} is out of range (use 0 to {last}, or -1 for the last).")
BAD_INDEX = N_("MySequential indices must be integers or slices, got {index!r} of type {type_name}.")


class MySequential(nn.Module):
    """Chain blocks so that each block's output is the next block's input.

    Every block is registered as a child module (``add_module``), so PyTorch sees
    it: ``parameters()`` yields its weights, ``state_dict()`` saves them,
    ``.to()`` moves them and ``.eval()`` reaches them. Keeping the blocks in a
    plain Python list instead looks the same in ``forward`` but hides all of that
    (see ``ListSequential`` and ``demonstrate_list_pitfall``).

    What is the difference from ``nn.Sequential``? None in behaviour; this class
    is short enough to read in one sitting, and adds ``.add(block)`` as in Gluon
    and Keras.

    Example::

        >>> net = MySequential(nn.Linear(20, 256), nn.ReLU())
        >>> net.add(nn.Linear(256, 10))  # doctest: +ELLIPSIS
        MySequential(...)
        >>> net(torch.rand(2, 20)).shape
        torch.Size([2, 10])
        >>> len(list(net.parameters()))
        4
    """

    def __init__(self, *blocks: nn.Module) -> None:
        super().__init__()
        for block in blocks:
            self.add(block)

    def add(self, block: nn.Module) -> "MySequential":
        """Append ``block`` after the current last block; returns ``self`` so calls chain."""
        index = len(self._modules)
        while str(index) in self._modules:  # never overwrite a block, even after one was deleted
            index += 1
        register_block(self, str(index), block)
        return self

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        # _modules is an ordered dict, so blocks run in the order they were added.
        for block in self._blocks():
            X = block(X)
        return X

    def __getitem__(self, index: int | slice) -> nn.Module:
        blocks = self._blocks()
        if isinstance(index, slice):
            return MySequential(*blocks[index])
        if isinstance(index, bool) or not isinstance(index, int):
            raise TypeError(translate(BAD_INDEX, index=index, type_name=type(index).__name__))
        if not -len(blocks) <= index < len(blocks):
            raise IndexError(translate(INDEX_OUT_OF_RANGE, length=len(blocks), index=index, last=len(blocks) - 1))
        return blocks[index]

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[nn.Module]:
        return iter(self._blocks())

    def _blocks(self) -> list[nn.Module]:
        # torch types _modules' values as Optional; register_block never stores None.
        return [block for block in self._modules.values() if block is not None]
