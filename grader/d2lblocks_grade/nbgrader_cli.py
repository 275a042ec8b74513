"""The Jupyter programs (nbgrader, alembic) installed beside this Python.

They are only found when the virtualenv's ``bin`` is on ``PATH``; a grader
started as ``.venv/bin/python -m grader`` without activating the virtualenv
must still find them.
"""
from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path


def tools_bin() -> str:
    """The folder holding this Python and the programs installed with it."""
    return str(Path(sys.executable).parent)


def tools_env(base: dict[str, str] | None = None) -> dict[str, str]:
    """A copy of ``base`` (default: this process's environment) with ``tools_bin()`` first on PATH."""
    env = dict(os.environ if base is None else base)
    env["PATH"] = tools_bin() + os.pathsep + env.get("PATH", "")
    return env


def nbgrader_program(env: dict[str, str]) -> str | None:
    """Full path of the ``nbgrader`` program on ``env``'s PATH, or None when it is not installed."""
    return shutil.which("nbgrader", path=env["PATH"])
