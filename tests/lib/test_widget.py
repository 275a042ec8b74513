"""d2lblocks.show(): the widget's state, checked in Python without a browser."""
import json

import pytest
import torch
from torch import nn

import d2lblocks


def labels(widget):
    return [row["label"] for row in widget.get_state()["rows"]]


def click(widget, row_id):
    """What the browser does on a click: toggle the row if it expands, and select it."""
    row = next(r for r in widget.rows if r["id"] == row_id)
    if row["expandable"]:
        widget.expanded = [x for x in widget.expanded if x != row_id] if row["open"] else [*widget.expanded, row_id]
    widget.selected = row_id


def test_the_widget_starts_with_the_root_open_and_its_children_collapsed():
    widget = d2lblocks.show(d2lblocks.chimera())
    state = widget.get_state()
    assert labels(widget) == ["net", "net[0]", "net[1]", "net[2]"]
    assert [r["open"] for r in state["rows"]] == [True, False, False, False]
    assert "4,712 parameters (each counted once)" in state["summary"]


def test_clicking_a_node_expands_it_and_shows_its_details():
    widget = d2lblocks.show(d2lblocks.chimera())
    click(widget, "net[2]")
    assert labels(widget) == ["net", "net[0]", "net[1]", "net[2]", "rand_weight", "net[2].linear"]
    details = widget.get_state()["details"]
    assert (details["kind"], details["type"], details["params"]) == ("module", "FixedHiddenMLP", "420")
    click(widget, "net[2]")
    assert labels(widget) == ["net", "net[0]", "net[1]", "net[2]"]


def test_clicking_a_tensor_shows_its_statistics_and_histogram():
    model = d2lblocks.MLP()
    widget = d2lblocks.show(model)
    click(widget, "net.out")
    click(widget, "net.out.weight")
    details = widget.get_state()["details"]
    assert details["shape"] == "(10, 256)" and sum(details["hist"]["counts"]) == 2560
    assert details["stats"]["mean"] == pytest.approx(float(model.out.weight.detach().mean()), abs=1e-6)
    assert details["stats"]["grad_norm"] is None


def test_badges_and_explanations_reach_the_widget():
    model = nn.Sequential(d2lblocks.ListSequential(nn.Linear(20, 20)), d2lblocks.FixedHiddenMLP())
    widget = d2lblocks.show(model, torch.rand(3, 20))
    click(widget, "net[0]")
    click(widget, "net[1]")
    badges = {row["id"]: row["badges"] for row in widget.rows}
    assert badges["net[0].blocks[0]"] == ["unregistered"] and badges["net[1].linear"] == ["reused"]
    click(widget, "net[0].blocks[0]")
    assert "nn.ModuleList" in widget.details["fix"]


def test_the_filter_shows_matching_paths_with_their_ancestors():
    widget = d2lblocks.show(d2lblocks.chimera())
    widget.query = "linear.weight"
    assert labels(widget) == ["net", "net[0]", "net[0].linear", "weight", "net[2]", "net[2].linear", "weight"]
    widget.query = ""
    assert labels(widget) == ["net", "net[0]", "net[1]", "net[2]"]


def test_refresh_after_a_training_step_shows_the_new_values_and_keeps_the_view():
    model = d2lblocks.MLP()
    widget = d2lblocks.show(model)
    click(widget, "net.out")
    click(widget, "net.out.bias")
    before = widget.details["stats"]["mean"]
    optimizer = torch.optim.SGD(model.parameters(), lr=0.5)
    model(torch.rand(4, 20)).sum().backward()
    optimizer.step()
    widget.refresh()
    state = widget.get_state()
    assert state["version"] == 1 and "net.out" in state["expanded"] and state["selected"] == "net.out.bias"
    assert state["details"]["stats"]["mean"] == pytest.approx(float(model.out.bias.detach().mean()), abs=1e-6)
    assert state["details"]["stats"]["mean"] != before and state["details"]["stats"]["grad_norm"] is not None


def test_repeated_blocks_are_one_row_until_expanded():
    model = nn.Sequential(*[nn.Linear(4, 4) for _ in range(12)])
    widget = d2lblocks.show(model)
    assert labels(widget) == ["net", "net[0…11]"] and widget.rows[1]["type"] == "12 × Linear"
    click(widget, "net[0…11]")
    assert len(widget.rows) == 14 and widget.details["count"] == 12


def test_a_huge_model_stays_collapsed_and_draws_a_bounded_number_of_rows():
    model = nn.Sequential(*[nn.Linear(2, 2) if i % 2 else nn.Linear(2, 2, bias=False) for i in range(3000)])
    widget = d2lblocks.show(model)
    assert len(widget.rows) == widget.max_rows + 1 < 3000 and widget.rows[-1]["kind"] == "more"
    widget.max_rows = 50
    assert len(widget.rows) == 51 and widget.rows[-1]["kind"] == "more"
    assert len(json.dumps(widget.get_state()["rows"])) < 20_000


def test_the_widget_state_is_strict_json_even_for_nan_weights():
    layer = nn.Linear(2, 2)
    with torch.no_grad():
        layer.weight[0, 0] = float("nan")
    widget = d2lblocks.show(layer)
    click(widget, "net.weight")
    json.dumps(widget.get_state()["details"], allow_nan=False)
    assert widget.details["stats"]["mean"] is None and sum(widget.details["hist"]["counts"]) == 3


def test_the_output_carries_a_static_view_and_text_for_notebooks_without_a_kernel():
    widget = d2lblocks.show(d2lblocks.chimera())
    bundle = widget._repr_mimebundle_()
    data = bundle[0] if isinstance(bundle, tuple) else bundle
    assert data["application/vnd.jupyter.widget-view+json"]["model_id"] == widget.model_id
    assert "<details open>" in data["text/html"] and "net[2]: FixedHiddenMLP" in data["text/plain"]


def test_show_rejects_what_is_not_a_block():
    with pytest.raises(TypeError, match=r"show\(\) expects a PyTorch block .* got str 'chimera'"):
        d2lblocks.show("chimera")


def test_the_widget_warns_about_what_pytorch_cannot_see_above_the_tree():
    widget = d2lblocks.show(d2lblocks.ListSequential(nn.Linear(20, 256), nn.ReLU(), nn.Linear(256, 10)))
    assert widget.get_state()["notes"] == [
        "PyTorch cannot see 7,946 parameters (marked [unregistered]): they are not trained, saved or moved to the GPU."]


def test_refresh_keeps_the_call_counts_without_running_the_model_again():
    model = d2lblocks.FixedHiddenMLP()
    widget = d2lblocks.show(model, torch.rand(2, 20))
    model.linear.register_forward_pre_hook(lambda *_: pytest.fail("refresh() ran the model"))
    widget.refresh()
    assert widget.tree["net.linear"].calls == 2 and "reused" in widget.tree["net.linear"].badges
