"""find_unregistered: report what PyTorch cannot see, where it is, why it matters and the fix."""
import pytest
import torch
from torch import nn

from d2lblocks import FixedHiddenMLP, FixedHiddenMLPPlainTensor, ListSequential, MySequential, chimera, find_unregistered


class Holder(nn.Module):
    """A model that hides state in every way a student might."""

    def __init__(self) -> None:
        super().__init__()
        self.body = nn.Sequential(nn.Linear(4, 4), ListSequential(nn.Linear(4, 4)))
        self.heads = {"a": nn.Linear(4, 2)}
        self.pair = (nn.Linear(4, 4), nn.ReLU())
        self.scales = [nn.Parameter(torch.ones(4))]
        self.offset = torch.zeros(4)
        self.learnable = torch.zeros(4, requires_grad=True)
        self.cached_layer = [self.body[0]]  # a second reference to a registered block is harmless


def test_well_registered_models_report_nothing():
    for model in (MySequential(nn.Linear(2, 2)), FixedHiddenMLP(), chimera(), nn.LSTM(3, 4), nn.TransformerEncoderLayer(8, 2)):
        report = find_unregistered(model)
        assert len(report) == 0, report
    assert "nothing hidden" in repr(report)


def test_tensors_that_pytorch_recomputes_from_parameters_before_each_call_are_not_flagged():
    with pytest.warns(FutureWarning):  # the older weight_norm API is deprecated but still common
        old_style = torch.nn.utils.weight_norm(nn.Linear(4, 4))
    assert len(find_unregistered(old_style)) == 0
    assert len(find_unregistered(torch.nn.utils.spectral_norm(nn.Linear(4, 4)))) == 0


def test_each_hiding_place_is_reported_with_its_path_kind_and_container():
    found = {(f.path, f.kind, f.container) for f in find_unregistered(Holder())}
    assert found == {
        ("net.body[1].blocks[0]", "module", "list"),
        ("net.heads['a']", "module", "dict"),
        ("net.pair[0]", "module", "tuple"),
        ("net.pair[1]", "module", "tuple"),
        ("net.scales[0]", "parameter", "list"),
        ("net.offset", "tensor", "attribute"),
        ("net.learnable", "tensor", "attribute"),
    }


def test_the_owner_is_given_in_named_modules_spelling_so_tools_can_place_it():
    finding = next(f for f in find_unregistered(Holder()) if f.path == "net.body[1].blocks[0]")
    model = Holder()
    assert finding.module_path == "body.1" and finding.attribute == "blocks" and finding.accessor == "blocks[0]"
    assert dict(model.named_modules())[finding.module_path].__class__ is ListSequential


def test_each_finding_names_the_fix_a_student_should_apply():
    fixes = {f.path: f.fix for f in find_unregistered(Holder())}
    assert "nn.ModuleList" in fixes["net.body[1].blocks[0]"]
    assert "nn.ModuleDict" in fixes["net.heads['a']"]
    assert "nn.ParameterList" in fixes["net.scales[0]"]
    assert "register_buffer('offset'" in fixes["net.offset"]
    assert "nn.Parameter" in fixes["net.learnable"]


def test_the_plain_tensor_constant_of_the_chapter_is_found():
    (finding,) = find_unregistered(FixedHiddenMLPPlainTensor())
    assert finding.path == "net.rand_weight" and finding.obj.shape == (20, 20)
    assert "state_dict() does not save it" in finding.consequence


def test_the_report_prints_consequence_and_fix_and_counts_hidden_parameters():
    text = repr(find_unregistered(ListSequential(nn.Linear(20, 256))))
    assert "1 thing PyTorch cannot see" in text
    assert "5,376 parameters" in text and "fix: store the blocks in nn.ModuleList" in text


def test_a_custom_root_name_is_used_in_paths():
    (finding,) = find_unregistered(ListSequential(nn.ReLU()), root_name="model")
    assert finding.path == "model.blocks[0]"


def test_it_refuses_something_that_is_not_a_model():
    with pytest.raises(TypeError, match=r"find_unregistered\(\) expects a PyTorch block.*find_unregistered\("):
        find_unregistered([nn.Linear(2, 2)])
