"""The blocks the notebooks write by hand behave as PyTorch's own, for the inputs a student might try.

Each class is taken from the notebook itself (see ``notebook_code``), so a test fails when the code a
student reads is wrong, not when a copy of it is.
"""
from __future__ import annotations

import inspect
import re
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parent))
from notebook_code import COURSE, blocks, definitions  # noqa: E402

import d2lblocks  # noqa: E402

TAUGHT = [(notebook, name, cls) for notebook in COURSE for name, cls in blocks(notebook).items()]
SEQUENTIAL_LIKE = re.compile(r"Sequential")

# Blocks a pitfall builds broken on purpose: their constructor arguments and the error the notebook shows.
DELIBERATELY_BROKEN = {
    "ShadowingSequential": ((nn.Linear(20, 4),), TypeError, "'method' object is not iterable"),
    "ForgetfulMLP": ((), AttributeError, r"cannot assign module before Module.__init__\(\) call"),
    "ForgetfulScale": ((2.0,), AttributeError, "_backward_hooks"),
}
# Constructor arguments for the blocks that need some; every other block is built with none.
CONSTRUCTOR_ARGS = {"Scale": (2.0,)}


def taught(kind: str) -> list:
    chosen = [(notebook, name, cls) for notebook, name, cls in TAUGHT if name not in DELIBERATELY_BROKEN
              and bool(SEQUENTIAL_LIKE.search(name)) == (kind == "sequential")]
    return [pytest.param(cls, id=f"{notebook}:{name}") for notebook, name, cls in chosen]


