"""Device helpers: use a GPU when there is one, the CPU otherwise, with no code change."""
from __future__ import annotations

import torch

from .i18n import N_, translate

BAD_GPU_INDEX = N_("try_gpu(i) needs i to be a GPU number 0, 1, 2, ...; got {i!r}.")


def cpu() -> torch.device:
    """The CPU device.

    Example::

        >>> cpu()
        device(type='cpu')
    """
    return torch.device("cpu")


def _gpus() -> list[torch.device]:
    # CUDA GPUs first; a Mac's single Apple-silicon GPU (MPS) counts when there is no CUDA.
    count = torch.cuda.device_count() if torch.cuda.is_available() else 0
    if count:
        return [torch.device(f"cuda:{i}") for i in range(count)]
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return [torch.device("mps")]
    return []


def num_gpus() -> int:
    """How many GPUs PyTorch can use here (0 on a CPU-only machine).

    Example::

        >>> num_gpus() >= 0
        True
    """
    return len(_gpus())


def try_gpu(i: int = 0) -> torch.device:
    """GPU number ``i`` if it exists, otherwise the CPU, so notebooks run anywhere unchanged.

    Example::

        >>> net = torch.nn.Linear(2, 2).to(try_gpu())
        >>> next(net.parameters()).device.type in {"cpu", "cuda", "mps"}
        True
    """
    if isinstance(i, bool) or not isinstance(i, int) or i < 0:
        raise ValueError(translate(BAD_GPU_INDEX, i=i))
    gpus = _gpus()
    return gpus[i] if i < len(gpus) else cpu()


def try_all_gpus() -> list[torch.device]:
    """Every GPU, or ``[cpu()]`` when there is none, so ``devices[0]`` always works.

    (Unlike d2l's version, which returns ``[]`` on a CPU-only machine.)

    Example::

        >>> len(try_all_gpus()) >= 1
        True
    """
    return _gpus() or [cpu()]
