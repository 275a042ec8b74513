"""Test the tests: grade a bank of known-wrong and known-right answers as the course is graded.

Every ``wrong_*`` answer must lose points on some test of its exercise, with a
teaching message (an ``AssertionError`` that says what is wrong); every
``right_*`` answer and the instructor's solution must earn every point; and no
answer may cost another exercise of the same notebook any points.

``--grader trusted`` (the default when the assignment's notebook names a verifier) grades each
submission the way ``d2lblocks-grade autograde`` does in trusted mode: sandboxed kernels send plain
data, the course's judges decide (`audit.trusted`). ``--grader stock`` (the default otherwise) runs
stock ``nbgrader generate_assignment`` and ``autograde`` on copies of the course (`audit.stock_nbgrader`).

Run it as ``d2lblocks-grade audit`` or ``python -m d2lblocks_grade.audit.run``::

    $ python -m d2lblocks_grade.audit.run --course exercises
    ex1_sequential: 13 bank answers, tests ex1_forward, ex1_parameters, ...

Or from Python::

    >>> report = run_audit(Path("exercises"))     # doctest: +SKIP
    >>> report.ok                                  # doctest: +SKIP
    True
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Protocol

import nbformat

from d2lblocks_grade.audit.bank import (
    check_cells,
    exercise_of,
    fill_release,
    graded_test_ids,
    instructor_solutions,
    load_bank,
    submissions,
)
from d2lblocks_grade.audit.report import AnswerResult, AuditReport, format_table, to_json
from d2lblocks_grade.audit.stock_nbgrader import NOT_EMPTY, CellScore, CourseCopy, StockGrader
from d2lblocks_grade.course.locate import ASSIGNMENT_HELP, assignment_id, course_dir
from d2lblocks_grade.verify.course_verifier import VerifierError, verifier_name

# Submissions graded side by side, each in a kernel of its own; two keep both cores of a small CI machine busy.
DEFAULT_JOBS = 2
GRADERS = TRUSTED, STOCK = "trusted", "stock"
BAD_GRADER = ("--grader must be 'trusted' (the project's trusted mode: verdicts decided outside the kernel, for an "
              "assignment with a verifier) or 'stock' (stock nbgrader autograde), got {value!r}")
BROKEN_VERIFIER = "; to audit the notebook's own tests meanwhile, pass --grader stock"


def run_audit(course: Path | None = None, bank: Path | None = None, assignment: str | None = None,
              work_dir: Path | None = None, jobs: int = DEFAULT_JOBS, grader: str | None = None) -> AuditReport:
    """Grade the bank (default: ``<course>/audit``) against the assignment and return what the tests did.

    ``grader``: ``"trusted"`` grades each submission as ``d2lblocks-grade autograde`` does in trusted
    mode (`audit.trusted`), ``jobs`` sandboxed kernels at a time; ``"stock"`` shares the submissions out
    over ``jobs`` course copies graded by stock ``nbgrader autograde`` (`audit.stock_nbgrader`). None:
    trusted when the assignment's notebook names a verifier, else stock. ``work_dir`` keeps what was graded.
    """
    started = time.monotonic()
    if grader not in (None, *GRADERS):
        raise ValueError(BAD_GRADER.format(value=grader))
    course = course_dir(course)
    assignment = assignment_id(course, assignment)
    if work_dir is not None and Path(work_dir).is_dir() and any(Path(work_dir).iterdir()):
        raise ValueError(NOT_EMPTY.format(path=work_dir))
    answers = load_bank(Path(bank) if bank else course / "audit")
    name, source = CourseCopy(course).source(assignment)
    check_cells(answers, source)
    solutions = instructor_solutions(source)
    plans = submissions(answers, solutions)
    kind = grader or (TRUSTED if verifier_name(source) else STOCK)
    with tempfile.TemporaryDirectory(prefix="d2lblocks-audit-") as scratch:
        base = Path(work_dir) if work_dir else Path(scratch)
        chosen = _grader(kind, course, assignment, name, base, min(jobs, len(plans)), explicit=grader is not None)
        release = chosen.release()
        graded = chosen.grade({_student(k): fill_release(release, {
            cell: (answer.source if answer else solutions[cell]) for cell, answer in plan.items()})
            for k, plan in enumerate(plans)})
    tests = graded_test_ids(source)
    results: list[AnswerResult] = []
    cascades: list[str] = []
    for k, plan in enumerate(plans):
        scores = graded[_student(k)]
        bank_exercises = {exercise_of(cell) for cell, answer in plan.items() if answer}
        for cell, answer in plan.items():
            own = tuple(scores[t] for t in tests if exercise_of(t) == exercise_of(cell) and t in scores)
            if cell in answers and (answer is not None or k == 0):
                results.append(AnswerResult(cell, answer, own))
            elif answer is None and k > 0 and exercise_of(cell) not in bank_exercises:
                cascades += [f"{_student(k)}: {s.grade_id} lost points although exercise {exercise_of(cell)} had the "
                             f"instructor's answer ({s.message or s.error})" for s in own if not s.passed]
    results.sort(key=lambda r: (list(answers).index(r.cell) if r.cell in answers else len(answers),
                                r.answer is not None, not r.correct, r.name))
    return AuditReport(tuple(results), tuple(dict.fromkeys(cascades)), time.monotonic() - started, chosen.label)


class Grader(Protocol):
    """What the audit needs of a grader: the student release, then every submission's test scores."""

    label: str  # which grader ran, for the table

    def release(self) -> nbformat.NotebookNode: ...

    def grade(self, notebooks: dict[str, nbformat.NotebookNode]) -> dict[str, dict[str, CellScore]]: ...


