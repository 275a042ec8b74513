"""``python -m d2lblocks.demo``: the chapter's models on the best available device."""
from __future__ import annotations

import torch

from . import MLP, FixedHiddenMLP, MySequential, NestMLP, Parallel, chimera, find_unregistered, replicate, try_gpu
from ._pitfalls import ListSequential


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
    print(f"device: {device}")
    print(f"{'model':<28} {'output shape':<14} {'parameters':>10}")
    for name, model in _models().items():
        model = model.to(device)
        with torch.no_grad():
            shape = tuple(model(X).shape)
        count = sum(p.numel() for p in model.parameters())
        print(f"{name:<28} {str(shape):<14} {count:>10,}")
    print()
    print("A Sequential that keeps its blocks in a Python list:")
    print(find_unregistered(ListSequential(torch.nn.Linear(20, 256), torch.nn.ReLU())))


if __name__ == "__main__":
    main()
