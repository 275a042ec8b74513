"""Shared fixtures for the test suite."""
from __future__ import annotations

import os
import shutil

import pytest
import torch

# One shared stock-nbgrader run of the audit bank per session (fixture audit_run).
pytest_plugins = ["audit_run_fixture"]

# The suite asserts English messages unless a test asks for another language: a machine whose
# locale is Japanese must not change what the library says here (tests of the fallback clear this).
os.environ["D2LBLOCKS_LANGUAGE"] = "en"


@pytest.fixture(autouse=True)
def _seeded() -> None:
    """Every test starts from the same random state, so failures reproduce."""
    torch.manual_seed(0)


def require_program(name: str) -> str:
    """Path of a system program an end-to-end test needs.

    Missing locally: the test is skipped with a hint. Missing in CI: the test
    fails, because CI must exercise the real component.
    """
    path = shutil.which(name)
    if path:
        return path
    message = f"{name} is not installed (apt-get install -y {name}); .ci/run installs it"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)
