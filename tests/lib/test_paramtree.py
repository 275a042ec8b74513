"""The parameter-tree model and its text view: what a student reads about a model's structure."""
import gc

import pytest
import torch
from torch import nn
from torch.nn.parameter import is_lazy

import d2lblocks


def readable(name: str, root: str = "net") -> str:
    """PyTorch's name ``0.net.2.weight`` in the tree's spelling ``net[0].net[2].weight``."""
    path = root
    for part in name.split("."):
        path += f"[{part}]" if part.isdigit() else f".{part}"
    return path


class TinyGPT(nn.Module):
    """A GPT-shaped model whose output layer reuses the token embedding (tied weights)."""

    def __init__(self, vocab=50, dim=8, layers=3, heads=2, context=16):
        super().__init__()
        self.wte, self.wpe = nn.Embedding(vocab, dim), nn.Embedding(context, dim)
        self.blocks = nn.Sequential(*[nn.TransformerEncoderLayer(dim, heads, 4 * dim, batch_first=True)
                                      for _ in range(layers)])
        self.ln_f = nn.LayerNorm(dim)
        self.lm_head = nn.Linear(dim, vocab, bias=False)
        self.lm_head.weight = self.wte.weight

    def forward(self, tokens):
        return self.lm_head(self.ln_f(self.blocks(self.wte(tokens) + self.wpe.weight[: tokens.shape[1]])))


def test_the_chimera_tree_shows_every_parameter_at_its_pytorch_path_and_counts_like_pytorch():
    model = d2lblocks.chimera()
    tree = d2lblocks.param_tree(model)
    assert tree.num_params == sum(p.numel() for p in model.parameters())
    for name, p in model.named_parameters():
        assert tree[readable(name)].shape == tuple(p.shape)
    for name, module in model.named_modules():
        assert tree[readable(name) if name else "net"].type_name == type(module).__name__
    text = str(tree)
    assert "net[0].net[2]: Linear  2,080 params" in text
    assert "rand_weight (20, 20) float32  buffer  [constant]" in text


def test_tied_weights_are_counted_once_and_both_paths_are_marked_shared():
    model = TinyGPT()
    tree = d2lblocks.param_tree(model)
    naive = sum(p.numel() for _, p in model.named_parameters(remove_duplicate=False))
    assert tree.num_params == sum(p.numel() for p in model.parameters()) < naive
    embedding, head = tree["net.wte.weight"], tree["net.lm_head.weight"]
    assert "shared" in embedding.badges and "shared" in head.badges
    assert embedding.shared_paths == ("net.lm_head.weight",) and head.shared_paths == ("net.wte.weight",)
    assert [embedding.counted, head.counted] == [True, False]
    assert tree["net.lm_head"].num_params == tree["net.wte"].num_params == 50 * 8


def test_a_gpt2_small_shaped_model_has_the_published_count_where_counting_paths_gives_31_percent_more():
    with torch.device("meta"):  # shapes only: no memory, no initialisation
        model = TinyGPT(vocab=50257, dim=768, layers=12, heads=12, context=1024)
    tree = d2lblocks.param_tree(model)
    per_path = sum(p.numel() for _, p in model.named_parameters(remove_duplicate=False))
    assert tree.num_params == sum(p.numel() for p in model.parameters()) == 124_439_808
    assert round(per_path / tree.num_params - 1, 2) == 0.31
    assert "net.blocks[0…11]: 12 × TransformerEncoderLayer  7.09 M params each" in tree.to_text(tensors=False)


def test_a_module_registered_under_two_names_appears_under_both_marked_shared():
    layer = nn.Linear(4, 4)
    model = nn.Sequential(layer, nn.ReLU(), layer)
    tree = d2lblocks.param_tree(model)
    assert tree.num_params == 20
    assert tree["net[0]"].shared_paths == ("net[2]",) and tree["net[2]"].shared_paths == ("net[0]",)
    assert "net[2]: Linear  20 params  [shared]  also at net[0]" in str(tree)


