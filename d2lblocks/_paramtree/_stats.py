"""Statistics of one tensor, computed when asked for (never for the whole model)."""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from ._model import TensorInfo

NO_VALUES = "{path} has no values to summarise: {reason}."


@dataclass(frozen=True)
class TensorStats:
    """Mean, std, min, max, fraction of zeros, gradient norm and a histogram of one tensor.

    Example::

        >>> import torch.nn as nn, d2lblocks
        >>> layer = nn.Linear(4, 3)
        >>> nn.init.zeros_(layer.bias)  # doctest: +ELLIPSIS
        Parameter...
        >>> d2lblocks.param_tree(layer).stats("net.bias").zero_fraction
        1.0
    """

    path: str
    numel: int
    mean: float
    std: float
    min: float
    max: float
    zero_fraction: float
    grad_norm: float | None
    counts: tuple[int, ...]
    edges: tuple[float, ...]

    def __str__(self) -> str:
        grad = "no gradient" if self.grad_norm is None else f"grad norm {self.grad_norm:.4g}"
        return (f"{self.path}: mean {self.mean:.4g}, std {self.std:.4g}, min {self.min:.4g}, max {self.max:.4g}, "
                f"{self.zero_fraction:.1%} zeros, {grad}")


def tensor_stats(info: TensorInfo, tensor: torch.Tensor, bins: int = 30) -> TensorStats:
    if "lazy" in info.badges:
        raise ValueError(NO_VALUES.format(path=info.path, reason="it is an uninitialised lazy parameter; "
                                          "run one forward pass to give it a shape and values"))
    if tensor.device.type == "meta":
        raise ValueError(NO_VALUES.format(path=info.path, reason="it lives on the meta device, which stores "
                                          "shapes only; build the model on 'cpu' or a GPU to see values"))
    if not isinstance(bins, int) or bins < 1:
        raise ValueError(f"bins must be a positive whole number such as 30, got {bins!r}")
    values = tensor.detach()
    values = (values.abs() if values.is_complex() else values).to(torch.float32).flatten()
    grad = tensor.grad if isinstance(tensor, torch.nn.Parameter) else None
    grad_norm = None if grad is None else float(grad.detach().to(torch.float32).norm())
    if values.numel() == 0:
        return TensorStats(info.path, 0, math.nan, math.nan, math.nan, math.nan, math.nan, grad_norm, (), ())
    finite = values[torch.isfinite(values)].cpu().numpy()  # np.histogram rejects inf and nan
    counts, edges = np.histogram(finite, bins=bins) if finite.size else (np.zeros(0, int), np.zeros(0))
    return TensorStats(
        path=info.path, numel=values.numel(), mean=float(values.mean()),
        std=float(values.std()) if values.numel() > 1 else 0.0,
        min=float(values.min()), max=float(values.max()), zero_fraction=float((values == 0).float().mean()),
        grad_norm=grad_norm, counts=tuple(int(c) for c in counts), edges=tuple(float(e) for e in edges))
