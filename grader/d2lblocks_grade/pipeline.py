"""The coordinator: discover a class's submissions, grade the ones not yet graded, record each once.

Files a run writes under OUT (laid out like an nbgrader course, so formgrader
can be pointed at it):

    OUT/gradebook.db                         nbgrader gradebook (unless --db URL or the course's db_url)
    OUT/autograded/<student>/<assignment>/   the executed notebook (instructor only: has hidden tests)
    OUT/feedback/<student>/<assignment>/     feedback HTML for the student
    OUT/grades.csv, OUT/grade-distribution.svg/.png

The gradebook is, first that applies: ``--db``/``--db-env``/``--db-file``; the course's
``c.CourseDirectory.db_url`` when its nbgrader_config.py sets one (where formgrader and
``nbgrader`` look); ``OUT/gradebook.db``. A student whose grade is committed but whose
feedback page is missing under OUT (a new OUT beside a course gradebook) is graded again.

Example::

    >>> summary = autograde(Options(submissions="subs", out="out"))   # doctest: +SKIP
    >>> print(summary.text())                                          # doctest: +SKIP
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from d2lblocks_grade.course.intake import Submission, discover
from d2lblocks_grade.course.lms_names import CANVAS
from d2lblocks_grade.course.locate import assignment_id, course_dir
from d2lblocks_grade.course.master import (
    Course,
    CourseSettings,
    course_imports,
    course_settings,
    hidden_test_lines,
    load_config,
    load_course,
)
from d2lblocks_grade.datatypes import CellResult, GradeJob, GradeResult, Limits, digest
from d2lblocks_grade.dispatch.local import make_executor, result_of
from d2lblocks_grade.grading.grade_one import precheck
from d2lblocks_grade.grading.inputs import grading_inputs_key
from d2lblocks_grade.kernel.jail import check_host
from d2lblocks_grade.records.atomic import write_atomic
from d2lblocks_grade.records.export import write_grades_csv
from d2lblocks_grade.records.feedback import render_feedback
from d2lblocks_grade.records.gradebook import GradebookWriter, Recorded, intake_info
from d2lblocks_grade.records.late import Lateness, LatePolicy, effective_time, lateness, utc_naive
from d2lblocks_grade.records.report import Summary, histogram_png, histogram_svg, summarize
from d2lblocks_grade.verify.judging import warm_up_judges

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
    due: datetime | None = None  # the assignment's due date (naive UTC), stored in the gradebook

    def __post_init__(self) -> None:
        self.course = course_dir(self.course)
        self.assignment = assignment_id(self.course, self.assignment)
        self._settings: CourseSettings | None = None

    @property
    def out_dir(self) -> Path:
        return Path(self.out).resolve()

    @property
    def settings(self) -> CourseSettings:
        """What the course's nbgrader_config.py sets (read once)."""
        if self._settings is None:
            self._settings = course_settings(load_config(self.course), self.course)
        return self._settings

    @property
    def database(self) -> str:
        """The command line's URL, else the course's db_url, else OUT/gradebook.db (see module docstring)."""
        if self.db_url:
            return self.db_url
        if self.settings.db_url:
            return course_relative(self.settings.db_url, self.course)
        return f"sqlite:///{self.out_dir / 'gradebook.db'}"


def course_relative(db_url: str, course: Path) -> str:
    """A relative SQLite path in nbgrader_config.py is relative to the course folder, where nbgrader runs."""
    prefix = "sqlite:///"
    if db_url.startswith(prefix) and not db_url[len(prefix):].startswith("/") and db_url != "sqlite:///:memory:":
        return prefix + str(course / db_url[len(prefix):])
    return db_url


def cell_timeout(given: float | None, settings: CourseSettings) -> float:
    """--cell-timeout if given, else the course's ExecutePreprocessor.timeout, else 60 s."""
    return given or settings.cell_timeout_s or Limits().cell_timeout_s


def make_job(sub: Submission, course: Course, limits: Limits, sandboxed: bool = True, graded_with: str = "") -> GradeJob:
    # A submission that never reaches a kernel is identified by its problem, so fixing it re-grades.
    ident = digest(sub.notebook_bytes) if sub.notebook_bytes is not None else \
        digest(f"{sub.status}:{sub.reason}".encode())
    return GradeJob(student_id=sub.student_id, notebook_bytes=sub.notebook_bytes,
                    submitted_name=sub.submitted_name, assignment_id=course.assignment_id,
                    master_notebook_bytes=course.master_bytes, assets=course.assets, limits=limits,
                    submission_digest=ident, notebook_name=course.notebook_name,
                    submitted_at=sub.submitted_at, intake_status=sub.status, intake_reason=sub.reason,
                    markers=course.markers, sandboxed=sandboxed, verifier=course.verifier, language=course.language,
                    graded_with=graded_with)


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


