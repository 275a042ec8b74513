"""The pitfalls are runnable, and their evidence is computed, not written down."""
import pytest
import torch
from torch import nn

from d2lblocks import ListSequential, ModuleKeyedSequential, demonstrate_list_pitfall


def test_list_sequential_runs_but_hides_its_blocks():
    net = ListSequential(nn.Linear(20, 256), nn.ReLU(), nn.Linear(256, 10))
    assert net(torch.rand(2, 20)).shape == (2, 10)
    assert list(net.parameters()) == [] and net.state_dict() == {}
    with pytest.raises(ValueError, match="empty parameter list"):
        torch.optim.SGD(net.parameters(), lr=0.1)


def test_module_keyed_sequential_runs_forward_but_cannot_name_its_parameters():
    net = ModuleKeyedSequential(nn.Linear(4, 2))
    assert net(torch.rand(3, 4)).shape == (3, 2)
    for action in (lambda: list(net.parameters()), lambda: repr(net)):
        with pytest.raises(TypeError):
            action()


def test_the_demonstration_shows_every_consequence_with_measured_evidence():
    rows = {row.check: row for row in demonstrate_list_pitfall().rows}
    assert rows["parameters()"].pitfall.startswith("0 parameters")
    assert "empty parameter list" in rows["optimizer step"].pitfall
    assert "4 of 4" in rows["optimizer step"].registered
    assert "DIFFERS" in rows["save + load"].pitfall and "matches" in rows["save + load"].registered
    assert rows[".to(float64)"].registered.endswith("float64") and rows[".to(float64)"].pitfall.endswith("float32")
    assert rows[".eval()"].pitfall.endswith("True") and rows[".eval()"].registered.endswith("False")
    assert "0 child" in rows["print(net)"].pitfall
    assert "TypeError" in rows["_modules[block] = block: parameters()"].pitfall
    assert "TypeError" in rows["_modules[block] = block: print(net)"].pitfall
    assert rows["_modules[block] = block: forward"].pitfall == "(4, 10)"


def test_the_evidence_follows_the_real_code_not_a_script(monkeypatch):
    """If ListSequential were fixed, the demonstration would stop calling it broken."""
    def fixed_init(self, *blocks):
        nn.Module.__init__(self)
        self.blocks = nn.ModuleList(blocks)

    monkeypatch.setattr(ListSequential, "__init__", fixed_init)
    rows = {row.check: row for row in demonstrate_list_pitfall().rows}
    assert not rows["parameters()"].broken and not rows["optimizer step"].broken


def test_the_report_prints_as_a_table_and_as_html():
    report = demonstrate_list_pitfall()
    assert repr(report).splitlines()[0].startswith("check")
    assert "<table>" in report._repr_html_()


def test_a_bad_seed_is_refused():
    with pytest.raises(TypeError, match="whole number seed"):
        demonstrate_list_pitfall(seed="zero")


def test_the_pitfall_containers_still_refuse_non_modules():
    with pytest.raises(TypeError, match="ListSequential got 'relu'"):
        ListSequential("relu")
    with pytest.raises(TypeError, match="ModuleKeyedSequential got 3"):
        ModuleKeyedSequential(3)
