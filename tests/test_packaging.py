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
            name = match.group(1).lower()
            names.add(CONDA_TO_PYPI.get(name, name).replace("_", "-"))  # conda-forge: jupyter_client
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


def _third_party_imports(folder: Path) -> set[str]:
    """Top-level modules imported anywhere under `folder` that are neither the standard library nor ours."""
    import ast
    import sys

    found = set()
    for path in folder.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found.add(node.module.split(".")[0])
    return {m for m in found if m not in sys.stdlib_module_names and m not in {"d2lblocks", "d2lblocks_grade"}}


# Imported only inside a try that falls back to something the extra installs.
OPTIONAL_IMPORTS = {"psycopg"}


def test_the_grade_extra_names_every_package_the_grader_imports():
    """An instructor's `pip install d2lblocks[grade]` must not depend on what nbgrader happens to pull in."""
    import importlib.metadata

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = {_name(r) for r in project["dependencies"] + project["optional-dependencies"]["grade"]}
    providers = importlib.metadata.packages_distributions()
    imported = _third_party_imports(ROOT / "grader" / "d2lblocks_grade") | _third_party_imports(
        ROOT / "exercises" / "verifiers")
    missing = {}
    for module in sorted(imported - OPTIONAL_IMPORTS):
        dists = {d.lower().replace("_", "-") for d in providers.get(module, [module])}
        if not dists & declared:
            missing[module] = sorted(dists)
    assert not missing, f"imported by the grader but not in the grade extra (module: distributions): {missing}"
