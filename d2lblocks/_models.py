"""The chapter's models, in PyTorch, with the shapes the chapter uses (20 input features)."""
from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from .i18n import N_, translate

NON_FINITE_INPUT = N_(
    "FixedHiddenMLP got input containing {what}; its while loop halves the activations until their "
    "sum is at most 1, which never happens for inf and silently returns nan for nan. Clean the "
    "input first, e.g. torch.nan_to_num(X)."
)
OVERFLOW = N_(
    "FixedHiddenMLP's hidden activations overflowed to inf (largest input magnitude {largest:.3g}), "
    "so its halving loop could never finish. Scale the input down, e.g. X / X.abs().max()."
)


class MLP(nn.Module):
    """A custom block: 20 inputs -> 256 hidden units (ReLU) -> 10 outputs.

    Example::

        >>> MLP()(torch.rand(2, 20)).shape
        torch.Size([2, 10])
    """

    def __init__(self) -> None:
        super().__init__()
        self.hidden = nn.Linear(20, 256)
        self.out = nn.Linear(256, 10)

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        return self.out(F.relu(self.hidden(X)))


class FixedHiddenMLP(nn.Module):
    """Constant weights, a reused layer and Python control flow in ``forward``.

    ``rand_weight`` is never trained, but it is registered as a *buffer*, so it
    follows ``.to()`` to the model's device and dtype and is saved in
    ``state_dict()`` (the chapter's plain-tensor version, kept as
    ``FixedHiddenMLPPlainTensor``, does neither). ``linear`` runs twice: one
    layer, one set of weights, used at two places.

    Example::

        >>> FixedHiddenMLP()(torch.rand(2, 20)).shape
        torch.Size([])
    """

    def __init__(self) -> None:
        super().__init__()
        self.register_buffer("rand_weight", torch.rand(20, 20))
        self.linear = nn.Linear(20, 20)

    def hidden(self, X: torch.Tensor) -> torch.Tensor:
        X = self.linear(X)
        X = F.relu(X @ self.rand_weight + 1)  # type: ignore[operator]  # a buffer: a Tensor, typed loosely by torch
        return self.linear(X)  # the same layer again: its parameters are shared

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        if X.is_meta:
            # Meta tensors carry shapes but no values: the loop below cannot run,
            # and it never changes the shape, so the result's shape is already known.
            return self.hidden(X).sum()
        if not torch.isfinite(X).all():
            raise ValueError(translate(NON_FINITE_INPUT, what="nan" if torch.isnan(X).any() else "inf"))
        hidden = self.hidden(X)
        if not torch.isfinite(hidden).all():
            raise ValueError(translate(OVERFLOW, largest=float(X.detach().abs().max())))
        X = hidden
        # Data-dependent control flow: the number of halvings depends on the values.
        while X.abs().sum() > 1:
            X = X / 2
        return X.sum()


class FixedHiddenMLPPlainTensor(FixedHiddenMLP):
    """THE PITFALL: the chapter's version, with the constant kept as a plain tensor attribute.

    It is not in ``state_dict()`` (a reloaded model gets a different constant)
    and ``.to()`` leaves it behind, so a model moved to the GPU fails with a
    device mismatch. ``find_unregistered`` reports it; the fix is
    ``register_buffer`` as in ``FixedHiddenMLP``.
    """

    def __init__(self) -> None:
        nn.Module.__init__(self)
        self.rand_weight = torch.rand(20, 20, requires_grad=False)
        self.linear = nn.Linear(20, 20)


class NestMLP(nn.Module):
    """Blocks inside blocks: an ``nn.Sequential`` and a layer inside a custom block.

    Example::

        >>> NestMLP()(torch.rand(2, 20)).shape
        torch.Size([2, 16])
    """

    def __init__(self) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.Linear(20, 64), nn.ReLU(), nn.Linear(64, 32), nn.ReLU())
        self.linear = nn.Linear(32, 16)

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        return self.linear(self.net(X))


def chimera() -> nn.Sequential:
    """The chapter's chimera: NestMLP, a Linear and FixedHiddenMLP mixed freely.

    Example::

        >>> chimera()(torch.rand(2, 20)).shape
        torch.Size([])
    """
    return nn.Sequential(NestMLP(), nn.Linear(16, 20), FixedHiddenMLP())


class LazyMLP(nn.Module):
    """``MLP`` with ``nn.LazyLinear``: input sizes are inferred on the first call.

    Example::

        >>> net = LazyMLP()
        >>> net(torch.rand(2, 7)).shape, net.hidden.in_features
        (torch.Size([2, 10]), 7)
    """

    def __init__(self) -> None:
        super().__init__()
        self.hidden = nn.LazyLinear(256)
        self.out = nn.LazyLinear(10)

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        return self.out(F.relu(self.hidden(X)))


class LazyNestMLP(nn.Module):
    """``NestMLP`` with ``nn.LazyLinear`` layers.

    Example::

        >>> LazyNestMLP()(torch.rand(2, 5)).shape
        torch.Size([2, 16])
    """

    def __init__(self) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.LazyLinear(64), nn.ReLU(), nn.LazyLinear(32), nn.ReLU())
        self.linear = nn.LazyLinear(16)

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        return self.linear(self.net(X))


def lazy_chimera() -> nn.Sequential:
    """The chimera with lazy layers where the input size may vary.

    Example::

        >>> lazy_chimera()(torch.rand(2, 5)).shape
        torch.Size([])
    """
    return nn.Sequential(LazyNestMLP(), nn.LazyLinear(20), FixedHiddenMLP())