def test_the_tree_keeps_what_it_describes_alive_so_identities_stay_true():
    """The snapshot holds its tensors, so a freed model cannot recycle an id into a false 'shared'."""
    tree = d2lblocks.param_tree(nn.Sequential(nn.Linear(3, 3)))
    gc.collect()
    fresh = [torch.zeros(3, 3) for _ in range(200)]
    assert all(id(t) != tree["net[0].weight"].key for t in fresh)
    assert tree.stats("net[0].weight").numel == 9


def test_blocks_in_a_python_list_are_shown_where_they_live_with_consequence_and_fix():
    model = d2lblocks.ListSequential(nn.Linear(20, 256), nn.ReLU(), nn.Linear(256, 10))
    tree = d2lblocks.param_tree(model)
    finding = d2lblocks.find_unregistered(model)[0]
    node = tree["net.blocks[0]"]
    assert tree.num_params == sum(p.numel() for p in model.parameters()) == 0
    assert tree.num_unregistered_params == 20 * 256 + 256 + 256 * 10 + 10
    assert "unregistered" in node.badges and node.fix == finding.fix and node.consequence == finding.consequence
    assert "unregistered" in tree["net.blocks[0].weight"].badges
    assert "PyTorch cannot see 7,946 parameters" in str(tree)


def test_a_plain_tensor_constant_is_flagged_but_not_counted_as_a_parameter():
    tree = d2lblocks.param_tree(d2lblocks.FixedHiddenMLPPlainTensor())
    constant = tree["net.rand_weight"]
    assert {"unregistered", "constant"} <= constant.badges and "register_buffer" in constant.fix
    assert tree.num_unregistered_params == 0 and tree.num_params == 420


def test_lazy_parameters_show_as_uninitialised_and_building_the_tree_leaves_them_lazy():
    model = d2lblocks.lazy_chimera()
    tree = d2lblocks.param_tree(model, torch.rand(2, 20))
    assert tree["net[1].weight"].shape is None and "lazy" in tree["net[1].weight"].badges
    assert "lazy" in tree["net[0]"].badges and tree.num_lazy == 8
    assert "weight (?) float32  ? params  [lazy]" in str(tree)
    assert is_lazy(model[1].weight), "param_tree must never initialise the model"


def test_call_counts_show_the_reused_linear_and_leave_the_model_untouched():
    model = nn.Sequential(nn.BatchNorm1d(20), d2lblocks.FixedHiddenMLP())
    before = {k: v.clone() for k, v in model.state_dict().items()}
    tree = d2lblocks.param_tree(model, torch.rand(8, 20))
    assert tree["net[1].linear"].calls == 2 and "reused" in tree["net[1].linear"].badges
    assert tree["net[0]"].calls == 1 and "called 2×  [reused]" in str(tree)
    assert "copy of the model" in str(tree)
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())
    assert d2lblocks.param_tree(model)["net[1].linear"].calls is None


def test_runs_of_identical_blocks_are_summarised_and_can_be_expanded():
    model = nn.Sequential(nn.Linear(8, 16), *[nn.Sequential(nn.Linear(16, 16), nn.ReLU()) for _ in range(5)])
    tree = d2lblocks.param_tree(model)
    assert "net[1…5]: 5 × Sequential  272 params each" in tree.to_text(tensors=False)
    assert "net[3][0]" not in tree.to_text()
    assert "net[3][0]: Linear  272 params" in tree.to_text(expand_repeats=True)


def test_frozen_parameters_and_non_persistent_buffers_are_marked():
    model = nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 2))
    model[0].requires_grad_(False)
    model[1].register_buffer("mask", torch.ones(2), persistent=False)
    tree = d2lblocks.param_tree(model)
    assert "frozen" in tree["net[0]"].badges and "frozen" not in tree["net[1]"].badges
    assert "mask (2,) float32  buffer (not in state_dict)  [constant]" in str(tree)


