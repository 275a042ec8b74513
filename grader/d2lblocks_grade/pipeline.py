"""The coordinator: discover a class's submissions, grade the ones not yet graded, record each once.

Files a run writes under OUT (laid out like an nbgrader course, so formgrader
can be pointed at it):

    OUT/gradebook.db                         nbgrader gradebook (unless --db URL)
    OUT/autograded/<student>/<assignment>/   the executed notebook (instructor only: has hidden tests)
    OUT/feedback/<student>/<assignment>/     feedback HTML for the student
    OUT/grades.csv, OUT/grade-distribution.svg/.png

Example::

    >>> summary = autograde(Options(submissions="subs", out="out"))   # doctest: +SKIP
    >>> print(summary.text())                                          # doctest: +SKIP
"""

from __future__ import annotations

import logging
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from d2lblocks_grade.course.intake import Submission, discover
from d2lblocks_grade.course.locate import assignment_id, course_dir
from d2lblocks_grade.course.master import Course, course_imports, hidden_test_lines, load_course
from d2lblocks_grade.datatypes import GradeJob, GradeResult, Limits, digest
from d2lblocks_grade.dispatch.local import make_executor, result_of
from d2lblocks_grade.grading.grade_one import precheck
from d2lblocks_grade.kernel.jail import check_host
from d2lblocks_grade.records.atomic import write_atomic
from d2lblocks_grade.records.export import write_grades_csv
from d2lblocks_grade.records.feedback import render_feedback
from d2lblocks_grade.records.gradebook import GradebookWriter
from d2lblocks_grade.records.report import Summary, histogram_png, histogram_svg, summarize

NOT_RECORDED = ("{count} student(s) could not be recorded ({names}); the others are. Run the same command "
                "again to grade just those (see the errors above)")
UNKNOWN_STUDENT = ("no submission for {names} in {path}; --student takes the folder (or file) name of a "
                   "student's submission, e.g. --student alice for {path}/alice/")

log = logging.getLogger(__name__)
UNSAFE_WARNING = ("--unsafe-no-sandbox: submissions run WITHOUT the OS sandbox. A submission can read what the "
                  "grader's user can read (solutions, other students' work, the gradebook) and reach the "
                  "network. Use it only for a class you trust.")


@dataclass
class Options:
    submissions: str | Path | None  # None: commands that only read OUT
    out: str | Path = "grading-out"
    # None: ./exercises and the course's only assignment, resolved in __post_init__ (see course.locate).
    course: Path = None  # type: ignore[assignment]
    assignment: str = None  # type: ignore[assignment]
    workers: int | None = None
    db_url: str | None = None
    scheduler: str | None = None
    limits: Limits = field(default_factory=Limits)
    regrade: bool = False  # grade again even students whose submission is unchanged
    students: tuple[str, ...] = ()  # only these students, graded again even if unchanged
    progress: bool = True
    # Trusted classes only: no OS sandbox, just rlimits and sweeps (see the README's threat model).
    unsafe_no_sandbox: bool = False

    def __post_init__(self) -> None:
        self.course = course_dir(self.course)
        self.assignment = assignment_id(self.course, self.assignment)

    @property
    def out_dir(self) -> Path:
        return Path(self.out).resolve()

    @property
    def database(self) -> str:
        return self.db_url or f"sqlite:///{self.out_dir / 'gradebook.db'}"


def make_job(sub: Submission, course: Course, limits: Limits, sandboxed: bool = True) -> GradeJob:
    # A submission that never reaches a kernel is identified by its problem, so fixing it re-grades.
    ident = digest(sub.notebook_bytes) if sub.notebook_bytes is not None else \
        digest(f"{sub.status}:{sub.reason}".encode())
    return GradeJob(student_id=sub.student_id, notebook_bytes=sub.notebook_bytes,
                    submitted_name=sub.submitted_name, assignment_id=course.assignment_id,
                    master_notebook_bytes=course.master_bytes, assets=course.assets, limits=limits,
                    submission_digest=ident, notebook_name=course.notebook_name,
                    submitted_at=sub.submitted_at, intake_status=sub.status, intake_reason=sub.reason,
                    markers=course.markers, sandboxed=sandboxed)


