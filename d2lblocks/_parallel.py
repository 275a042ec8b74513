"""``Parallel``: run several blocks on the same input and concatenate their outputs."""
from __future__ import annotations

import torch
from torch import nn

from ._registration import register_block
from .i18n import N_, translate

NO_BRANCHES = N_("Parallel needs at least one block, e.g. Parallel(nn.Linear(20, 8), nn.Linear(20, 4)).")
BAD_DIM = N_("Parallel's dim must be an integer such as -1 (the feature dimension), got {dim!r}.")
BRANCH_SHAPE = N_("branch {name} ({type_name}) gave shape {shape}")
SHAPES_DISAGREE = N_(
    "Parallel concatenates along dim={dim}, so every branch must give the same shape in all other "
    "dimensions (the batch shape), but {detail}. Check that each branch gets inputs of the size it "
    "expects and returns one output row per input row."
)


class Parallel(nn.Module):
    """Feed the same input to every branch and concatenate the outputs along ``dim``.

    With the default ``dim=-1`` the outputs are joined feature-wise: branches
    giving ``(batch, 8)`` and ``(batch, 4)`` produce ``(batch, 12)``, the first
    branch's features first. Compare ``MySequential``, which chains blocks one
    after another instead of side by side.

    Example::

        >>> net = Parallel(nn.Linear(20, 8), nn.Linear(20, 4))
        >>> net(torch.rand(2, 20)).shape
        torch.Size([2, 12])
    """

    def __init__(self, *blocks: nn.Module, dim: int = -1) -> None:
        super().__init__()
        if not blocks:
            raise ValueError(translate(NO_BRANCHES))
        if isinstance(dim, bool) or not isinstance(dim, int):
            raise TypeError(translate(BAD_DIM, dim=dim))
        for index, block in enumerate(blocks):
            register_block(self, str(index), block)
        self.dim = dim

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        outputs = [branch(X) for branch in self._modules.values() if branch is not None]
        try:
            return torch.cat(outputs, dim=self.dim)
        except (RuntimeError, IndexError) as error:
            # Checked only after torch.cat fails, so the happy path costs nothing extra.
            raise ValueError(self._describe_mismatch(outputs)) from error

    def _describe_mismatch(self, outputs: list[torch.Tensor]) -> str:
        shapes = [
            translate(BRANCH_SHAPE, name=name, type_name=type(branch).__name__, shape=tuple(out.shape))
            for (name, branch), out in zip(self._modules.items(), outputs)
        ]
        return translate(SHAPES_DISAGREE, dim=self.dim, detail="; ".join(shapes))

    def extra_repr(self) -> str:
        return f"dim={self.dim}"
