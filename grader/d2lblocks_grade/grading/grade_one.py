"""Grade one submission: `grade_one(job) -> GradeResult`, anywhere, never raising for bad input.

Steps: parse and validate the student's notebook, assemble it around the
master's tests, execute it in a fresh kernel in a scratch folder holding only
the release's assets, score it like nbgrader, kill the kernel's process group.
Needs no shared filesystem: everything arrives in the job and leaves in the result.

Example::

    >>> result = grade_one(job)                     # doctest: +SKIP
    >>> result.status, result.score, result.max_score  # doctest: +SKIP
    ('graded', 7.0, 10.0)
"""

from __future__ import annotations

import os
import time
import traceback
from pathlib import PurePosixPath

import nbformat
from nbgrader import utils

from d2lblocks.i18n import N_, translate
from d2lblocks_grade.course.submission_file import BadNotebook, parse_submission
from d2lblocks_grade.datatypes import (
    CRASHED,
    GRADED,
    NO_RESPONSE,
    TAMPERED,
    TIMEOUT,
    USES_REFERENCE,
    WRONG_ASSIGNMENT,
    CellResult,
    GradeJob,
    GradeResult,
    VerifierFiles,
)
from d2lblocks_grade.grading.inert import make_inert
from d2lblocks_grade.grading.scoring import score_notebook
from d2lblocks_grade.integrity import instrument as integrity
from d2lblocks_grade.integrity.assemble import assemble, grade_id
from d2lblocks_grade.kernel import process_limits
from d2lblocks_grade.kernel.execute import Kernel, execute_notebook, start_kernel
from d2lblocks_grade.kernel.output_budget import MAX_COMMS, MAX_DISPLAY_IDS, human_size
from d2lblocks_grade.notebook_cells import answer_ids
from d2lblocks_grade.verify import course_verifier
from d2lblocks_grade.verify.judging import judge_all
from d2lblocks_grade.verify.plan import make_plan, restore_tests

OTHER_ASSIGNMENT = N_("none of this assignment's answer cells ({expected}) is in the notebook, which "
                      "carries cells of another assignment ({found}); submit {name}")
STUCK = N_("a cell ran past its time limit and ignored the interrupt, so the kernel was stopped")
RAN_OUT = N_("the notebook ran past its time limit and was stopped")
SLOW_CELLS = N_("{count} cell(s) ran past the cell time limit")
GRADER_FAILED = N_("the grader failed on this notebook: {error}")
TRUNCATED = N_("... [output truncated by the grader]")
DROPPED_OUTPUT = N_("the notebook printed more than a submission may keep ({cell} per cell, {total} in all, within "
                    "{display_ids} display ids and {comms} widgets), so the grader dropped {what}")


def check_assignment(student, master, name: str, language: str = "en") -> None:
    answers = answer_ids(master)
    theirs = {gid for c in student.cells if (gid := grade_id(c))}
    if theirs and not theirs & {gid for c in master.cells if (gid := grade_id(c))}:
        raise BadNotebook(WRONG_ASSIGNMENT, translate(
            OTHER_ASSIGNMENT, language, expected=", ".join(answers), found=", ".join(sorted(theirs)[:4]), name=name))


def rows_for_all(master, status: str, reason: str) -> list[CellResult]:
    """The same status for every graded cell: for submissions that never reach a kernel."""
    rows = []
    for cell in master.cells:
        if utils.is_grade(cell):
            kind = "manual" if utils.is_solution(cell) else "test"
            rows.append(CellResult(cell.metadata.nbgrader["grade_id"], 0.0,
                                   float(cell.metadata.nbgrader["points"]), status, reason, kind=kind))
    return rows


def _result(job: GradeJob, **fields) -> GradeResult:
    return GradeResult(student_id=job.student_id, assignment_id=job.assignment_id,
                       submission_digest=job.submission_digest, submitted_name=job.submitted_name,
                       submitted_at=job.submitted_at, language=job.language, **fields)


def _overall(cells: list[CellResult], execution, language: str = "en") -> tuple[str, str]:
    if execution.stuck_cell is not None:
        return TIMEOUT, translate(STUCK, language)
    if execution.timed_out:
        return TIMEOUT, translate(RAN_OUT, language)
    if execution.crashed:
        return CRASHED, execution.crashed
    if execution.timed_out_cells:
        return TIMEOUT, translate(SLOW_CELLS, language, count=len(execution.timed_out_cells))
    tampered = [c for c in cells if c.status == TAMPERED]
    if tampered:
        return TAMPERED, tampered[0].reason
    return GRADED, ""


def _cap_outputs(nb, limit: int, language: str = "en") -> None:
    """Keep the recorded notebook small: a runaway print loop must not bloat the gradebook."""
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream" and len(out.get("text", "")) > limit:
                out["text"] = out["text"][:limit] + "\n" + translate(TRUNCATED, language) + "\n"


def _dropped(what: str, job: GradeJob) -> str:
    return translate(DROPPED_OUTPUT, job.language, cell=human_size(job.limits.output_bytes),
                     total=human_size(job.limits.total_output_bytes), display_ids=MAX_DISPLAY_IDS, comms=MAX_COMMS, what=what)


def crashed_result(job: GradeJob, reason: str, findings: list[str] | None = None) -> GradeResult:
    """A `crashed` result for every graded cell: the grader could not grade this submission."""
    master = nbformat.reads(job.master_notebook_bytes.decode(), as_version=4)
    return _result(job, status=CRASHED, reason=reason, cells=rows_for_all(master, CRASHED, reason),
                   findings=findings or [])


