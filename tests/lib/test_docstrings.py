"""Every example in the library's docstrings runs and prints what it says."""
import doctest
import importlib
import pkgutil

import pytest
import torch
from torch import nn

import d2lblocks
import d2lblocks_grade

# The stand-in the grading sandbox shows instead of the course library exists to fail on import.
NOT_IMPORTABLE = ("d2lblocks_grade.kernel.unavailable_package",)
MODULES = sorted(
    name
    for package in (d2lblocks, d2lblocks_grade)
    for _, name, _ in pkgutil.walk_packages(package.__path__, prefix=package.__name__ + ".")
    if not name.endswith("__main__") and name not in NOT_IMPORTABLE
)


@pytest.mark.parametrize("module_name", MODULES)
def test_docstring_examples_run(module_name):
    module = importlib.import_module(module_name)
    torch.manual_seed(0)
    result = doctest.testmod(module, extraglobs={"torch": torch, "nn": nn}, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0, f"{result.failed} docstring example(s) in {module_name} failed (run pytest -s to see them)"


def test_every_public_name_has_a_docstring_with_an_example():
    core = ["MySequential", "Parallel", "replicate", "find_shared_parameters", "find_unregistered", "ListSequential",
            "ModuleKeyedSequential", "demonstrate_list_pitfall", "MLP", "FixedHiddenMLP", "NestMLP", "chimera",
            "LazyMLP", "try_gpu", "try_all_gpus", "cpu", "num_gpus"]
    missing = [name for name in core if ">>>" not in (getattr(d2lblocks, name).__doc__ or "")]
    assert missing == []
