"""One stock-nbgrader run of the whole audit bank per test session, shared by test_audit and test_exercises.

Grading the bank is the slowest thing these tests do (a kernel per submission),
and its first submission is the instructor's solution, so the full-marks and
release checks read the same run instead of grading again.
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
    course: Path     # the graded course copy (release/, autograded/, gradebook.db)


@pytest.fixture(scope="session")
def audit_run(tmp_path_factory) -> AuditRun:
    where = tmp_path_factory.mktemp("audit")
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        status = audit.main(["--keep", str(where / "course"), "--json", str(where / "audit.json")])
    results = json.loads((where / "audit.json").read_text()) if (where / "audit.json").exists() else {}
    return AuditRun(status, printed.getvalue(), results, where / "course")
