"""torch.compile: the library's containers add no graph breaks; FixedHiddenMLP's loop does."""
import pytest
import torch
from torch import nn

import d2lblocks as d

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


def fresh_dynamo():
    torch._dynamo.reset()


@pytest.mark.parametrize(
    "build",
    [
        lambda: d.MySequential(nn.Linear(20, 8), nn.ReLU(), nn.Linear(8, 4)),
        lambda: d.Parallel(d.MLP(), d.NestMLP()),
        lambda: d.replicate(lambda: nn.Linear(20, 20), 3),
        d.NestMLP,
        d.MLP,
    ],
    ids=["MySequential", "Parallel", "replicate", "NestMLP", "MLP"],
)
def test_library_containers_compile_as_one_graph(build):
    fresh_dynamo()
    model = build()
    X = torch.rand(4, 20)
    compiled = torch.compile(model, backend="eager", fullgraph=True)
    torch.testing.assert_close(compiled(X), model(X))


def test_fixed_hidden_mlp_breaks_the_graph_at_its_data_dependent_loop():
    fresh_dynamo()
    explanation = torch._dynamo.explain(d.FixedHiddenMLP())(torch.rand(4, 20))
    assert explanation.graph_break_count >= 1
    compiled = torch.compile(d.chimera(), backend="eager")
    assert compiled(torch.rand(4, 20)).shape == ()
