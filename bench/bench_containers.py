"""Forward-pass overhead of the library's containers against PyTorch's own, measured in one run.

MySequential vs nn.Sequential over the same blocks, and Parallel vs a hand-written
torch.cat module over the same branches. Rounds are interleaved (A, B, B, A, ...)
so drifting machine load hits both sides; each figure is a median.

    python bench/bench_containers.py [--rounds 15] [--calls 2000]
"""
from __future__ import annotations

import argparse
import statistics
import time

import torch
from torch import nn

from d2lblocks import MySequential, Parallel


class HandWrittenCat(nn.Module):
    """The anchor: two branches and torch.cat written out by hand."""

    def __init__(self, left: nn.Module, right: nn.Module) -> None:
        super().__init__()
        self.left, self.right = left, right

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        return torch.cat([self.left(X), self.right(X)], dim=-1)


def per_call_us(model: nn.Module, X: torch.Tensor, calls: int) -> float:
    start = time.perf_counter()
    for _ in range(calls):
        model(X)
    return (time.perf_counter() - start) / calls * 1e6


def compare(ours: nn.Module, anchor: nn.Module, X: torch.Tensor, rounds: int, calls: int) -> tuple[float, float, float]:
    for model in (ours, anchor):  # warm-up, excluded
        per_call_us(model, X, calls // 10)
    ours_t, anchor_t, ratios = [], [], []
    for round_ in range(rounds):
        pair = (ours, anchor) if round_ % 2 == 0 else (anchor, ours)
        times = {id(m): per_call_us(m, X, calls) for m in pair}
        ours_t.append(times[id(ours)])
        anchor_t.append(times[id(anchor)])
        ratios.append(times[id(ours)] / times[id(anchor)])
    return statistics.median(ours_t), statistics.median(anchor_t), statistics.median(ratios)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--calls", type=int, default=2000)
    args = parser.parse_args()
    torch.set_num_threads(1)  # one thread: the overhead, not the BLAS scheduler, is measured
    torch.manual_seed(0)
    X = torch.rand(32, 64)
    blocks = [m for _ in range(8) for m in (nn.Linear(64, 64), nn.ReLU())]
    left, right = nn.Linear(64, 32), nn.Linear(64, 32)
    cases = [
        ("MySequential vs nn.Sequential (16 blocks)", MySequential(*blocks), nn.Sequential(*blocks)),
        ("Parallel vs hand-written torch.cat (2 branches)", Parallel(left, right), HandWrittenCat(left, right)),
    ]
    print(f"{'case':<48} {'ours (us)':>10} {'anchor (us)':>12} {'ratio':>7}  goal")
    with torch.no_grad():
        for name, ours, anchor in cases:
            torch.testing.assert_close(ours(X), anchor(X))
            mine, theirs, ratio = compare(ours, anchor, X, args.rounds, args.calls)
            verdict = "met" if ratio <= 1.05 else "MISSED"
            print(f"{name:<48} {mine:>10.2f} {theirs:>12.2f} {ratio:>7.3f}  <=1.05 {verdict}")
    print(f"(medians of {args.rounds} interleaved rounds of {args.calls} calls; ratio = median of per-round ratios)")


if __name__ == "__main__":
    main()
