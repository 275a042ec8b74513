"""``python -m d2lblocks.demo``: the chapter's models on the best available device."""
from __future__ import annotations

import torch

from . import MLP, FixedHiddenMLP, MySequential, NestMLP, Parallel, chimera, find_unregistered, replicate, try_gpu
from ._pitfalls import ListSequential
from .i18n import N_, columns, pad, translate

_DEVICE = N_("device: {device}")
_MODEL = N_("model")
_OUTPUT_SHAPE = N_("output shape")
_PARAMETERS = N_("parameters")
_LIST_PITFALL = N_("A Sequential that keeps its blocks in a Python list:")


def _models() -> dict[str, torch.nn.Module]:
    linear_relu = lambda: torch.nn.Sequential(torch.nn.Linear(20, 20), torch.nn.ReLU())  # noqa: E731
    return {
        "MLP": MLP(),
        "MySequential": MySequential(torch.nn.Linear(20, 256), torch.nn.ReLU(), torch.nn.Linear(256, 10)),
        "FixedHiddenMLP": FixedHiddenMLP(),
        "NestMLP": NestMLP(),
        "chimera": chimera(),
        "Parallel(MLP, NestMLP)": Parallel(MLP(), NestMLP()),
        "replicate(Linear+ReLU, 4)": replicate(linear_relu, 4),
    }


def main() -> None:
    device = try_gpu()
    torch.manual_seed(0)
    X = torch.rand(2, 20, device=device)
    print(translate(_DEVICE, device=device))
    parameters = translate(_PARAMETERS)
    print(f"{pad(translate(_MODEL), 28)} {pad(translate(_OUTPUT_SHAPE), 14)} {' ' * (10 - columns(parameters))}{parameters}")
    for name, model in _models().items():
        model = model.to(device)
        with torch.no_grad():
            shape = tuple(model(X).shape)
        count = sum(p.numel() for p in model.parameters())
        print(f"{name:<28} {str(shape):<14} {count:>10,}")
    print()
    print(translate(_LIST_PITFALL))
    print(find_unregistered(ListSequential(torch.nn.Linear(20, 256), torch.nn.ReLU())))


if __name__ == "__main__":
    main()
