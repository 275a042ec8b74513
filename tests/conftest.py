"""Shared fixtures for the test suite."""
from __future__ import annotations

import importlib.util
import os
import sys

import pytest
import torch
from project_paths import ROOT

# One shared stock-nbgrader run of the audit bank per session (fixture audit_run).
pytest_plugins = ["audit_run_fixture"]

# The suite asserts English messages unless a test asks for another language: a machine whose
# locale is Japanese must not change what the library says here (tests of the fallback clear this).
os.environ["D2LBLOCKS_LANGUAGE"] = "en"


@pytest.fixture(autouse=True)
def _seeded() -> None:
    """Every test starts from the same random state, so failures reproduce."""
    torch.manual_seed(0)


def _system_programs():
    """tools/system_programs.py: the one list of the system programs the suite needs (it runs before the venv)."""
    spec = importlib.util.spec_from_file_location("system_programs", ROOT / "tools" / "system_programs.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("system_programs", module)
    spec.loader.exec_module(module)
    return module


def pytest_sessionstart(session) -> None:
    """Stop before the first test when a system program is missing: one line per program, and the command
    that installs it, instead of a failure per test that needs it."""
    programs = _system_programs()
    lacking = programs.missing("test")
    if lacking:
        lines = "\n".join(programs.missing_lines(lacking))
        pytest.exit(f"the test suite needs system programs this machine lacks (`make test` installs them as root):\n"
                    f"{lines}", returncode=4)


def require_program(name: str) -> str:
    """Path of a system program an end-to-end test needs; the test fails with the line that says how to install it."""
    programs = _system_programs()
    (program,) = [p for p in programs.PROGRAMS if name in (p.executable, p.name, p.package)]
    path = program.location()
    if path is None:
        pytest.fail(programs.missing_lines([program])[0])
    return path
