"""Parallel: every branch sees the same input; outputs are concatenated."""
import pytest
import torch
from torch import nn

from d2lblocks import Parallel


def test_outputs_are_concatenated_along_features_first_branch_first():
    net1, net2 = nn.Linear(20, 8), nn.Linear(20, 4)
    X = torch.rand(5, 20)
    out = Parallel(net1, net2)(X)
    assert out.shape == (5, 12)
    torch.testing.assert_close(out, torch.cat([net1(X), net2(X)], dim=-1))


def test_every_branch_is_registered_and_trained():
    net = Parallel(nn.Linear(4, 2), nn.Linear(4, 3))
    net(torch.rand(2, 4)).sum().backward()
    assert len(list(net.parameters())) == 4
    assert all(p.grad is not None for p in net.parameters())


def test_three_branches_and_another_dim():
    net = Parallel(nn.Identity(), nn.Identity(), nn.Identity(), dim=0)
    assert net(torch.rand(2, 3)).shape == (6, 3)


def test_branches_that_disagree_on_batch_shape_are_named_with_their_shapes():
    net = Parallel(nn.Linear(4, 2), nn.Flatten(0))
    with pytest.raises(ValueError) as error:
        net(torch.rand(3, 4))
    message = str(error.value)
    assert "branch 0 (Linear) gave shape (3, 2)" in message
    assert "branch 1 (Flatten) gave shape (12,)" in message


def test_no_branches_or_a_bad_dim_or_a_non_module_are_refused():
    with pytest.raises(ValueError, match="at least one block"):
        Parallel()
    with pytest.raises(TypeError, match="dim must be an integer"):
        Parallel(nn.Identity(), dim="features")
    with pytest.raises(TypeError, match="Parallel got 7"):
        Parallel(nn.Identity(), 7)
