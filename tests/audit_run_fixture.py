"""One run of the whole audit bank per grader and test session, shared by test_audit and test_exercises.

Grading the bank is the slowest thing these tests do (a kernel per submission),
and its first submission is the instructor's solution, so the full-marks and
release checks read the same stock-nbgrader run (`audit_run`) instead of grading
again; `audit_run_trusted` grades the bank as the course is graded, in trusted mode.
"""
from __future__ import annotations

import contextlib
import io
import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from d2lblocks_grade.audit import run as audit


@dataclass(frozen=True)
class AuditRun:
    status: int      # audit.main's exit status
    table: str       # what it printed
    results: dict    # its --json output
    course: Path     # what was graded (--keep): the stock course copies, or trusted mode's autograded/


def _run(where: Path, grader: str) -> AuditRun:
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        status = audit.main(["--grader", grader, "--keep", str(where / "course"), "--json", str(where / "audit.json")])
    results = json.loads((where / "audit.json").read_text()) if (where / "audit.json").exists() else {}
    return AuditRun(status, printed.getvalue(), results, where / "course")


@pytest.fixture(scope="session")
def audit_run(tmp_path_factory) -> AuditRun:
    """Stock nbgrader: course copies under course/grader-N/ (release/, autograded/, gradebook.db)."""
    return _run(tmp_path_factory.mktemp("audit"), "stock")


@pytest.fixture(scope="session")
def audit_run_trusted(tmp_path_factory) -> AuditRun:
    """Trusted mode: the executed notebooks under course/autograded/."""
    return _run(tmp_path_factory.mktemp("audit-trusted"), "trusted")
