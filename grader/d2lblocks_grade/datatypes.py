"""The data that travels between the grading coordinator and its workers.

Everything here is a plain, picklable dataclass holding bytes and numbers, so a
job can be graded in this process, in a pool of local processes, or on a Dask
worker on another machine that shares no filesystem with the coordinator.

Example::

    >>> from d2lblocks_grade.datatypes import GradeJob, Limits
    >>> job = GradeJob(student_id="alice", notebook_bytes=b"{}",
    ...                submitted_name="layers-and-blocks.ipynb",
    ...                assignment_id="layers-and-blocks",
    ...                master_notebook_bytes=b"{}", assets={}, limits=Limits())
    >>> job.limits.cell_timeout_s
    60.0
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from d2lblocks_grade.notebook_cells import Markers

# Why a submission or a cell did not get an ordinary grade. `graded` means it
# ran and was scored (a failing test is still `graded`, with score 0).
GRADED = "graded"
TIMEOUT = "timeout"  # a cell ran past its timeout, or the notebook past its wall clock
INVALID = "invalid-notebook"  # not JSON, empty, nbformat 3, not a notebook at all
MISSING = "missing"  # no notebook for this student
AMBIGUOUS = "ambiguous"  # several notebooks and no way to tell which one counts
WRONG_ASSIGNMENT = "wrong-assignment"  # a notebook of another assignment
MISSING_CELL = "missing-cell"  # the answer cell this test needs was deleted or lost its id
TAMPERED = "tampered"  # the submission changed what the tests check
CRASHED = "crashed"  # the kernel died (os._exit, segfault, memory) or the grader failed
NOT_RUN = "not-run"  # an earlier failure stopped the notebook before this cell
NEEDS_GRADING = "needs-grading"  # a written answer waiting for a person in formgrader
USES_REFERENCE = "uses-reference"  # the answer is, wraps or imports the course library's reference
NO_RESPONSE = "no-response"  # the test's probe sent nothing usable back to the grader

STATUSES = (GRADED, TIMEOUT, INVALID, MISSING, AMBIGUOUS, WRONG_ASSIGNMENT,
            MISSING_CELL, TAMPERED, CRASHED, NOT_RUN, NEEDS_GRADING, USES_REFERENCE, NO_RESPONSE)

GiB = 1024 ** 3
MiB = 1024 ** 2


@dataclass(frozen=True)
class VerifierFiles:
    """A course's verifier package as bytes (`d2lblocks_grade.verify.course_verifier`): name, files."""

    name: str
    files: dict[str, bytes] = field(default_factory=dict)

    @property
    def digest(self) -> str:
        h = hashlib.sha256(self.name.encode())
        for rel in sorted(self.files):
            h.update(rel.encode() + b"\0" + self.files[rel] + b"\0")
        return h.hexdigest()[:16]


@dataclass(frozen=True)
class Limits:
    """Resource caps for grading one submission.

    `cell_timeout_s` interrupts one cell; `wall_timeout_s` kills the whole
    kernel process group, so code that ignores SIGINT is still stopped.
    """

    cell_timeout_s: float = 60.0
    wall_timeout_s: float = 300.0
    memory_bytes: int = 4 * GiB
    output_bytes: int = 1 * MiB  # recorded output per cell
    total_output_bytes: int = 8 * MiB  # recorded output per notebook: bounds what a result may weigh

    def __post_init__(self):
        for name in ("cell_timeout_s", "wall_timeout_s", "memory_bytes", "output_bytes", "total_output_bytes"):
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or value <= 0:
                raise ValueError(f"Limits.{name} must be a positive number, got {value!r}")


def digest(data: bytes | None) -> str:
    """The identity of a submission's content: sha256 hex, or "" when there is none."""
    return hashlib.sha256(data).hexdigest() if data is not None else ""


@dataclass
class GradeJob:
    """One student's submission plus everything needed to grade it anywhere.

    `notebook_bytes` is None when the student submitted nothing usable;
    `intake_status`/`intake_reason` then say why (e.g. `missing`, `ambiguous`)
    and the worker returns that without starting a kernel.
    `master_notebook_bytes` is the instructor's notebook with hidden tests;
    `assets` are the release's other files (relative path -> bytes).
    """

    student_id: str
    notebook_bytes: bytes | None
    submitted_name: str
    assignment_id: str
    master_notebook_bytes: bytes
    assets: dict[str, bytes] = field(default_factory=dict)
    limits: Limits = field(default_factory=Limits)
    submission_digest: str = ""
    notebook_name: str = ""  # the assignment's notebook file name, e.g. layers-and-blocks.ipynb
    submitted_at: float | None = None  # unix time of the submission file, if known
    intake_status: str = ""
    intake_reason: str = ""
    markers: Markers = field(default_factory=Markers)  # the course's solution and hidden-test markers
    sandboxed: bool = True  # run in a bubblewrap sandbox (False only with --unsafe-no-sandbox)
    check_integrity: bool = True  # wrap every test in d2lblocks_grade.integrity.instrument's checks (tampering -> `tampered`)
    verifier: VerifierFiles | None = None  # the course's checks: tests judged outside the kernel (trusted mode)
    language: str = "en"  # the language of the teaching messages (the assignment's metadata.d2lblocks.language)
    graded_with: str = ""  # grading.inputs.grading_inputs_key of the run: what grades this job besides the notebook

    def __post_init__(self):
        if not self.student_id or "/" in self.student_id:
            raise ValueError(f"GradeJob.student_id must be a plain name, got {self.student_id!r}")
        if not self.submission_digest:
            self.submission_digest = digest(self.notebook_bytes)
        if not self.notebook_name:
            self.notebook_name = f"{self.assignment_id}.ipynb"


@dataclass
class CellResult:
    """The outcome of one graded cell (a test cell, or a manually graded answer)."""

    grade_id: str
    score: float | None  # None: waits for a person (manually graded cells)
    max_score: float
    status: str = GRADED
    reason: str = ""
    kind: str = "test"  # "test" (autograded) or "manual" (written answer)
    source: str = ""  # the test's source, for the coordinator only; never shown to students


@dataclass
class GradeResult:
    """Everything the coordinator needs to record one student's grade."""

    student_id: str
    assignment_id: str
    status: str
    reason: str = ""
    cells: list[CellResult] = field(default_factory=list)
    executed_notebook_bytes: bytes | None = None
    findings: list[str] = field(default_factory=list)
    duration_s: float = 0.0
    submission_digest: str = ""
    submitted_name: str = ""
    submitted_at: float | None = None
    language: str = "en"  # the job's language: the feedback page and the reasons speak it

    @property
    def score(self) -> float:
        return sum(c.score or 0.0 for c in self.cells)

    @property
    def max_score(self) -> float:
        return sum(c.max_score for c in self.cells)
