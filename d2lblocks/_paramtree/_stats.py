"""Statistics of one tensor, computed when asked for (never for the whole model)."""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from ..i18n import N_, translate
from ._model import TensorInfo

NO_VALUES = N_("{path} has no values to summarise: {reason}.")
_LAZY = N_("it is an uninitialised lazy parameter; run one forward pass to give it a shape and values")
_META = N_("it lives on the meta device, which stores shapes only; build the model on 'cpu' or a GPU to see values")
BAD_BINS = N_("bins must be a positive whole number such as 30, got {bins!r}")
_SUMMARY = N_("{path}: mean {mean:.4g}, std {std:.4g}, min {min:.4g}, max {max:.4g}, {zeros:.1%} zeros, {grad}")
_NO_GRADIENT = N_("no gradient")
_GRAD_NORM = N_("grad norm {norm:.4g}")


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
        grad = translate(_NO_GRADIENT) if self.grad_norm is None else translate(_GRAD_NORM, norm=self.grad_norm)
        return translate(_SUMMARY, path=self.path, mean=self.mean, std=self.std, min=self.min, max=self.max,
                         zeros=self.zero_fraction, grad=grad)


def tensor_stats(info: TensorInfo, tensor: torch.Tensor, bins: int = 30) -> TensorStats:
    if "lazy" in info.badges:
        raise ValueError(translate(NO_VALUES, path=info.path, reason=translate(_LAZY)))
    if tensor.device.type == "meta":
        raise ValueError(translate(NO_VALUES, path=info.path, reason=translate(_META)))
    if not isinstance(bins, int) or bins < 1:
        raise ValueError(translate(BAD_BINS, bins=bins))
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
