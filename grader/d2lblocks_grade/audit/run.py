"""Test the tests: grade a bank of known-wrong and known-right answers with stock nbgrader.

Every ``wrong_*`` answer must lose points on some test of its exercise, with a
teaching message (an ``AssertionError`` that says what is wrong); every
``right_*`` answer and the instructor's solution must earn every point; and no
answer may cost another exercise of the same notebook any points.

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
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

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
from d2lblocks_grade.audit.stock_nbgrader import NOT_EMPTY, CourseCopy
from d2lblocks_grade.course.locate import assignment_id, course_dir

# Each grader runs one kernel at a time; two keep both cores of a small CI machine busy.
DEFAULT_JOBS = 2


def run_audit(course: Path | None = None, bank: Path | None = None, assignment: str | None = None,
              work_dir: Path | None = None, jobs: int = DEFAULT_JOBS) -> AuditReport:
    """Grade the bank (default: ``<course>/audit``) against the assignment and return what the tests did.

    The submissions are shared out over ``jobs`` course copies (``grader-0``,
    ``grader-1``, ... under ``work_dir``), each graded by its own
    ``nbgrader autograde`` with its own gradebook, side by side.
    """
    started = time.monotonic()
    course = course_dir(course)
    assignment = assignment_id(course, assignment)
    if work_dir is not None and Path(work_dir).is_dir() and any(Path(work_dir).iterdir()):
        raise ValueError(NOT_EMPTY.format(path=work_dir))
    answers = load_bank(Path(bank) if bank else course / "audit")
    with tempfile.TemporaryDirectory(prefix="d2lblocks-audit-") as scratch:
        base = Path(work_dir) if work_dir else Path(scratch)
        first = CourseCopy.make(course, base / "grader-0")
        name, source = first.source(assignment)
        check_cells(answers, source)
        solutions = instructor_solutions(source)
        plans = submissions(answers, solutions)
        graders = [first] + [CourseCopy.make(course, base / f"grader-{g}") for g in range(1, max(1, min(jobs, len(plans))))]
        with ThreadPoolExecutor(len(graders)) as pool:
            release = list(pool.map(lambda grader: grader.generate(assignment), graders))[0]
        for k, plan in enumerate(plans):
            chosen = {cell: (answer.source if answer else solutions[cell]) for cell, answer in plan.items()}
            graders[k % len(graders)].submit(assignment, _student(k), name, fill_release(release, chosen))
        with ThreadPoolExecutor(len(graders)) as pool:
            list(pool.map(lambda grader: grader.autograde(assignment), graders))
        tests = graded_test_ids(source)
        results: list[AnswerResult] = []
        cascades: list[str] = []
        for k, plan in enumerate(plans):
            scores = graders[k % len(graders)].results(assignment, _student(k), name)
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
    return AuditReport(tuple(results), tuple(dict.fromkeys(cascades)), time.monotonic() - started)


def _student(k: int) -> str:
    return f"audit-{k:02d}"


def main(argv: list[str] | None = None) -> int:
    """Print the audit table; exit status 0 when every wrong answer is caught and every right one passes."""
    parser = argparse.ArgumentParser(prog="d2lblocks-grade audit", description=__doc__.split("\n\n")[0])
    parser.add_argument("--course", type=Path, help="nbgrader course folder (default: exercises/ in the current folder)")
    parser.add_argument("--bank", type=Path, default=None, help="answer bank (default: <course>/audit)")
    parser.add_argument("--assignment", help="assignment id (default: the course's only assignment)")
    parser.add_argument("--keep", type=Path, default=None,
                        help="grade in this (empty or new) folder and keep it, to look at the graded notebooks")
    parser.add_argument("--jobs", type=int, default=DEFAULT_JOBS,
                        help="nbgrader processes grading side by side (default: %(default)s)")
    parser.add_argument("--json", type=Path, default=None, help="also write the results as JSON to this file")
    args = parser.parse_args(argv)
    try:
        if args.jobs < 1:
            raise ValueError(f"--jobs must be at least 1 (one nbgrader process), got {args.jobs}.")
        report = run_audit(args.course, args.bank, args.assignment, args.keep, args.jobs)
    except (FileNotFoundError, ValueError, RuntimeError) as error:
        print(f"audit: {error}", file=sys.stderr)
        return 2
    print(format_table(report))
    if args.json:
        args.json.write_text(json.dumps(to_json(report), indent=1), encoding="utf-8")
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
