"""replicate: n fresh blocks from a factory; find_shared_parameters: the [block] * n mistake."""
import pytest
import torch
from torch import nn

from d2lblocks import find_shared_parameters, replicate


def block() -> nn.Module:
    return nn.Sequential(nn.Linear(8, 8), nn.ReLU())


def test_it_chains_n_independent_blocks_with_their_own_weights():
    net = replicate(block, 4)
    assert isinstance(net, nn.Sequential) and len(net) == 4
    assert len({id(p) for p in net.parameters()}) == 8
    assert not torch.equal(net[0][0].weight, net[1][0].weight), "each block is initialised on its own"
    assert find_shared_parameters(net) == []
    assert net(torch.rand(2, 8)).shape == (2, 8)


def test_the_factory_is_called_once_per_block():
    calls = []
    replicate(lambda: calls.append(1) or nn.ReLU(), 3)
    assert len(calls) == 3


@pytest.mark.parametrize("n", [0, -1, 2.5, True, "3"])
def test_a_count_that_is_not_a_positive_whole_number_is_refused(n):
    with pytest.raises(ValueError, match="at least 1"):
        replicate(block, n)


def test_an_already_built_block_instead_of_a_factory_is_explained():
    with pytest.raises(TypeError, match="already built Linear.*lambda"):
        replicate(nn.Linear(8, 8), 3)


def test_a_factory_returning_the_same_object_twice_is_refused():
    layer = nn.Linear(8, 8)
    with pytest.raises(ValueError, match="same Linear object on call 0 and call 1"):
        replicate(lambda: layer, 2)


def test_a_factory_reusing_a_layer_built_outside_is_refused():
    shared = nn.Linear(8, 8)
    with pytest.raises(ValueError, match="share the parameter '0.weight'"):
        replicate(lambda: nn.Sequential(shared, nn.ReLU()), 2)


def test_a_factory_returning_a_non_module_or_not_callable_is_refused():
    with pytest.raises(TypeError, match="must be an nn.Module"):
        replicate(lambda: "linear", 2)
    with pytest.raises(TypeError, match="zero-argument function"):
        replicate(42, 2)


def test_find_shared_parameters_spots_a_repeated_instance():
    one = block()
    groups = find_shared_parameters(nn.Sequential(*[one] * 3))
    assert groups == [("0.0.weight", "1.0.weight", "2.0.weight"), ("0.0.bias", "1.0.bias", "2.0.bias")]


def test_find_shared_parameters_refuses_a_non_module():
    with pytest.raises(TypeError, match=r"find_shared_parameters\(\) expects a PyTorch block.*got a list"):
        find_shared_parameters([])
