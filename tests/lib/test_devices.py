"""Device helpers: GPU when present, CPU otherwise."""
import pytest
import torch

from d2lblocks import cpu, num_gpus, try_all_gpus, try_gpu


@pytest.fixture
def no_gpu(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 0)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)


@pytest.fixture
def two_gpus(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)


def test_without_a_gpu_everything_falls_back_to_the_cpu(no_gpu):
    assert num_gpus() == 0
    assert try_gpu() == cpu() == torch.device("cpu")
    assert try_all_gpus() == [torch.device("cpu")], "unlike d2l's [], devices[0] always works"


def test_with_gpus_each_is_offered_and_a_missing_one_falls_back(two_gpus):
    assert num_gpus() == 2
    assert try_gpu(1) == torch.device("cuda:1")
    assert try_gpu(5) == torch.device("cpu")
    assert try_all_gpus() == [torch.device("cuda:0"), torch.device("cuda:1")]


def test_an_apple_gpu_is_used_when_there_is_no_cuda(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: True)
    assert try_gpu() == torch.device("mps") and try_gpu(1) == cpu()


@pytest.mark.parametrize("bad", [-1, "0", 1.5, True])
def test_a_gpu_number_that_is_not_a_whole_number_from_zero_is_refused(bad):
    with pytest.raises(ValueError, match="GPU number 0, 1, 2"):
        try_gpu(bad)


def test_this_machine_really_has_what_the_helpers_say():
    assert num_gpus() == (torch.cuda.device_count() or int(torch.backends.mps.is_available()))
    X = torch.ones(2, device=try_gpu())
    assert X.device.type == try_gpu().type