def feedback_path(out: Path, course: Course, student_id: str) -> Path:
    stem = course.notebook_name[: -len(".ipynb")]
    return out / "feedback" / student_id / course.assignment_id / f"{stem}.html"


def write_student_files(out: Path, course: Course, result: GradeResult, hidden: list[str],
                        late: Lateness | None = None) -> None:
    """The executed notebook and the feedback page, each written atomically before the commit."""
    if result.executed_notebook_bytes:
        write_atomic(out / "autograded" / result.student_id / course.assignment_id / course.notebook_name,
                      result.executed_notebook_bytes)
    page, leaks = render_feedback(result, hidden, course.markers, late=late)
    if leaks:
        result.findings.append(f"feedback redacted {len(leaks)} hidden-test line(s) the notebook printed")
    write_atomic(feedback_path(out, course, result.student_id), page.encode())


def assess(sub: Submission | None, due: datetime | None, policy: LatePolicy, student_id: str,
           score: float) -> Lateness:
    """When `sub` counts as submitted (see records.late for the order of evidence) and its penalty."""
    if sub is None or sub.notebook_bytes is None:
        return Lateness(due=due, policy=policy.name)
    canvas_late = sub.lms.late if sub.lms is not None and sub.lms.lms == CANVAS else None
    submitted, source = effective_time(utc_naive(sub.submitted_at), sub.time_source, canvas_late, due)
    return lateness(due, submitted, source, policy, student_id, score)


def _student_due(gb: GradebookWriter, due: datetime | None, student_id: str) -> datetime | None:
    extension = gb.extension(student_id)
    return due + extension if due is not None and extension is not None else due


def _score_with_manual(result: GradeResult, manual: dict[str, float]) -> float:
    return sum(manual.get(c.grade_id, c.score or 0.0) for c in result.cells)


def _commit(out: Path, course: Course, gb: GradebookWriter, result: GradeResult, hidden: list[str],
            failures: list[str], policy: LatePolicy | None = None, sub: Submission | None = None,
            due: datetime | None = None, graded_with: str = "") -> None:
    """Record one student; a failure is reported and the run goes on (that student is graded on the next run)."""
    try:
        policy = policy or LatePolicy.none()
        score = _score_with_manual(result, gb.manual_scores(result.student_id))
        late = assess(sub, _student_due(gb, due, result.student_id), policy, result.student_id, score)
        write_student_files(out, course, result, hidden, late)
        intake = intake_info(sub.lms if sub else None, late) if sub is not None else None
        gb.record(result, late, intake, graded_with)  # the commit is the moment this student counts as done
    except Exception as error:  # a database or disk error must not cost the rest of the class
        log.error("could not record %s: %s: %s", result.student_id, type(error).__name__, error)
        failures.append(result.student_id)


def stored_result(out: Path, course: Course, student: str, info: dict, rows: list[dict]) -> GradeResult:
    """A recorded student's result rebuilt from the gradebook and OUT/autograded (no kernel)."""
    cells = [CellResult(**{k: r[k] for k in ("grade_id", "score", "max_score", "status", "reason", "kind")})
             for r in rows if r["student"] == student]
    executed = out / "autograded" / student / course.assignment_id / course.notebook_name
    return GradeResult(student, course.assignment_id, info["status"], info["reason"], cells,
                       executed.read_bytes() if executed.exists() else None, language=course.language)


def stored_lateness(info: dict, policy: LatePolicy, student: str, score: float) -> Lateness:
    """A recorded student's lateness, its penalty computed again from `score` (hand grades included)."""
    seconds = float(info.get("seconds_late") or 0.0)
    return Lateness(info.get("due"), info.get("submitted_at"), info.get("time_source", ""), seconds,
                    policy.penalty(student, score, seconds), policy.name)


def refresh_penalties(gb: GradebookWriter, policy: LatePolicy) -> dict[str, Lateness]:
    """Every recorded student's lateness with the penalty of their current score (hand grades count);
    penalties that changed are stored."""
    rows, students = gb.rows(), gb.students()
    scores: dict[str, float] = {}
    for row in rows:
        scores[row["student"]] = scores.get(row["student"], 0.0) + (row["score"] or 0.0)
    out = {}
    for student, info in students.items():
        late = stored_lateness(info, policy, student, scores.get(student, 0.0))
        if late.penalty != info["late_penalty"]:
            gb.update_lateness(student, late)
        out[student] = late
    return out


