"""Inside Gradescope's container: grade ROOT/submission with this grader, write ROOT/results/results.json.

Run by the bundle's ``run_autograder`` (see ``lms.gradescope``). The student's notebooks are
copied into a scratch class of one; ``submission_metadata.json`` gives the submission time
(written as nbgrader's ``timestamp.txt``) and the due date (the student's own, extensions
included, when Gradescope gives one). Then the ordinary pipeline grades it, in the bubblewrap
sandbox when the container allows one (else with a note on stdout, which only instructors see).
A results.json is always written: a run that fails says why, with score 0.

Example::

    $ AUTOGRADER_ROOT=/tmp/ag python -m d2lblocks_grade.lms.gradescope_run --root /tmp/ag \\
          --course /tmp/ag/source/course --assignment layers-and-blocks
"""
from __future__ import annotations

import argparse
import json
import logging
import shutil
import sys
import tempfile
import time
import traceback
from datetime import datetime
from pathlib import Path

from nbgrader.utils import parse_utc

from d2lblocks_grade.course.intake import safe_student_id
from d2lblocks_grade.course.master import hidden_test_lines, load_course
from d2lblocks_grade.datatypes import Limits
from d2lblocks_grade.lms.gradescope import results_json
from d2lblocks_grade.pipeline import Options, autograde, cell_timeout
from d2lblocks_grade.records.atomic import write_atomic
from d2lblocks_grade.records.gradebook import GradebookWriter

NO_NOTEBOOK = ("No notebook (.ipynb) in your submission. Upload {notebook}, the assignment's notebook, "
               "saved from Jupyter.")
GRADER_FAILED = "The autograder could not grade this submission ({error}); please tell your instructor."
log = logging.getLogger(__name__)


def read_metadata(root: Path) -> dict:
    """Gradescope's submission_metadata.json ({} if absent or unreadable)."""
    try:
        data = json.loads((root / "submission_metadata.json").read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _time(value) -> datetime | None:
    try:
        return parse_utc(value) if value else None
    except (ValueError, OverflowError, TypeError):
        return None


def student_and_due(metadata: dict) -> tuple[str, datetime | None, datetime | None]:
    """(student id, due date, submission time) from Gradescope's metadata, the student's own due date first."""
    users = metadata.get("users")
    user = users[0] if isinstance(users, list) and users and isinstance(users[0], dict) else {}
    email = str(user.get("email") or "")
    student = safe_student_id(email.split("@")[0] if email else str(user.get("id") or "student"))
    own = user.get("assignment")
    own = own if isinstance(own, dict) else {}
    common = metadata.get("assignment")
    common = common if isinstance(common, dict) else {}
    due = _time(own.get("due_date")) or _time(common.get("due_date"))
    return student, due, _time(metadata.get("created_at"))


def scratch_class(root: Path, work: Path, student: str, submitted: datetime | None) -> Path:
    """SUBMISSIONS/<student>/ holding the submission's notebooks and nbgrader's timestamp.txt."""
    folder = work / "submissions" / student
    folder.mkdir(parents=True)
    for path in sorted((root / "submission").rglob("*.ipynb")):
        if path.is_file() and not path.is_symlink() and ".ipynb_checkpoints" not in path.parts:
            shutil.copyfile(path, folder / path.name)
    if submitted is not None:
        (folder / "timestamp.txt").write_text(submitted.strftime("%Y-%m-%d %H:%M:%S.%f UTC"))
    return folder.parent


def _sandbox_usable() -> bool:
    from d2lblocks_grade.kernel.jail import SandboxUnavailable, check_host
    try:
        check_host()
    except SandboxUnavailable as reason:
        print(f"note for the instructor: grading without the bubblewrap sandbox ({reason})")
        return False
    return True


def grade(root: Path, course_dir: Path, assignment: str) -> dict:
    """Grade the one submission under `root`; the results.json to write."""
    started = time.monotonic()
    course = load_course(course_dir, assignment, prepared=True)
    student, due, submitted = student_and_due(read_metadata(root))
    if not any((root / "submission").rglob("*.ipynb")):
        return {"score": 0.0, "output": NO_NOTEBOOK.format(notebook=course.notebook_name), "tests": [],
                "visibility": "visible", "stdout_visibility": "hidden"}
    with tempfile.TemporaryDirectory(prefix="d2lblocks-gradescope-") as scratch:
        work = Path(scratch)
        subs = scratch_class(root, work, student, submitted)
        opts = Options(subs, work / "out", course_dir, assignment, workers=1,
                       db_url=f"sqlite:///{work / 'gradebook.db'}", progress=False,
                       unsafe_no_sandbox=not _sandbox_usable(), due=due)
        opts.limits = Limits(cell_timeout_s=cell_timeout(None, opts.settings))
        autograde(opts, course)
        with GradebookWriter(opts.database, course) as gb:
            rows, students = gb.rows(), gb.students()
    info = students.get(student, {})
    return results_json([r for r in rows if r["student"] == student], info, course.master, course.markers,
                        hidden_test_lines(course.master, course.markers), time.monotonic() - started)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--root", default="/autograder", help="Gradescope's /autograder (default: %(default)s)")
    parser.add_argument("--course", required=True, help="the bundle's course folder")
    parser.add_argument("--assignment", required=True)
    args = parser.parse_args(argv)
    logging.basicConfig(format="d2lblocks-grade: %(levelname)s: %(message)s", level=logging.WARNING)
    root = Path(args.root)
    try:
        results = grade(root, Path(args.course), args.assignment)
        code = 0
    except Exception as error:  # Gradescope shows a failed autograder as an error page: say what happened
        traceback.print_exc(file=sys.stdout)
        results = {"score": 0.0, "output": GRADER_FAILED.format(error=f"{type(error).__name__}: {error}"),
                   "tests": [], "visibility": "visible", "stdout_visibility": "hidden"}
        code = 1
    write_atomic(root / "results" / "results.json", json.dumps(results, indent=1).encode())
    return code


if __name__ == "__main__":
    sys.exit(main())
