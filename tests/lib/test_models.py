"""The chapter's models: shapes, constants that follow the model, and device moves.

Device-following is checked on the CPU: a tensor that would stay behind when a
model moves to cuda also stays behind on a move to "meta" or to float64.
"""
import io

import pytest
import torch
from torch import nn

import d2lblocks as d
from d2lblocks import FixedHiddenMLP, FixedHiddenMLPPlainTensor

EAGER_MODELS = {
    "MLP": d.MLP,
    "FixedHiddenMLP": d.FixedHiddenMLP,
    "NestMLP": d.NestMLP,
    "chimera": d.chimera,
    "MySequential": lambda: d.MySequential(nn.Linear(20, 8), nn.ReLU(), nn.Linear(8, 4)),
    "Parallel": lambda: d.Parallel(d.MLP(), d.NestMLP()),
    "replicate": lambda: d.replicate(lambda: nn.Linear(20, 20), 3),
}
LAZY_MODELS = {"LazyMLP": d.LazyMLP, "LazyNestMLP": d.LazyNestMLP, "lazy_chimera": d.lazy_chimera}
OUTPUT_SHAPES = {"MLP": (4, 10), "NestMLP": (4, 16), "FixedHiddenMLP": (), "chimera": (), "LazyMLP": (4, 10)}


@pytest.mark.parametrize("name", [*EAGER_MODELS, *LAZY_MODELS])
def test_each_model_gives_the_chapter_shapes(name):
    model = {**EAGER_MODELS, **LAZY_MODELS}[name]()
    out = model(torch.rand(4, 20))
    if name in OUTPUT_SHAPES:
        assert tuple(out.shape) == OUTPUT_SHAPES[name]


@pytest.mark.parametrize("name", EAGER_MODELS)
def test_every_tensor_follows_the_model_to_another_device(name):
    model = EAGER_MODELS[name]().to("meta")
    assert all(t.is_meta for t in [*model.parameters(), *model.buffers()])
    out = model(torch.rand(4, 20, device="meta"))
    assert out.is_meta


@pytest.mark.parametrize("name", [*EAGER_MODELS, *LAZY_MODELS])
def test_every_tensor_follows_the_model_to_another_dtype(name):
    model = {**EAGER_MODELS, **LAZY_MODELS}[name]().to(torch.float64)
    out = model(torch.rand(4, 20, dtype=torch.float64))
    assert out.dtype == torch.float64
    assert all(t.dtype == torch.float64 for t in [*model.parameters(), *model.buffers()])


@pytest.mark.parametrize("name", LAZY_MODELS)
def test_lazy_models_follow_a_device_move_once_their_shapes_are_known(name):
    # PyTorch cannot move a not-yet-initialised LazyLinear to "meta"; after the
    # first call the parameters are ordinary and must all follow.
    model = LAZY_MODELS[name]()
    model(torch.rand(1, 20))
    assert model.to("meta")(torch.rand(4, 20, device="meta")).is_meta


def test_lazy_models_infer_their_input_size_on_the_first_call():
    model = d.LazyMLP()
    assert isinstance(model.hidden.weight, nn.parameter.UninitializedParameter)
    model(torch.rand(2, 7))
    assert model.hidden.weight.shape == (256, 7)


def test_fixed_hidden_mlp_saves_its_constant_and_reuses_one_layer():
    model = FixedHiddenMLP()
    assert "rand_weight" in model.state_dict()
    assert not model.rand_weight.requires_grad
    assert len(list(model.parameters())) == 2, "linear is used twice but owns one weight and one bias"
    buffer = io.BytesIO()
    torch.save(model.state_dict(), buffer)
    buffer.seek(0)
    restored = FixedHiddenMLP()
    restored.load_state_dict(torch.load(buffer))
    X = torch.rand(3, 20)
    torch.testing.assert_close(restored(X), model(X))


def test_the_chapter_plain_tensor_version_is_kept_as_the_pitfall_it_is():
    model = FixedHiddenMLPPlainTensor()
    assert "rand_weight" not in model.state_dict()
    moved = model.to(torch.float64)
    assert moved.rand_weight.dtype == torch.float32
    with pytest.raises(RuntimeError):
        moved(torch.rand(2, 20, dtype=torch.float64))


def test_fixed_hidden_mlp_ends_with_a_small_sum():
    assert FixedHiddenMLP()(torch.rand(8, 20)).abs() <= 1


@pytest.mark.parametrize("bad, what", [(float("nan"), "nan"), (float("inf"), "inf")])
def test_non_finite_input_to_fixed_hidden_mlp_is_a_clear_error_not_a_silent_nan(bad, what):
    X = torch.rand(2, 20)
    X[1, 3] = bad
    with pytest.raises(ValueError, match=f"input containing {what}.*nan_to_num"):
        FixedHiddenMLP()(X)


def test_input_so_large_that_the_hidden_layer_overflows_is_a_clear_error():
    model = FixedHiddenMLP()
    with torch.no_grad():
        model.linear.weight.fill_(1.0)  # all-positive weights make the sums grow past float32's range
    with pytest.raises(ValueError, match="overflowed to inf.*Scale the input down"):
        model(torch.full((2, 20), 1e37))


def test_models_take_inputs_of_the_wrong_width_with_pytorchs_shape_error():
    with pytest.raises(RuntimeError, match="shapes cannot be multiplied"):
        d.MLP()(torch.rand(2, 19))
