"""Parameter tree build + initial view, against torchinfo.summary and repr(model), in one run.

Two models are built here (no torchvision needed): a ResNet-152-shaped CNN
(~60 M parameters, ~500 modules) and a GPT-2-small-shaped transformer whose
output layer is tied to the token embedding. For each, the rounds are
interleaved (each contender's position rotates) and each figure is a median.

    python bench/bench_paramtree.py [--rounds 7]
"""
from __future__ import annotations

import argparse
import contextlib
import io
import json
import statistics
import time

import torch
from torch import nn

import d2lblocks

GPT2_SMALL_PARAMS = 124_439_808  # the published count: wte + wpe + 12 blocks + ln_f, lm_head tied


class Bottleneck(nn.Module):
    def __init__(self, cin: int, width: int, stride: int = 1):
        super().__init__()
        cout = width * 4
        self.conv1, self.bn1 = nn.Conv2d(cin, width, 1, bias=False), nn.BatchNorm2d(width)
        self.conv2, self.bn2 = nn.Conv2d(width, width, 3, stride, 1, bias=False), nn.BatchNorm2d(width)
        self.conv3, self.bn3 = nn.Conv2d(width, cout, 1, bias=False), nn.BatchNorm2d(cout)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = None
        if stride != 1 or cin != cout:
            self.downsample = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))


def resnet152() -> nn.Module:
    net = nn.Module()
    net.conv1, net.bn1, net.relu = nn.Conv2d(3, 64, 7, 2, 3, bias=False), nn.BatchNorm2d(64), nn.ReLU(inplace=True)
    net.maxpool = nn.MaxPool2d(3, 2, 1)
    cin = 64
    for i, (width, blocks, stride) in enumerate([(64, 3, 1), (128, 8, 2), (256, 36, 2), (512, 3, 2)]):
        layer = [Bottleneck(cin, width, stride)] + [Bottleneck(width * 4, width) for _ in range(blocks - 1)]
        setattr(net, f"layer{i + 1}", nn.Sequential(*layer))
        cin = width * 4
    net.avgpool, net.fc = nn.AdaptiveAvgPool2d(1), nn.Linear(2048, 1000)
    return net


class GPT2Block(nn.Module):
    def __init__(self, d: int = 768, ctx: int = 1024):
        super().__init__()
        self.ln_1, self.ln_2 = nn.LayerNorm(d), nn.LayerNorm(d)
        self.attn = nn.Module()
        self.attn.c_attn, self.attn.c_proj = nn.Linear(d, 3 * d), nn.Linear(d, d)
        self.attn.register_buffer("bias", torch.ones(1, 1, ctx, ctx, dtype=torch.bool).tril(), persistent=False)
        self.mlp = nn.Module()
        self.mlp.c_fc, self.mlp.c_proj, self.mlp.act = nn.Linear(d, 4 * d), nn.Linear(4 * d, d), nn.GELU()


def gpt2_small() -> nn.Module:
    net = nn.Module()
    net.wte, net.wpe = nn.Embedding(50257, 768), nn.Embedding(1024, 768)
    net.h = nn.ModuleList(GPT2Block() for _ in range(12))
    net.ln_f = nn.LayerNorm(768)
    net.lm_head = nn.Linear(768, 50257, bias=False)
    net.lm_head.weight = net.wte.weight  # tied, as in GPT-2
    return net


def widget_view(model: nn.Module) -> int:
    """Build the tree and the widget's first message; returns its size in bytes."""
    widget = d2lblocks.show(model)
    bundle = widget._repr_mimebundle_()
    data = bundle[0] if isinstance(bundle, tuple) else bundle
    state = json.dumps(widget.get_state(), allow_nan=False)
    size = len(state.encode()) + len(data["text/html"].encode()) + len(data["text/plain"].encode())
    widget.close()
    return size


def torchinfo_view(model: nn.Module) -> str:
    import torchinfo

    with contextlib.redirect_stdout(io.StringIO()):
        return str(torchinfo.summary(model, verbose=0))


CONTENDERS = {
    "torchinfo.summary(model)": torchinfo_view,
    "repr(model)": repr,
    "param_tree + str(tree)": lambda m: str(d2lblocks.param_tree(m)),
    "param_tree + to_html()": lambda m: d2lblocks.param_tree(m).to_html(),
    "show(model) first message": widget_view,
}


def measure(model: nn.Module, rounds: int) -> dict[str, float]:
    names = list(CONTENDERS)
    for name in names:  # warm-up, excluded
        CONTENDERS[name](model)
    times: dict[str, list[float]] = {name: [] for name in names}
    for r in range(rounds):
        for name in names[r % len(names):] + names[:r % len(names)]:
            start = time.perf_counter()
            CONTENDERS[name](model)
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(t) for name, t in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    torch.manual_seed(0)
    for label, build in (("ResNet-152-shaped", resnet152), ("GPT-2-small-shaped, tied", gpt2_small)):
        model = build()
        tree = d2lblocks.param_tree(model)
        unique = sum(p.numel() for p in model.parameters())
        import torchinfo

        with contextlib.redirect_stdout(io.StringIO()):
            info_total = torchinfo.summary(model, verbose=0).total_params
        medians = measure(model, args.rounds)
        anchor = medians["torchinfo.summary(model)"]
        print(f"\n{label}: {unique:,} parameters (PyTorch, unique), {len(list(model.modules()))} modules")
        print(f"  param_tree.num_params = {tree.num_params:,}   torchinfo total_params = {info_total:,} "
              f"({info_total / unique - 1:+.0%})")
        if "GPT" in label:
            print(f"  expected {GPT2_SMALL_PARAMS:,}: {'OK' if tree.num_params == GPT2_SMALL_PARAMS else 'WRONG'}")
        print(f"  initial widget payload (state + static HTML + text): {widget_view(model) / 1024:.0f} KiB")
        print(f"  {'contender':<28}{'median ms':>11}{'vs torchinfo':>14}")
        for name, seconds in medians.items():
            print(f"  {name:<28}{seconds * 1e3:>11.1f}{seconds / anchor:>13.2f}x")
        del model, tree


if __name__ == "__main__":
    main()
