"""The project's set-up files agree with each other, so installs never drift."""
import re
from pathlib import Path

import pytest

tomllib = pytest.importorskip("tomllib")  # Python 3.11+; the library itself supports 3.10

ROOT = Path(__file__).resolve().parents[1]
# conda-forge spells a few packages differently from PyPI.
CONDA_TO_PYPI = {"pytorch": "torch"}
NOT_PACKAGES = {"python", "pip"}


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~\[ ;]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


def pyproject_dependencies() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    names = {_name(r) for r in project["dependencies"]}
    for requirements in project["optional-dependencies"].values():
        names |= {_name(r) for r in requirements if not r.startswith("d2lblocks")}
    return names


def environment_dependencies() -> set[str]:
    names = set()
    text = (ROOT / "environment.yml").read_text()
    for line in text.split("\ndependencies:", 1)[1].splitlines():
        match = re.match(r"^\s{2}- ([A-Za-z0-9_.\-]+)", line)
        if match and match.group(1) not in NOT_PACKAGES:
            names.add(CONDA_TO_PYPI.get(match.group(1).lower(), match.group(1).lower()))
    return names


def test_environment_yml_names_the_same_dependencies_as_pyproject():
    assert environment_dependencies() == pyproject_dependencies()


def test_torch_is_a_floor_not_a_pin_so_a_gpu_machine_keeps_its_cuda_build():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    (torch,) = [r for r in project["dependencies"] if _name(r) == "torch"]
    assert ">=" in torch and "==" not in torch


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    assert "make test" in readme.split("\n## ")[0], "the test command is among the README's first commands"
    assert re.search(r"^make test$", ci, re.M)


def test_the_console_script_points_at_the_grader_cli():
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts["d2lblocks-grade"] == "d2lblocks_grade.cli:main"
