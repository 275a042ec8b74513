"""The audit's trusted grader: every bank submission graded as ``d2lblocks-grade autograde`` grades it.

For an assignment whose notebook names a verifier (``metadata.d2lblocks.verifier``)
each submission becomes a `GradeJob` (`pipeline.make_job`) and is graded by
`grade_one` in its own sandboxed kernel, ``jobs`` at a time, kernels forked from
the pipeline's warm fork server (`dispatch.local`): the probes run in the kernel,
the verdicts and teaching messages are decided here (`d2lblocks_grade.verify`).
Each test's result becomes the `CellScore` the audit's table reads.

The release is the course's ``release/<assignment>/`` notebook when it matches
the source, else one ``nbgrader generate_assignment`` in a copy of the course.

Example::

    >>> grader = TrustedGrader(load_course("exercises", "layers-and-blocks"), Path("/tmp/audit"), jobs=2)  # doctest: +SKIP
    >>> scores = grader.grade({"audit-00": grader.release()})                                            # doctest: +SKIP
    >>> scores["audit-00"]["ex1_forward"].passed                                                          # doctest: +SKIP
    True
"""
from __future__ import annotations

import re
from pathlib import Path

import nbformat

from d2lblocks_grade.audit.stock_nbgrader import CellScore, CourseCopy
from d2lblocks_grade.course.intake import Submission
from d2lblocks_grade.course.master import Course, clear_hidden_tests, course_imports
from d2lblocks_grade.datatypes import GRADED, USES_REFERENCE, CellResult, GradeResult, Limits
from d2lblocks_grade.dispatch.local import make_executor, result_of
from d2lblocks_grade.kernel.jail import check_host
from d2lblocks_grade.pipeline import cell_timeout, make_job

NO_VERIFIER = ("--grader trusted needs a verifier, and the notebook of {assignment} names none "
               "(metadata.d2lblocks.verifier); audit its own tests with --grader stock")
# "AssertionError: the message", as grading.scoring writes a failed test's reason
NAMED_FAILURE = re.compile(r"(?P<error>[A-Za-z_][\w.]*): (?P<message>.*)")
UNNAMED = "failure"  # a failed test whose reason names no exception (e.g. it wrote to stderr)


class TrustedGrader:
    """Grades the audit's submissions in the project's trusted mode (see module docstring)."""

    def __init__(self, course: Course, where: Path, jobs: int):
        if course.verifier is None:
            raise ValueError(NO_VERIFIER.format(assignment=course.assignment_id))
        check_host()  # before any work: refuse to grade without the sandbox, and say why
        self.course, self.where, self.jobs = course, Path(where), max(1, jobs)
        self.label = f"trusted mode (verifier {course.verifier.name}: probes in sandboxed kernels, verdicts by its judges)"
        self.limits = Limits(cell_timeout_s=cell_timeout(None, course.settings))

    def release(self) -> nbformat.NotebookNode:
        """The committed release if it is the source's current one, else a fresh `generate_assignment`."""
        committed = self.course.root / "release" / self.course.assignment_id / self.course.notebook_name
        if committed.is_file():
            release = nbformat.read(committed, as_version=4)
            if is_current(release, self.course):
                return release
        return CourseCopy.make(self.course.root, self.where / "release-copy").generate(self.course.assignment_id)

    def grade(self, notebooks: dict[str, nbformat.NotebookNode]) -> dict[str, dict[str, CellScore]]:
        """Each student's test scores; the executed notebooks are kept under ``where/autograded/``."""
        name = self.course.notebook_name
        jobs = [make_job(Submission(student, nbformat.writes(notebook).encode(), f"{student}/{name}"),
                         self.course, self.limits) for student, notebook in notebooks.items()]
        executor = make_executor(self.jobs, warm_modules=course_imports(self.course.master),
                                 memory_bytes=self.limits.memory_bytes)
        results: dict[str, GradeResult] = {}
        try:
            futures = {executor.submit(job): job for job in jobs}
            for future in executor.as_completed(futures):
                result = result_of(future, futures[future])
                results[result.student_id] = result
        finally:
            executor.close()
        for result in results.values():
            if result.executed_notebook_bytes:
                folder = self.where / "autograded" / result.student_id / self.course.assignment_id
                folder.mkdir(parents=True, exist_ok=True)
                (folder / name).write_bytes(result.executed_notebook_bytes)
        return {student: cell_scores(results[student]) for student in notebooks}


def is_current(release: nbformat.NotebookNode, course: Course) -> bool:
    """Whether ``release`` is what `generate_assignment` makes of the source now: the master without
    its hidden tests, cell for cell (ids, sources, nbgrader metadata but the checksums of hidden tests)."""
    expected, _ = clear_hidden_tests(course.markers).preprocess(course.master, {})

    def cells(notebook: nbformat.NotebookNode) -> list[tuple]:
        return [(cell.get("id"), cell.cell_type, cell.source,
                 {k: v for k, v in cell.metadata.get("nbgrader", {}).items() if k != "checksum"})
                for cell in notebook.cells]

    return cells(release) == cells(expected)


def cell_scores(result: GradeResult) -> dict[str, CellScore]:
    """The autograded tests of one result as the audit's `CellScore`s, by grade id."""
    return {cell.grade_id: cell_score(cell) for cell in result.cells if cell.kind == "test"}


def cell_score(cell: CellResult) -> CellScore:
    """Passed iff it earned every point; else the error named by its reason and the reason's first line.

    A test that lost its points for a reason of the grader's (a timeout, a crash, no response from the
    kernel, a tampered notebook) carries that status as its error, so the audit never counts it as taught.
    """
    score = float(cell.score or 0.0)
    if score >= cell.max_score:
        return CellScore(cell.grade_id, score, cell.max_score, "", "")
    lines = cell.reason.strip().splitlines()
    first = lines[0].strip() if lines else ""
    named = NAMED_FAILURE.fullmatch(first)
    if cell.status in (GRADED, USES_REFERENCE) and named:
        return CellScore(cell.grade_id, score, cell.max_score, named["error"], named["message"].strip())
    return CellScore(cell.grade_id, score, cell.max_score, UNNAMED if cell.status == GRADED else cell.status, first)
