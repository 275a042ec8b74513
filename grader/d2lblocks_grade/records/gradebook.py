"""The one writer of the gradebook: nbgrader's own schema, one transaction per student.

Grades go into nbgrader's tables (so `nbgrader formgrader` and `nbgrader
export` keep working) and, in the same transaction, a row in our table
`d2lblocks_result` with the submission's digest and every cell's status and
reason. A student counts as done exactly when that transaction committed, so
a grader killed at any instant loses at most the students in flight, and a
re-run grades exactly those. Hand-entered scores (`manual_score`, e.g. for the
written answer) are never touched.

Times and penalties live where nbgrader keeps them: the assignment's due date in
``Assignment.duedate``, the counted submission time in ``SubmittedAssignment.timestamp``
(nbgrader's ``total_seconds_late`` then includes any extension granted in formgrader),
the penalty in ``SubmittedNotebook.late_submission_penalty``. Who the LMS says a
student is goes into ``Student.lms_user_id``, plus our table ``d2lblocks_submission``
(LMS, its name for the student, where the time came from).

SQLite by default (with a busy timeout); any SQLAlchemy URL works, e.g.
``postgresql://user@/grades?host=/run/postgresql``.

Example::

    >>> with GradebookWriter("sqlite:///out/gradebook.db", course) as gb:   # doctest: +SKIP
    ...     gb.record(result, graded_with=key)
    ...     gb.done()["alice"]
    Recorded(digest='a3f1...', graded_with='9c0e...')
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta, timezone

from alembic.script import ScriptDirectory
from nbgrader.api import Assignment, Base, Comment, Grade, Gradebook, Student, SubmittedAssignment, SubmittedNotebook
from nbgrader.dbutil import ALEMBIC_DIR
from nbgrader.preprocessors import SaveCells
from sqlalchemy import (
    Column,
    DateTime,
    Float,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    delete,
    insert,
    inspect,
    select,
    text,
)

from d2lblocks_grade.course.lms_names import LmsName
from d2lblocks_grade.course.master import Course
from d2lblocks_grade.datatypes import CellResult, GradeResult
from d2lblocks_grade.nbgrader_cli import tools_bin, tools_env
from d2lblocks_grade.records.late import Lateness

SQLITE_BUSY_TIMEOUT_S = 60
CHANGED_ASSIGNMENT = ("The gradebook already holds graded submissions for {assignment}, and the course's "
                      "notebook now has different graded cells ({error}). Grade into a new gradebook "
                      "(--out NEWDIR or --db URL), or restore the notebook the class was graded with.")

_meta = MetaData()
RESULTS = Table(
    "d2lblocks_result", _meta,
    Column("assignment_id", String(128), primary_key=True),
    Column("student_id", String(128), primary_key=True),
    Column("digest", String(64), nullable=False),
    # grading.inputs.grading_inputs_key of the run that graded it: a fixed test makes the grade stale.
    Column("graded_with", String(64), nullable=False, default=""),
    Column("status", String(32), nullable=False),
    Column("reason", Text, nullable=False, default=""),
    Column("cells", Text, nullable=False),  # JSON list of CellResult (sources removed)
    Column("findings", Text, nullable=False, default="[]"),
    Column("submitted_name", Text, nullable=False, default=""),
    Column("duration_s", Float, nullable=False, default=0.0),
    Column("graded_at", DateTime, nullable=False),
)



@dataclass(frozen=True)
class Recorded:
    """What a committed grade was decided from: the submission's digest and the grading inputs' key."""

    digest: str
    graded_with: str


SUBMISSIONS = Table(
    "d2lblocks_submission", _meta,
    Column("assignment_id", String(128), primary_key=True),
    Column("student_id", String(128), primary_key=True),
    Column("info", Text, nullable=False, default="{}"),  # JSON: lms, lms_name, time_source, lms_late
)


def with_busy_timeout(db_url: str) -> str:
    """SQLite URLs get a busy timeout, so a formgrader session reading the file never fails a commit.

    A bare ``postgresql://`` URL is pointed at psycopg2 (the driver the `grade` extra installs),
    since SQLAlchemy 2.1 otherwise looks for psycopg 3.
    """
    if db_url.startswith("postgresql://") or db_url.startswith("postgres://"):
        try:
            import psycopg  # noqa: F401  (psycopg 3 present: SQLAlchemy's default is fine)
        except ImportError:
            return "postgresql+psycopg2://" + db_url.split("://", 1)[1]
    if db_url.startswith("sqlite:") and "timeout=" not in db_url:
        return db_url + ("&" if "?" in db_url else "?") + f"timeout={SQLITE_BUSY_TIMEOUT_S}"
    return db_url


def _tools_on_path() -> None:
    """nbgrader runs the `alembic` program when it creates a gradebook; find it next to this Python."""
    if tools_bin() not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = tools_env()["PATH"]


def prepare_database(db_url: str) -> None:
    """Create nbgrader's tables and alembic stamp in a new database, as `Gradebook` would.

    nbgrader finds its schema version by running the `alembic` program (seconds
    of start-up); reading the head revision in-process gives the same stamp.
    """
    engine = create_engine(db_url)
    try:
        with engine.begin() as conn:
            if inspect(conn).get_table_names():
                return
            Base.metadata.create_all(conn)
            head = ScriptDirectory(ALEMBIC_DIR).get_current_head()
            conn.execute(text("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)"))
            conn.execute(text("INSERT INTO alembic_version (version_num) VALUES (:v)"), {"v": head})
    finally:
        engine.dispose()


class GradebookWriter:
    """Records `GradeResult`s for one assignment. Use from the coordinator only."""

    def __init__(self, db_url: str, course: Course):
        _tools_on_path()
        self.db_url = with_busy_timeout(db_url)
        prepare_database(self.db_url)
        self.course = course
        self.notebook_id = course.notebook_name[: -len(".ipynb")]
        course_id = course.settings.course_id
        self._register_assignment(course_id)
        self.gb = Gradebook(self.db_url, course_id)
        _meta.create_all(self.gb.engine)
        _add_missing_columns(self.gb.engine)

    def _register_assignment(self, course_id: str) -> None:
        with Gradebook(self.db_url, course_id) as gb:
            gb.update_or_create_assignment(self.course.assignment_id)
        resources = {"nbgrader": {"db_url": self.db_url, "assignment": self.course.assignment_id,
                                  "notebook": self.notebook_id}}
        try:
            SaveCells().preprocess(self.course.master, resources)
        except RuntimeError as err:
            raise RuntimeError(CHANGED_ASSIGNMENT.format(assignment=self.course.assignment_id,
                                                         error=err)) from None

    def __enter__(self) -> GradebookWriter:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self.gb.close()
        self.gb.engine.dispose()

    def done(self) -> dict[str, Recorded]:
        """student_id -> what the committed grade was decided from (submission digest, grading inputs' key)."""
        rows = self.gb.db.execute(select(RESULTS.c.student_id, RESULTS.c.digest, RESULTS.c.graded_with)
                                  .where(RESULTS.c.assignment_id == self.course.assignment_id))
        done = {r.student_id: Recorded(r.digest, r.graded_with) for r in rows}
        self.gb.db.rollback()  # end the read transaction; SQLite readers must not pin the file
        return done

    def _submission(self, student_id: str) -> SubmittedAssignment:
        db = self.gb.db
        if db.get(Student, student_id) is None:
            db.add(Student(id=student_id))
        sub = (db.query(SubmittedAssignment).join(Assignment)
               .filter(Assignment.name == self.course.assignment_id,
                       SubmittedAssignment.student_id == student_id).one_or_none())
        if sub is not None:
            return sub
        # nbgrader's Gradebook.add_submission, minus its commit: the whole student is one transaction.
        assignment = db.query(Assignment).filter(Assignment.name == self.course.assignment_id).one()
        with db.no_autoflush:
            sub = SubmittedAssignment(assignment=assignment, student_id=student_id)
            db.add(sub)
            for notebook in assignment.notebooks:
                nb = SubmittedNotebook(notebook=notebook, assignment=sub)
                rows = [nb] + [Grade(cell_id=cell.id, notebook=nb) for cell in notebook.grade_cells]
                rows += [Comment(cell_id=cell.id, notebook=nb) for cell in notebook.solution_cells]
                for cell in notebook.task_cells:
                    rows += [Comment(cell_id=cell.id, notebook=nb), Grade(cell_id=cell.id, notebook=nb)]
                db.add_all(rows)
        return sub

    def due(self) -> datetime | None:
        """The assignment's due date in the gradebook (naive UTC), or None."""
        assignment = self.gb.db.query(Assignment).filter(Assignment.name == self.course.assignment_id).one()
        due = assignment.duedate
        self.gb.db.rollback()
        return due

    def set_due(self, due: datetime) -> None:
        """Store the assignment's due date (naive UTC), as `nbgrader db assignment add --duedate` does."""
        self.gb.update_or_create_assignment(self.course.assignment_id, duedate=due)

    def extension(self, student_id: str) -> timedelta | None:
        """The extension formgrader granted `student_id` on this assignment, if any."""
        sub = (self.gb.db.query(SubmittedAssignment).join(Assignment)
               .filter(Assignment.name == self.course.assignment_id,
                       SubmittedAssignment.student_id == student_id).one_or_none())
        extension = sub.extension if sub is not None else None
        self.gb.db.rollback()
        return extension

    def manual_scores(self, student_id: str) -> dict[str, float]:
        """Scores a person entered in formgrader for `student_id` (grade id -> score)."""
        scores = self._manual_scores(student_id)
        self.gb.db.rollback()
        return scores

    def _store_lateness(self, sub: SubmittedAssignment, lateness: Lateness | None) -> None:
        if lateness is not None:
            sub.timestamp = lateness.submitted
        notebook = next(n for n in sub.notebooks if n.name == self.notebook_id)
        notebook.late_submission_penalty = lateness.penalty if lateness is not None and lateness.late else None

    def _store_intake(self, student_id: str, info: dict) -> None:
        key = (SUBMISSIONS.c.assignment_id == self.course.assignment_id) & (SUBMISSIONS.c.student_id == student_id)
        self.gb.db.execute(delete(SUBMISSIONS).where(key))
        self.gb.db.execute(insert(SUBMISSIONS).values(assignment_id=self.course.assignment_id, student_id=student_id,
                                                      info=json.dumps(info)))
        lms_user_id = info.get("lms_user_id")
        if lms_user_id:
            self.gb.db.get(Student, student_id).lms_user_id = lms_user_id

    def record(self, result: GradeResult, lateness: Lateness | None = None, intake: dict | None = None,
               graded_with: str = "") -> None:
        """Commit one student's result atomically; the newest call for a student wins.

        `lateness` is the counted submission time and penalty; `intake` what the LMS said about the
        student (see `intake_info`); `graded_with` the key of what graded it (`grading.inputs`).
        """
        db = self.gb.db
        try:
            sub = self._submission(result.student_id)
            if result.submitted_at:
                sub.timestamp = datetime.fromtimestamp(result.submitted_at, timezone.utc).replace(tzinfo=None)
            db.flush()
            self._store_lateness(sub, lateness)
            if intake is not None:
                self._store_intake(result.student_id, intake)
            notebook = next(n for n in sub.notebooks if n.name == self.notebook_id)
            grades = {g.name: g for g in notebook.grades}
            comments = {c.name: c for c in notebook.comments}
            for cell in result.cells:
                grade = grades.get(cell.grade_id)
                if grade is not None:
                    grade.auto_score = cell.score
                    # as nbgrader's SaveAutoGrades: a hand-entered score stays and asks for review
                    grade.needs_manual_grade = grade.manual_score is not None or cell.score is None
                if cell.kind == "manual" and cell.grade_id in comments:
                    comments[cell.grade_id].auto_comment = "No response." if cell.score == 0 else None
            key = (RESULTS.c.assignment_id == result.assignment_id) & (RESULTS.c.student_id == result.student_id)
            db.execute(delete(RESULTS).where(key))
            db.execute(insert(RESULTS).values(
                assignment_id=result.assignment_id, student_id=result.student_id,
                digest=result.submission_digest, graded_with=graded_with, status=result.status, reason=result.reason,
                cells=json.dumps([_public(c) for c in result.cells]), findings=json.dumps(result.findings),
                submitted_name=result.submitted_name, duration_s=result.duration_s,
                graded_at=datetime.now(timezone.utc).replace(tzinfo=None)))
            db.commit()
        except BaseException:
            db.rollback()
            raise

    def update_lateness(self, student_id: str, lateness: Lateness, intake: dict | None = None) -> None:
        """Store a new submission time and penalty for a student already recorded (one transaction)."""
        db = self.gb.db
        try:
            sub = self._submission(student_id)
            db.flush()
            self._store_lateness(sub, lateness)
            if intake is not None:
                self._store_intake(student_id, intake)
            db.commit()
        except BaseException:
            db.rollback()
            raise

    def rows(self) -> list[dict]:
        """One dict per (student, graded cell), scores as nbgrader reports them (manual wins)."""
        db = self.gb.db
        records = db.execute(select(RESULTS).where(RESULTS.c.assignment_id == self.course.assignment_id)
                             .order_by(RESULTS.c.student_id)).all()
        out = []
        for rec in records:
            manual = self._manual_scores(rec.student_id)
            for cell in json.loads(rec.cells):
                row = {"student": rec.student_id, **cell}
                if cell["grade_id"] in manual:
                    row.update(score=manual[cell["grade_id"]], status="graded", reason="graded by hand")
                out.append(row)
        db.rollback()
        return out

    def students(self) -> dict[str, dict]:
        """student_id -> {status, reason, findings, lms_user_id, lms, lms_name, submitted_at, time_source,
        due, seconds_late, late_penalty} for every recorded student (times naive UTC, as nbgrader keeps them)."""
        db = self.gb.db
        records = db.execute(select(RESULTS).where(RESULTS.c.assignment_id == self.course.assignment_id)
                             .order_by(RESULTS.c.student_id)).all()
        intake = {r.student_id: json.loads(r.info) for r in db.execute(
            select(SUBMISSIONS).where(SUBMISSIONS.c.assignment_id == self.course.assignment_id))}
        subs = {s.student_id: s for s in db.query(SubmittedAssignment).join(Assignment)
                .filter(Assignment.name == self.course.assignment_id)}
        out = {}
        for rec in records:
            student = db.get(Student, rec.student_id)
            sub = subs.get(rec.student_id)
            notebook = next((n for n in sub.notebooks if n.name == self.notebook_id), None) if sub else None
            info = intake.get(rec.student_id, {})
            out[rec.student_id] = {
                "status": rec.status, "reason": rec.reason, "findings": json.loads(rec.findings),
                "lms_user_id": getattr(student, "lms_user_id", None) or "",
                "lms": info.get("lms", ""), "lms_name": info.get("lms_name", ""),
                "time_source": info.get("time_source", ""), "lateness_key": info.get("lateness_key", ""),
                "submitted_at": sub.timestamp if sub is not None else None,
                "due": sub.duedate if sub is not None and sub.assignment.duedate is not None else None,
                "seconds_late": float(sub.total_seconds_late) if sub is not None else 0.0,
                "late_penalty": float(notebook.late_submission_penalty or 0.0) if notebook is not None else 0.0,
            }
        db.rollback()
        return out

    def _manual_scores(self, student_id: str) -> dict[str, float]:
        grades = (self.gb.db.query(Grade).join(SubmittedNotebook).join(SubmittedAssignment).join(Assignment)
                  .filter(Assignment.name == self.course.assignment_id,
                          SubmittedAssignment.student_id == student_id,
                          Grade.manual_score.isnot(None)))
        return {g.name: float(g.manual_score) for g in grades}


def _add_missing_columns(engine) -> None:
    """A gradebook written by an older grader lacks newer columns of our tables: add them (empty), so its grades
    stay readable; an empty `graded_with` matches no key, so those students are graded again once."""
    with engine.begin() as conn:
        have = {c["name"] for c in inspect(conn).get_columns(RESULTS.name)}
        if "graded_with" not in have:
            conn.execute(text(f"ALTER TABLE {RESULTS.name} ADD COLUMN graded_with VARCHAR(64) NOT NULL DEFAULT ''"))


def intake_info(lms: LmsName | None, late: Lateness) -> dict:
    """What `record` keeps about where a submission came from, and the lateness its page shows."""
    info: dict = {"time_source": late.source, "lateness_key": late.key()}
    if lms is not None:
        info.update(lms=lms.lms, lms_user_id=lms.user_id, lms_name=lms.name, lms_late=lms.late)
    return info


def _public(cell: CellResult) -> dict:
    data = asdict(cell)
    data.pop("source", None)  # hidden test text never leaves the coordinator's memory
    return data