def _grader(kind: str, course: Path, assignment: str, name: str, where: Path, jobs: int, explicit: bool) -> Grader:
    if kind == STOCK:
        return StockGrader(course, assignment, name, where, jobs)
    from d2lblocks_grade.audit.trusted import TrustedGrader  # imports the grading pipeline: only when used
    from d2lblocks_grade.course.master import load_course
    try:
        loaded = load_course(course, assignment)
    except VerifierError as error:
        raise VerifierError(f"{error}{'' if explicit else BROKEN_VERIFIER}") from None
    return TrustedGrader(loaded, where, jobs)


def _student(k: int) -> str:
    return f"audit-{k:02d}"


def main(argv: list[str] | None = None) -> int:
    """Print the audit table; exit status 0 when every wrong answer is caught and every right one passes."""
    parser = argparse.ArgumentParser(prog="d2lblocks-grade audit", description=__doc__.split("\n\n")[0])
    parser.add_argument("--course", type=Path, help="nbgrader course folder (default: exercises/ in the current folder)")
    parser.add_argument("--bank", type=Path, default=None, help="answer bank (default: <course>/audit)")
    parser.add_argument("--assignment", help=ASSIGNMENT_HELP)
    parser.add_argument("--keep", type=Path, default=None,
                        help="grade in this (empty or new) folder and keep it, to look at the graded notebooks")
    parser.add_argument("--grader", default=None, metavar="trusted|stock",
                        help="trusted: grade as `d2lblocks-grade autograde` does in trusted mode; stock: stock "
                             "nbgrader autograde (default: trusted when the assignment names a verifier, else stock)")
    parser.add_argument("--jobs", type=int, default=DEFAULT_JOBS,
                        help="submissions graded side by side (default: %(default)s)")
    parser.add_argument("--json", type=Path, default=None, help="also write the results as JSON to this file")
    args = parser.parse_args(argv)
    try:
        if args.jobs < 1:
            raise ValueError(f"--jobs must be at least 1 (one submission at a time), got {args.jobs}.")
        report = run_audit(args.course, args.bank, args.assignment, args.keep, args.jobs, args.grader)
    except (FileNotFoundError, ValueError, RuntimeError) as error:
        print(f"audit: {error}", file=sys.stderr)
        return 2
    print(format_table(report))
    if args.json:
        args.json.write_text(json.dumps(to_json(report), indent=1), encoding="utf-8")
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