def _retime_unchanged(out: Path, course: Course, gb: GradebookWriter, subs: list[Submission], graded: set[str],
                      due: datetime | None, policy: LatePolicy, hidden: list[str]) -> None:
    """Students not graded again whose lateness changed (a new due date, a new timestamp.txt): store the
    new time and penalty, and write their page again from what is recorded."""
    students, rows = gb.students(), gb.rows()
    for sub in subs:
        info = students.get(sub.student_id)
        if sub.student_id in graded or info is None or sub.notebook_bytes is None:
            continue
        score = sum(r["score"] or 0.0 for r in rows if r["student"] == sub.student_id)
        late = assess(sub, _student_due(gb, due, sub.student_id), policy, sub.student_id, score)
        if late.key() == info.get("lateness_key"):
            continue
        write_student_files(out, course, stored_result(out, course, sub.student_id, info, rows), hidden, late)
        gb.update_lateness(sub.student_id, late, intake_info(sub.lms, late))


def write_reports(out: Path, gb: GradebookWriter, policy: LatePolicy | None = None) -> Summary:
    late = refresh_penalties(gb, policy or LatePolicy.none())
    rows, students = gb.rows(), gb.students()
    write_grades_csv(rows, out / "grades.csv", students)
    summary = summarize(rows, students, {s: lt.penalty for s, lt in late.items()})
    totals = list(summary.totals.values())
    write_atomic(out / "grade-distribution.svg", histogram_svg(totals, summary.max_total).encode())
    write_atomic(out / "grade-distribution.png", histogram_png(totals, summary.max_total))
    return summary


def autograde(opts: Options, course: Course | None = None) -> Summary:
    """Grade every submission not yet committed (all of them with `regrade`); see module docstring.

    `course`: the course already loaded (e.g. a Gradescope bundle's prepared master); else read from opts.
    """
    if opts.submissions is None:
        raise ValueError("autograde needs the SUBMISSIONS folder (or zip) to grade")
    if opts.unsafe_no_sandbox:
        log.warning(UNSAFE_WARNING)
    elif opts.scheduler is None:
        check_host()  # before anything is written: refuse to grade without the sandbox, and say why
    course = course or load_course(opts.course, opts.assignment)
    policy = LatePolicy.from_config(course.config, course.root)
    subs = discover(opts.submissions, course.assignment_id)
    out = opts.out_dir
    out.mkdir(parents=True, exist_ok=True)
    if opts.progress:
        for sub in subs:
            for note in sub.notes:
                log.info("note: %s", note)
    hidden = hidden_test_lines(course.master, course.markers)
    with GradebookWriter(opts.database, course) as gb:
        if opts.due is not None:
            gb.set_due(opts.due)
        due = gb.due()
        done = {} if opts.regrade or opts.students else gb.done()
        if opts.students:
            unknown = sorted(set(opts.students) - {s.student_id for s in subs})
            if unknown:
                raise ValueError(UNKNOWN_STUDENT.format(names=", ".join(unknown), path=opts.submissions))
            subs = [s for s in subs if s.student_id in opts.students]
        by_student = {s.student_id: s for s in subs}
        key = grading_inputs_key(course, opts.limits, not opts.unsafe_no_sandbox)
        jobs = [make_job(s, course, opts.limits, not opts.unsafe_no_sandbox, key) for s in subs]
        todo = [j for j in jobs if done.get(j.student_id) != Recorded(j.submission_digest, key)
                or not feedback_path(out, course, j.student_id).exists()]
        # Same submission, graded before by other tests, limits or grader code: the instructor should hear of it.
        inputs_changed = [j.student_id for j in todo if (was := done.get(j.student_id)) is not None
                          and was.digest == j.submission_digest and was.graded_with != key]
        graded = {j.student_id for j in todo}
        progress = Progress(len(todo), opts.progress)
        failures: list[str] = []

        def commit(result: GradeResult) -> None:
            _commit(out, course, gb, result, hidden, failures, policy, by_student.get(result.student_id), due, key)

        for job in list(todo):
            result = precheck(job)  # no kernel needed to say a file is empty or missing
            if result is not None:
                commit(result)
                progress.update(result)
                todo.remove(job)
        if todo:
            if course.verifier is not None and not opts.scheduler:
                # The judges compute with torch in this process: its one-off first calls (about a second)
                # happen while the first kernels start, not while the first verdict waits.
                threading.Thread(target=warm_up_judges, name="warm-judges", daemon=True).start()
            executor = make_executor(opts.workers, opts.scheduler, warm_modules=course_imports(course.master),
                                     memory_bytes=opts.limits.memory_bytes, sandboxed=not opts.unsafe_no_sandbox)
            try:
                futures = {executor.submit(job): job for job in todo}
                for future in executor.as_completed(futures):
                    result = result_of(future, futures[future])
                    commit(result)
                    progress.update(result)
            finally:
                executor.close()
                progress.close()
        _retime_unchanged(out, course, gb, subs, graded, due, policy, hidden)
        summary = write_reports(out, gb, policy)
        summary.regraded_inputs_changed = len(inputs_changed)
    if failures:
        raise RuntimeError(NOT_RECORDED.format(count=len(failures), names=", ".join(failures[:10])))
    return summary
