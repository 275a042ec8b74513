"""tools/system_programs.py: what `make demo`, `make test` and .ci/run run before anything else."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest
from conftest import _system_programs
from project_paths import ROOT

SCRIPT = ROOT / "tools" / "system_programs.py"
programs = _system_programs()


def _run(*args: str, path: str) -> subprocess.CompletedProcess:
    """The script as a user runs it, with PATH limited to `path` (so programs can be made to be missing)."""
    return subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True, timeout=60,
                          env={**os.environ, "PATH": path})


def test_a_machine_without_bwrap_gets_one_line_naming_bubblewrap_and_its_install_command(tmp_path):
    empty = tmp_path / "bin"
    empty.mkdir()
    done = _run("check", "demo", path=str(empty))
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert "missing: bubblewrap" in done.stderr
    assert "sudo apt-get install -y bubblewrap" in done.stderr
    assert "Chromium" not in done.stderr, "the demo does not need the browser"


def test_the_test_command_also_needs_the_browser(tmp_path):
    empty = tmp_path / "bin"
    empty.mkdir()
    done = _run("check", "test", path=str(empty))
    lines = [line for line in done.stderr.splitlines() if "missing:" in line]
    assert [line.split("missing: ")[1].split(" (")[0] for line in lines][:2] == ["bubblewrap", "Chromium"]
    assert "all at once: sudo apt-get install -y bubblewrap chromium" in done.stderr


def test_on_a_machine_that_has_everything_install_only_looks(monkeypatch):
    ran: list[list[str]] = []
    real_run = subprocess.run

    def recording_run(args, *rest, **kw):
        ran.append(list(args))
        return real_run(args, *rest, **kw)

    monkeypatch.setattr(programs.subprocess, "run", recording_run)
    assert programs.missing("test") == [], "this suite's machine has every program (make test installed them)"
    assert programs.main(["install", "test"]) == 0
    assert not [args for args in ran if "apt-get" in args[0]], "nothing installed, nothing changed"


def test_a_wrong_command_is_a_usage_line_not_a_traceback():
    done = _run("install", "docs", path=os.environ["PATH"])
    assert done.returncode == 2
    assert done.stderr.strip() == programs.USAGE
    with pytest.raises(ValueError, match="unknown command 'docs'; choose one of: demo, test"):
        programs.needed("docs")


def test_the_makefile_and_ci_use_this_one_list():
    makefile = (ROOT / "Makefile").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    assert "tools/system_programs.py install $*" in makefile
    assert "demo: system-demo" in makefile and "test: system-test" in makefile
    assert "python3 tools/system_programs.py install test" in ci
    assert "apt-get" not in ci, "one list: the CI script installs through the same script"