def _validate(job: GradeJob, master) -> nbformat.NotebookNode:
    if job.intake_status:
        raise BadNotebook(job.intake_status, job.intake_reason)
    student = parse_submission(job.notebook_bytes or b"", language=job.language)
    check_assignment(student, master, job.notebook_name, job.language)
    return student


def precheck(job: GradeJob) -> GradeResult | None:
    """The result for a submission that cannot reach a kernel (missing, empty, not a notebook...), else None.

    Lets the coordinator record such students at once instead of spending a kernel on them.
    """
    master = nbformat.reads(job.master_notebook_bytes.decode(), as_version=4)
    try:
        _validate(job, master)
    except BadNotebook as bad:
        return _result(job, status=bad.status, reason=bad.reason, cells=rows_for_all(master, bad.status, bad.reason))
    return None


def _fits(kernel: Kernel, job: GradeJob) -> bool:
    """Whether a kernel started before its job arrived can grade it: same mode, the job's memory cap."""
    if (kernel.jail is not None) != job.sandboxed:
        return False
    if kernel.jail is not None:
        return kernel.jail.set_memory(job.limits.memory_bytes)
    return process_limits.apply_limits(kernel.pid, job.limits)


def _copy_assets(kernel: Kernel, assets: dict[str, bytes]) -> None:
    """The release's data files into the kernel's folder (inside its sandbox), owned by the sandbox's user."""
    for rel, data in assets.items():
        parts = PurePosixPath(rel).parts
        if PurePosixPath(rel).is_absolute() or ".." in parts:
            raise ValueError(f"the course's asset {rel!r} is not a path inside the assignment folder")
        target = kernel.workdir.joinpath(*parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        if kernel.jail is not None and kernel.jail.as_root:
            for path in [target, *target.relative_to(kernel.workdir).parents]:
                os.chown(kernel.workdir / path, kernel.jail.uid, kernel.jail.gid)


def _run_trusted(job: GradeJob, graded, kernel: Kernel, files: VerifierFiles):
    """Trusted mode: probes in the kernel, verdicts here (`d2lblocks_grade.verify`)."""
    verifier = course_verifier.load(files)
    notebook, plan = make_plan(graded.notebook, verifier, job.markers)
    execution = execute_notebook(notebook, kernel, job.limits)
    verdicts, problems = judge_all(notebook, plan, verifier, job.language)
    restore_tests(notebook, plan)
    cells = score_notebook(notebook, execution, graded.overrides, job.language)
    for cell in cells:  # a test that scored 0 for a reason of its own says so in its status
        verdict = verdicts.get(cell.grade_id)
        if verdict is not None and cell.status == GRADED and verdict.outcome in (USES_REFERENCE, NO_RESPONSE):
            cell.status = verdict.outcome
    return notebook, cells, list(graded.findings) + problems, execution


def _run_in_notebook(job: GradeJob, graded, kernel: Kernel):
    """A course without a verifier: nbgrader's in-notebook tests, wrapped in integrity checks."""
    notebook, plan = graded.notebook, None
    if job.check_integrity:
        notebook, plan = integrity.instrument(notebook)
    execution = execute_notebook(notebook, kernel, job.limits)
    findings = list(graded.findings)
    if plan is not None:  # harness cells removed again; cell ids tie the execution to the rest
        notebook, verdict = integrity.read_verdict(
            notebook, plan, kernel_died=bool(execution.crashed or execution.timed_out))
        findings += verdict.findings + verdict.notes
    cells = score_notebook(notebook, execution, graded.overrides, job.language)
    if plan is not None:
        cells = integrity.apply_verdict(cells, verdict)
    return notebook, cells, findings, execution


def grade_one(job: GradeJob, kernel: Kernel | None = None) -> GradeResult:
    """Grade `job` in a fresh kernel (`kernel`, pre-started for this job alone, or a new one)."""
    started = time.monotonic()
    master = nbformat.reads(job.master_notebook_bytes.decode(), as_version=4)
    try:
        student = _validate(job, master)
    except BadNotebook as bad:
        if kernel is not None:
            kernel.kill()
        return _result(job, status=bad.status, reason=bad.reason,
                       cells=rows_for_all(master, bad.status, bad.reason),
                       duration_s=time.monotonic() - started)
    try:
        graded = assemble(student, master, job.markers, job.language)
        if kernel is not None and not _fits(kernel, job):
            kernel.kill()  # started under other caps, or in another mode, than this job's
            kernel = None
        kernel = kernel or start_kernel(memory_bytes=job.limits.memory_bytes, sandboxed=job.sandboxed)
        _copy_assets(kernel, job.assets)
        if job.verifier is not None:
            notebook, cells, findings, execution = _run_trusted(job, graded, kernel, job.verifier)
        else:
            notebook, cells, findings, execution = _run_in_notebook(job, graded, kernel)
        status, reason = _overall(cells, execution, job.language)
        if execution.dropped_output:
            findings.append(_dropped(execution.dropped_output, job))
        _cap_outputs(notebook, job.limits.output_bytes, job.language)
        make_inert(notebook)  # instructors open it in a browser: no scripts, no active HTML
        return _result(job, status=status, reason=reason, cells=cells, findings=findings,
                       executed_notebook_bytes=nbformat.writes(notebook).encode(),
                       duration_s=time.monotonic() - started)
    except Exception as err:  # a grader bug must cost one student a retry, not the whole class
        error = f"{type(err).__name__}: {err}"
        result = crashed_result(job, translate(GRADER_FAILED, job.language, error=error),
                                [traceback.format_exc(limit=5)])
        result.duration_s = time.monotonic() - started
        return result
    finally:
        if kernel is not None:
            kernel.kill()


__all__ = ["grade_one", "precheck", "crashed_result", "parse_submission", "BadNotebook", "rows_for_all"]