class Progress:
    """A one-line progress bar on stderr (a line per student when stderr is not a terminal)."""

    def __init__(self, total: int, enabled: bool = True):
        self.total, self.done, self.enabled = total, 0, enabled
        self.tty, self.started = sys.stderr.isatty(), time.monotonic()

    def update(self, result: GradeResult) -> None:
        self.done += 1
        if not self.enabled:
            return
        width = 24
        filled = int(width * self.done / max(self.total, 1))
        line = (f"[{'#' * filled}{'.' * (width - filled)}] {self.done}/{self.total} "
                f"{time.monotonic() - self.started:5.1f}s  {result.student_id}: {result.status} "
                f"{result.score:g}/{result.max_score:g}")
        print(("\r" + line.ljust(90)) if self.tty else line, end="" if self.tty else "\n",
              file=sys.stderr, flush=True)

    def close(self) -> None:
        if self.enabled and self.tty:
            print(file=sys.stderr)


def write_student_files(out: Path, course: Course, result: GradeResult, hidden: list[str]) -> None:
    """The executed notebook and the feedback page, each written atomically before the commit."""
    stem = course.notebook_name[: -len(".ipynb")]
    if result.executed_notebook_bytes:
        write_atomic(out / "autograded" / result.student_id / course.assignment_id / course.notebook_name,
                      result.executed_notebook_bytes)
    page, leaks = render_feedback(result, hidden, course.markers)
    if leaks:
        result.findings.append(f"feedback redacted {len(leaks)} hidden-test line(s) the notebook printed")
    write_atomic(out / "feedback" / result.student_id / course.assignment_id / f"{stem}.html", page.encode())


def _commit(out: Path, course: Course, gb: GradebookWriter, result: GradeResult, hidden: list[str],
            failures: list[str]) -> None:
    """Record one student; a failure is reported and the run goes on (that student is graded on the next run)."""
    try:
        write_student_files(out, course, result, hidden)
        gb.record(result)  # the commit is the moment this student counts as done
    except Exception as error:  # a database or disk error must not cost the rest of the class
        log.error("could not record %s: %s: %s", result.student_id, type(error).__name__, error)
        failures.append(result.student_id)


def write_reports(out: Path, gb: GradebookWriter) -> Summary:
    rows, students = gb.rows(), gb.students()
    write_grades_csv(rows, out / "grades.csv")
    summary = summarize(rows, students)
    totals = list(summary.totals.values())
    write_atomic(out / "grade-distribution.svg", histogram_svg(totals, summary.max_total).encode())
    write_atomic(out / "grade-distribution.png", histogram_png(totals, summary.max_total))
    return summary


def autograde(opts: Options) -> Summary:
    """Grade every submission not yet committed (all of them with `regrade`); see module docstring."""
    if opts.submissions is None:
        raise ValueError("autograde needs the SUBMISSIONS folder (or zip) to grade")
    if opts.unsafe_no_sandbox:
        log.warning(UNSAFE_WARNING)
    elif opts.scheduler is None:
        check_host()  # before anything is written: refuse to grade without the sandbox, and say why
    course = load_course(opts.course, opts.assignment)
    subs = discover(opts.submissions, course.assignment_id)
    out = opts.out_dir
    out.mkdir(parents=True, exist_ok=True)
    if opts.progress:
        for sub in subs:
            for note in sub.notes:
                log.info("note: %s", note)
    hidden = hidden_test_lines(course.master, course.markers)
    with GradebookWriter(opts.database, course) as gb:
        done = {} if opts.regrade or opts.students else gb.done()
        if opts.students:
            unknown = sorted(set(opts.students) - {s.student_id for s in subs})
            if unknown:
                raise ValueError(UNKNOWN_STUDENT.format(names=", ".join(unknown), path=opts.submissions))
            subs = [s for s in subs if s.student_id in opts.students]
        jobs = [make_job(s, course, opts.limits, not opts.unsafe_no_sandbox) for s in subs]
        todo = [j for j in jobs if done.get(j.student_id) != j.submission_digest]
        progress = Progress(len(todo), opts.progress)
        failures: list[str] = []
        for job in list(todo):
            result = precheck(job)  # no kernel needed to say a file is empty or missing
            if result is not None:
                _commit(out, course, gb, result, hidden, failures)
                progress.update(result)
                todo.remove(job)
        if todo:
            executor = make_executor(opts.workers, opts.scheduler, warm_modules=course_imports(course.master),
                                     memory_bytes=opts.limits.memory_bytes, sandboxed=not opts.unsafe_no_sandbox)
            try:
                futures = {executor.submit(job): job for job in todo}
                for future in executor.as_completed(futures):
                    result = result_of(future, futures[future])
                    _commit(out, course, gb, result, hidden, failures)
                    progress.update(result)
            finally:
                executor.close()
                progress.close()
        summary = write_reports(out, gb)
    if failures:
        raise RuntimeError(NOT_RECORDED.format(count=len(failures), names=", ".join(failures[:10])))
    return summary