def build(cls: type[nn.Module]) -> nn.Module:
    args = CONSTRUCTOR_ARGS.get(cls.__name__, ())
    required = [p for p in inspect.signature(cls).parameters.values()
                if p.default is p.empty and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    assert len(args) >= len(required), f"add the arguments {cls.__name__} needs to CONSTRUCTOR_ARGS"
    return cls(*args)


def same_tensors(a, b) -> bool:
    return [id(t) for t in a] == [id(t) for t in b]


def test_the_notebooks_define_the_blocks_these_tests_check():
    """The generic tests below are not vacuous: they find the chapter's blocks and every pitfall block."""
    names = {name for _, name, _ in TAUGHT}
    assert {"MySequential", "MLP", "FixedHiddenMLP", "NestMLP", "LoopFreeFixedHiddenMLP"} <= names
    assert set(DELIBERATELY_BROKEN) <= names


@pytest.mark.parametrize("cls", taught("sequential"))
def test_every_sequential_block_in_the_notebooks_chains_exactly_like_nn_sequential(cls):
    """Same blocks in, same output, same parameters and same state as nn.Sequential."""
    first, second = nn.Linear(4, 4), nn.Linear(4, 3)
    X = torch.rand(5, 4)
    for chain in ([first, nn.ReLU(), second], [first, first], [first, first, second], [nn.Tanh()], []):
        ours, reference = cls(*chain), nn.Sequential(*chain)
        with torch.no_grad():
            assert torch.equal(ours(X), reference(X)), f"{cls.__name__} differs from nn.Sequential on {chain}"
        assert same_tensors(ours.parameters(), reference.parameters())
        assert len(ours.state_dict()) == len(reference.state_dict())


@pytest.mark.parametrize("cls", taught("sequential"))
def test_a_block_repeated_in_a_sequential_block_is_applied_at_every_position(cls):
    """`MySequential(layer, layer)` is layer(layer(X)), not layer(X): children() would get this wrong."""
    layer = nn.Linear(4, 4)
    X = torch.rand(3, 4)
    with torch.no_grad():
        assert torch.equal(cls(layer, layer)(X), layer(layer(X)))
        assert torch.equal(cls(layer, nn.ReLU(), layer)(X), layer(torch.relu(layer(X))))
    assert len(list(cls(layer, layer).parameters())) == 2  # one layer, registered twice, counted once


@pytest.mark.parametrize("cls", taught("sequential"))
def test_a_sequential_block_registers_its_blocks_for_training_moving_and_evaluation(cls):
    """Gradients reach every block, `.to()` converts them and `.eval()` reaches them, as with nn.Sequential."""
    net = cls(nn.Linear(4, 8), nn.Dropout(0.5), nn.Linear(8, 2))
    net(torch.rand(3, 4)).sum().backward()
    assert all(p.grad is not None for p in net.parameters()) and len(list(net.parameters())) == 4
    net.to(torch.float64).eval()
    assert {p.dtype for p in net.parameters()} == {torch.float64}
    assert not any(m.training for m in net.modules())
    assert d2lblocks.find_unregistered(net) == ()


@pytest.mark.parametrize("cls", taught("other"))
def test_every_other_block_in_the_notebooks_keeps_all_its_state_registered(cls):
    """Built and run as the notebook does, each model hides nothing, follows .to() and survives a reload."""
    torch.manual_seed(0)
    X = torch.rand(2, 20)
    net = build(cls)
    net(X)  # sizes any lazy layer
    assert d2lblocks.find_unregistered(net) == ()
    restored = build(cls)
    restored(X)
    restored.load_state_dict(net.state_dict())
    with torch.no_grad():
        assert torch.equal(net(X), restored(X))
        doubled = net.to(torch.float64)(X.to(torch.float64))
    assert doubled.dtype == torch.float64
    assert {t.dtype for t in [*net.parameters(), *net.buffers()]} <= {torch.float64}


@pytest.mark.parametrize("name", sorted(DELIBERATELY_BROKEN))
def test_every_pitfall_block_fails_with_the_error_its_notebook_shows(name):
    """The broken blocks of the pitfalls notebook really fail, with the error the prose explains."""
    cls = blocks("02-pitfalls")[name]
    args, error, message = DELIBERATELY_BROKEN[name]
    with pytest.raises(error, match=message):
        cls(*args)(torch.rand(2, 20))


def test_the_mlp_instances_each_own_their_parameters():
    """Layers are created in __init__, so two instances never share a tensor."""
    MLP = definitions("01-layers-and-blocks")["MLP"]
    a, b = MLP(), MLP()
    X = torch.rand(2, 20)
    a(X), b(X)
    assert not {id(p) for p in a.parameters()} & {id(p) for p in b.parameters()}


# --- Fig. 5.1.1, drawn from a model ---------------------------------------------------------------

def figure(model) -> ET.Element:
    svg = definitions("01-layers-and-blocks")["block_figure"](model)
    return ET.fromstring(svg.data)


def labels_in_tree_order(module: nn.Module, name: str = "model") -> list[str]:
    """"name: Type" for the module and every block below it, parents before children, repeats at each place."""
    labels = [f"{name}: {type(module).__name__}"]
    for child_name, child in module._modules.items():
        labels += labels_in_tree_order(child, child_name) if child is not None else []
    return labels


@pytest.mark.parametrize("model", [
    nn.Sequential(nn.Linear(20, 32), nn.Sequential(nn.Linear(32, 32), nn.ReLU()), nn.Linear(32, 10)),
    nn.Linear(3, 3),
    d2lblocks.chimera(),
], ids=["nested", "a single layer", "chimera"])
def test_the_block_figure_draws_one_box_per_block_and_layer(model):
    """Each block and layer of the model becomes one box, labelled with its name and type."""
    svg = figure(model)
    expected = labels_in_tree_order(model)
    assert len(list(svg.iter("{http://www.w3.org/2000/svg}rect"))) == len(expected)
    assert [t.text for t in svg.iter("{http://www.w3.org/2000/svg}text")] == expected


def test_the_block_figure_shows_a_repeated_block_at_each_place_and_says_so():
    """A block used twice is drawn twice (named_children() would list it once), the second time marked."""
    layer = nn.Linear(4, 4)
    svg = figure(nn.Sequential(layer, nn.ReLU(), layer))
    labels = [t.text for t in svg.iter("{http://www.w3.org/2000/svg}text")]
    assert labels == ["model: Sequential", "0: Linear", "1: ReLU", "2: Linear (same block as model.0)"]


# --- the loop-free FixedHiddenMLP -----------------------------------------------------------------

def sums_around_powers_of_two(dtype: torch.dtype) -> list[float]:
    """Sums exactly at 2**m, just above it (1 and 4 ulps) and just below it, for m = 0..11, plus a few others."""
    eps = torch.finfo(dtype).eps
    around = [2.0**m * f for m in range(12) for f in (1.0, 1 + eps, 1 + 4 * eps, 1 - eps / 2)]
    return [s for s in around + [0.0, 1e-30, 0.3, 0.75, 3.0, 1e6, 123456.789] if s <= torch.finfo(dtype).max]


def with_output_sum(model: nn.Module, total: float) -> nn.Module:
    """Make the hidden output of a FixedHiddenMLP, before its halving, exactly [total, 0, ..., 0]."""
    with torch.no_grad():
        model.linear.weight.zero_()
        model.linear.bias.zero_()
        model.linear.bias[0] = total
    return model


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16, torch.float32, torch.float64])
def test_the_loop_free_rewrite_computes_the_loop_s_function_at_every_power_of_two(dtype):
    """Just above, at and just below each power of two, LoopFree returns exactly what the while loop returns."""
    taught = definitions("01-layers-and-blocks")
    loop, loop_free = taught["FixedHiddenMLP"]().to(dtype), taught["LoopFreeFixedHiddenMLP"]().to(dtype)
    loop_free.load_state_dict(loop.state_dict())
    X = torch.rand(1, 20, dtype=dtype)
    for total in sums_around_powers_of_two(dtype):
        with torch.no_grad():
            expected, got = with_output_sum(loop, total)(X), with_output_sum(loop_free, total)(X)
        assert torch.equal(expected, got), f"sum {total!r}: loop gives {expected.item()!r}, loop-free {got.item()!r}"


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16, torch.float32, torch.float64])
def test_halvings_counts_what_the_loop_does_where_ceil_log2_does_not(dtype):
    """`halvings` equals the loop's count on every tested sum; ceil(log2) misses some, so the values matter."""
    halvings = definitions("01-layers-and-blocks")["halvings"]
    log2_wrong = 0
    for total in sums_around_powers_of_two(dtype):
        t = torch.tensor(total, dtype=dtype)
        loop = 0
        while t / 2**loop > 1:
            loop += 1
        assert halvings(t).item() == loop, f"sum {total!r}"
        log2_wrong += int(torch.ceil(torch.log2(t)).clamp(min=0).item()) != loop
    assert log2_wrong > 0


@pytest.mark.parametrize("scale", [1e-3, 1.0, 1e3, 1e6])
def test_the_loop_free_chimera_matches_the_chimera_on_inputs_of_any_scale(scale):
    """Random inputs of very different sizes: the two FixedHiddenMLPs agree exactly."""
    taught = definitions("01-layers-and-blocks")
    loop, loop_free = taught["FixedHiddenMLP"](), taught["LoopFreeFixedHiddenMLP"]()
    loop_free.load_state_dict(loop.state_dict())
    X = torch.rand(8, 20) * scale
    with torch.no_grad():
        assert torch.equal(loop(X), loop_free(X))
