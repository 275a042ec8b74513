"""The grader as an instructor installs it: a wheel, used from any folder, never shadowed by the folder it runs in."""
from __future__ import annotations

import csv
import os
import shutil
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest
from grader_fixtures import make_course, write_class
from project_paths import COURSE, EXAMPLES, ROOT

pytestmark = pytest.mark.slow


def _run(args, cwd, env=None, timeout=300):
    return subprocess.run([str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


def _wheel_and_empty_venv(base: Path) -> tuple[Path, Path]:
    """The project built as a wheel, and an empty virtualenv (no pip: this suite's pip installs into it)."""
    built = _run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", base / "dist", ROOT], cwd=base)
    assert built.returncode == 0, built.stderr
    (wheel,) = (base / "dist").glob("d2lblocks-*.whl")
    fresh = base / "venv"
    venv.EnvBuilder(with_pip=False).create(fresh)
    return wheel, fresh


@pytest.fixture(scope="module")
def wheel_env(tmp_path_factory):
    """A fresh virtualenv holding the built wheel; the heavy dependencies come from the test's own
    environment through a path entry (no download), but d2lblocks itself only from the wheel."""
    base = tmp_path_factory.mktemp("wheel")
    wheel, fresh = _wheel_and_empty_venv(base)
    python = fresh / "bin" / "python"
    site = _run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], cwd=base).stdout.strip()
    # A plain path line: the test environment's editable-install hooks (*.pth there) are not run.
    Path(site, "test-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    installed = _run([sys.executable, "-m", "pip", "--python", python, "install", "-q", "--no-deps", wheel], cwd=base)
    assert installed.returncode == 0, installed.stderr
    # nbgrader's own programs (used for the gradebook's schema) stay found through PATH.
    env = {**os.environ, "PATH": f"{fresh / 'bin'}{os.pathsep}{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    return fresh, env


def test_the_wheel_installs_d2lblocks_grade_and_no_module_called_grader(wheel_env, tmp_path):
    fresh, env = wheel_env
    python = fresh / "bin" / "python"
    found = _run([python, "-c", "import d2lblocks_grade, d2lblocks; print(d2lblocks_grade.__file__)"], tmp_path, env)
    assert found.returncode == 0, found.stderr
    assert str(fresh) in found.stdout
    shadow = _run([python, "-c", "import grader"], tmp_path, env)
    assert "No module named 'grader'" in shadow.stderr
    files = _run([python, "-c", "import importlib.metadata as m; print('\\n'.join(map(str, m.files('d2lblocks'))))"],
                 tmp_path, env).stdout.splitlines()
    assert not [f for f in files if "examples" in f or "hostile" in f or f.endswith(".ipynb")], \
        "the wheel ships only what runs, no fixtures or example classes"


def test_without_a_course_the_installed_grader_says_to_pass_course(wheel_env, tmp_path):
    fresh, env = wheel_env
    (tmp_path / "subs").mkdir()
    run = _run([fresh / "bin" / "d2lblocks-grade", "autograde", "subs"], tmp_path, env)
    assert run.returncode == 2
    assert "Pass --course DIR" in run.stderr and "exercises" in run.stderr


@pytest.fixture(scope="module")
def grade_extra_env(tmp_path_factory):
    """An empty virtualenv into which pip installs the built wheel with its `[grade]` extra, as an instructor does:
    every package the grader needs must come from the extra's list (torch first, at this suite's version, so pip
    does not pick a multi-GB build)."""
    import torch

    wheel, fresh = _wheel_and_empty_venv(tmp_path_factory.mktemp("grade-extra"))
    base = fresh.parent
    pip = [sys.executable, "-m", "pip", "--python", fresh / "bin" / "python", "install", "-q"]
    for requirement in (f"torch=={torch.__version__.split('+')[0]}", f"{wheel}[grade]"):
        installed = _run([*pip, requirement], cwd=base, timeout=900)
        assert installed.returncode == 0, installed.stderr[-3000:]
    # Only the new virtualenv and the system's programs: nothing of this suite's environment.
    env = {**os.environ, "PATH": f"{fresh / 'bin'}{os.pathsep}/usr/bin{os.pathsep}/bin"}
    env.pop("PYTHONPATH", None)
    return fresh, env


def test_the_installed_grader_grades_the_example_class_from_an_unrelated_folder(wheel_env, tmp_path):
    """Outside a checkout: the course and the class are wherever the instructor keeps them."""
    _grade_the_examples_elsewhere(*wheel_env, tmp_path)


def test_pip_install_of_the_grade_extra_is_all_an_instructor_needs(grade_extra_env, tmp_path):
    fresh, env = grade_extra_env
    own = _run([fresh / "bin" / "python", "-c", "import sqlalchemy, nbgrader; print(sqlalchemy.__file__)"], tmp_path, env)
    assert own.returncode == 0 and str(fresh) in own.stdout, own.stderr
    _grade_the_examples_elsewhere(fresh, env, tmp_path)


def _grade_the_examples_elsewhere(fresh: Path, env: dict, tmp_path: Path) -> None:
    course, subs = tmp_path / "my-course", tmp_path / "downloads"
    shutil.copytree(COURSE, course, ignore=shutil.ignore_patterns("gradebook.db", "autograded", "feedback"))
    shutil.copytree(EXAMPLES, subs)
    elsewhere = tmp_path / "somewhere" / "else"
    elsewhere.mkdir(parents=True)
    run = _run([fresh / "bin" / "d2lblocks-grade", "autograde", subs, "--course", course, "--out", tmp_path / "out",
                "--cell-timeout", "10", "--timeout", "40", "--quiet"], elsewhere, env)
    assert run.returncode == 0, run.stderr
    with open(tmp_path / "out" / "grades.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    scores: dict[str, float] = {}
    for row in rows:
        scores[row["student"]] = scores.get(row["student"], 0) + float(row["score"] or 0)
    assert scores["ada"] == scores["eli"] > scores["ben"] > scores["cy"] == 0
    assert {row["status"] for row in rows if row["student"] == "cy"} == {"invalid-notebook"}


def test_folders_named_like_the_grader_in_the_working_folder_do_not_shadow_it(tmp_path):
    """A `grader/` or `d2lblocks_grade/` folder where the instructor stands is not imported, and kernels stay warm."""
    for name in ("grader", "d2lblocks_grade"):
        package = tmp_path / name
        (package / "kernel").mkdir(parents=True)
        for init in (package / "__init__.py", package / "kernel" / "__init__.py"):
            init.write_text("raise SystemExit('the wrong package was imported')\n")
    course = make_course(tmp_path / "course")
    subs = write_class(tmp_path, course, {"alice": "correct"})
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    run = _run([Path(sys.executable).parent / "d2lblocks-grade", "-v", "autograde", subs, "--course", course,
                "--out", "out", "--quiet"], tmp_path, env)
    assert run.returncode == 0, run.stderr
    assert "starts cold" not in run.stderr and "fork server" not in run.stderr
