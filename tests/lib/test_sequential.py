"""MySequential: the chapter's Sequential, with every block registered."""
import io

import pytest
import torch
from torch import nn

from d2lblocks import MySequential


def make_net() -> MySequential:
    return MySequential(nn.Linear(20, 256), nn.ReLU(), nn.Dropout(0.5), nn.Linear(256, 10))


def test_it_computes_what_nn_sequential_computes_with_the_same_blocks():
    blocks = [nn.Linear(20, 256), nn.ReLU(), nn.Linear(256, 10)]
    X = torch.rand(3, 20)
    torch.testing.assert_close(MySequential(*blocks)(X), nn.Sequential(*blocks)(X))


def test_parameters_state_dict_and_print_see_every_block():
    net = make_net()
    assert len(list(net.parameters())) == 4
    assert list(net.state_dict()) == ["0.weight", "0.bias", "3.weight", "3.bias"]
    assert "(3): Linear(in_features=256, out_features=10, bias=True)" in repr(net)


def test_to_and_eval_reach_the_blocks_inside():
    net = make_net().to(torch.float64).eval()
    assert net[0].weight.dtype == torch.float64
    assert net[2].training is False


def test_save_and_load_restores_the_weights():
    net, restored = make_net().eval(), make_net().eval()
    buffer = io.BytesIO()
    torch.save(net.state_dict(), buffer)
    buffer.seek(0)
    restored.load_state_dict(torch.load(buffer))
    X = torch.rand(2, 20)
    torch.testing.assert_close(restored(X), net(X))


def test_add_appends_in_order_and_chains():
    net = MySequential().add(nn.Linear(4, 3)).add(nn.ReLU())
    assert [type(b).__name__ for b in net] == ["Linear", "ReLU"]
    assert len(net) == 2


def test_add_never_replaces_an_existing_block_even_after_a_deletion():
    net = MySequential(nn.Linear(2, 2), nn.ReLU(), nn.Linear(2, 2))
    del net._modules["1"]
    net.add(nn.Tanh())
    assert [type(b).__name__ for b in net] == ["Linear", "Linear", "Tanh"]


def test_indexing_supports_negative_indices_and_slices():
    net = make_net()
    assert net[-1] is net[3]
    assert isinstance(net[:2], MySequential) and len(net[:2]) == 2
    assert net[:2][0] is net[0]


def test_an_empty_sequential_passes_its_input_through():
    X = torch.rand(2, 5)
    assert MySequential()(X) is X


@pytest.mark.parametrize(
    "bad, hint",
    [
        (nn.Linear, "call it to build a block"),
        ([nn.Linear(2, 2)], "unpack it with a star"),
        (torch.relu, "You passed a function"),
        ("relu", "Build the block first"),
    ],
)
def test_a_non_module_is_refused_with_its_type_and_a_fix(bad, hint):
    with pytest.raises(TypeError) as error:
        MySequential(nn.Linear(2, 2), bad)
    message = str(error.value)
    assert type(bad).__name__ in message and "block 1" in message and hint in message


def test_add_refuses_a_non_module_and_keeps_the_existing_blocks():
    net = MySequential(nn.Linear(2, 2))
    with pytest.raises(TypeError, match="must be an nn.Module"):
        net.add(3)
    assert len(net) == 1


@pytest.mark.parametrize("index, error", [(5, IndexError), (-6, IndexError), ("0", TypeError), (1.0, TypeError)])
def test_bad_indices_say_what_range_or_type_is_allowed(index, error):
    with pytest.raises(error, match="MySequential"):
        make_net()[index]