def test_dtype_and_device_come_from_the_tensors_even_on_the_meta_device():
    tree = d2lblocks.param_tree(d2lblocks.MLP().to(torch.float64).to("meta"))
    weight = tree["net.hidden.weight"]
    assert (weight.dtype, weight.device, weight.nbytes) == ("float64", "meta", 256 * 20 * 8)
    with pytest.raises(ValueError, match="meta device"):
        tree.stats("net.hidden.weight")


def test_statistics_are_computed_on_request_from_the_live_tensor():
    model = nn.Linear(4, 3)
    nn.init.zeros_(model.bias)
    model(torch.rand(5, 4)).sum().backward()
    tree = d2lblocks.param_tree(model)
    bias, weight = tree.stats("net.bias"), tree.stats("net.weight", bins=5)
    assert bias.zero_fraction == 1.0 and bias.grad_norm == pytest.approx(float(model.bias.grad.norm()))
    assert sum(weight.counts) == 12 and len(weight.edges) == 6
    assert weight.min == pytest.approx(float(model.weight.detach().min()))
    assert weight.max == pytest.approx(float(model.weight.detach().max()))


def test_asking_for_something_the_tree_cannot_give_names_the_mistake():
    tree = d2lblocks.param_tree(d2lblocks.MLP())
    with pytest.raises(KeyError, match="did you mean 'net.hidden.weight'"):
        tree["net.hiden.weight"]
    with pytest.raises(TypeError, match="statistics are per tensor"):
        tree.stats("net.hidden")
    with pytest.raises(ValueError, match="lazy"):
        d2lblocks.param_tree(nn.LazyLinear(3)).stats("net.weight")


@pytest.mark.parametrize("wrong, message", [
    ("net", "got str 'net'"), (nn.Linear, "Create the block first: param_tree(Linear())"),
    ([nn.Linear(2, 2)], "param_tree(nn.Sequential(*blocks))"), (None, "got NoneType None"),
])
def test_a_non_module_gives_an_error_that_says_what_to_pass(wrong, message):
    with pytest.raises(TypeError, match="nn.Module") as error:
        d2lblocks.param_tree(wrong)
    assert message in str(error.value)


def test_an_example_input_the_model_rejects_is_reported_as_such():
    with pytest.raises(ValueError, match="example input could not go through the model"):
        d2lblocks.param_tree(d2lblocks.MLP(), torch.rand(2, 7))


def test_children_keyed_by_objects_are_reported_with_the_fix():
    with pytest.raises(TypeError, match=r"add_module\(str\(index\), block\)"):
        d2lblocks.param_tree(d2lblocks.ModuleKeyedSequential(nn.Linear(2, 2)))


def test_a_module_that_contains_itself_does_not_loop_forever():
    model = nn.Sequential(nn.Linear(2, 2))
    model.add_module("again", model)
    tree = d2lblocks.param_tree(model)
    assert tree.num_params == 6 and "shared" in tree["net.again"].badges


def test_the_text_view_can_stop_at_a_depth_and_marks_what_it_cut():
    text = d2lblocks.param_tree(d2lblocks.chimera()).to_text(max_depth=1)
    assert "├─ net[0]: NestMLP  3,952 params  …" in text and "net[0].net" not in text


def test_wrong_options_name_the_value_and_what_is_expected():
    tree = d2lblocks.param_tree(d2lblocks.MLP())
    with pytest.raises(ValueError, match="bins must be a positive whole number such as 30, got 0"):
        tree.stats("net.out.bias", bins=0)
    with pytest.raises(ValueError, match="max_rows must be a positive whole number"):
        tree.to_html(max_rows=0)
    with pytest.raises(ValueError, match="name must be a Python identifier such as 'net', got 'my net'"):
        d2lblocks.param_tree(d2lblocks.MLP(), name="my net")


def test_a_single_parameter_is_one_param_not_one_params():
    tree = d2lblocks.param_tree(nn.Linear(1, 1))
    text = tree.to_text()
    assert "bias (1,) float32  1 param" in text and "1 params" not in text
