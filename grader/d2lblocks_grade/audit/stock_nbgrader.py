"""Stock nbgrader, driven the way an instructor drives it, on a throw-away copy of the course.

The audit must measure what instructors see, so it runs the real
``nbgrader generate_assignment`` and ``nbgrader autograde`` commands and reads
the scores back from the gradebook they write.

Example::

    >>> course = CourseCopy.make(Path("exercises"), Path("/tmp/audit"))   # doctest: +SKIP
    >>> release = course.generate("layers-and-blocks")      # doctest: +SKIP

`StockGrader` is the audit's ``--grader stock``: several such copies side by side.
"""
from __future__ import annotations

import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import nbformat

from d2lblocks_grade.course.locate import NOT_A_COURSE
from d2lblocks_grade.nbgrader_cli import nbgrader_program, tools_env

NBGRADER_MISSING = (
    "The nbgrader command was not found. Install the grading tools (pip install -e '.[grade]') "
    "or put the virtualenv's bin folder on PATH."
)
NBGRADER_FAILED = "`nbgrader {command}` failed with exit status {status}; the end of its log:\n{log}"
NOT_EMPTY = "{path} already holds files; give the audit an empty (or new) folder to grade in, so old results cannot mix in."
NOT_GRADED = (
    "nbgrader left no grades for {student}'s {name}: its autograde failed on that notebook. "
    "Rerun with --keep DIR and look at DIR/autograded/{student}/."
)


@dataclass(frozen=True)
class CellScore:
    """One autograded test cell of one submission: its score and the first line of its failure message."""

    grade_id: str
    score: float
    max_score: float
    error: str     # exception name of the failure, "stderr" for stderr output, "" when it passed
    message: str   # first line of the failure message, "" when it passed

    @property
    def passed(self) -> bool:
        return self.score >= self.max_score


@dataclass(frozen=True)
class CourseCopy:
    """A copy of a course's config and sources in a folder of its own, with its own gradebook."""

    root: Path

    @classmethod
    def make(cls, course: Path, where: Path) -> "CourseCopy":
        course = Path(course)
        if not (course / "nbgrader_config.py").is_file() or not (course / "source").is_dir():
            raise FileNotFoundError(NOT_A_COURSE.format(path=course))
        where = Path(where)
        if where.is_dir() and any(where.iterdir()):
            raise ValueError(NOT_EMPTY.format(path=where))
        where.mkdir(parents=True, exist_ok=True)
        shutil.copy2(course / "nbgrader_config.py", where / "nbgrader_config.py")
        shutil.copytree(course / "source", where / "source", dirs_exist_ok=True)
        return cls(where)

    def nbgrader(self, *args: str) -> str:
        """Run one nbgrader command in the course folder; its log on success, an error naming it otherwise.

        Commands name their assignment with ``--assignment=ID``, which nbgrader accepts even from a course whose
        nbgrader_config.py sets ``c.CourseDirectory.assignment_id`` (it then refuses a positional id).
        """
        env = tools_env()
        exe = nbgrader_program(env)
        if exe is None:
            raise FileNotFoundError(NBGRADER_MISSING)
        done = subprocess.run([exe, *args], cwd=self.root, env=env, capture_output=True, text=True)
        log = done.stdout + done.stderr
        if done.returncode != 0:
            tail = "\n".join(log.splitlines()[-30:])
            raise RuntimeError(NBGRADER_FAILED.format(command=" ".join(args), status=done.returncode, log=tail))
        return log

    def generate(self, assignment: str) -> nbformat.NotebookNode:
        """`nbgrader generate_assignment`; returns the student release of the assignment's notebook."""
        self.nbgrader("generate_assignment", f"--assignment={assignment}", "--force")
        (notebook,) = sorted((self.root / "release" / assignment).glob("*.ipynb"))
        return nbformat.read(notebook, as_version=4)

    def source(self, assignment: str) -> tuple[str, nbformat.NotebookNode]:
        """The assignment's source notebook and its file name."""
        (notebook,) = sorted((self.root / "source" / assignment).glob("*.ipynb"))
        return notebook.name, nbformat.read(notebook, as_version=4)

    def submit(self, assignment: str, student: str, name: str, notebook: nbformat.NotebookNode) -> None:
        """Place a submission where `nbgrader autograde` looks for it."""
        folder = self.root / "submitted" / student / assignment
        folder.mkdir(parents=True, exist_ok=True)
        nbformat.write(notebook, folder / name)

    def autograde(self, assignment: str) -> None:
        """`nbgrader autograde` every submission of the assignment."""
        self.nbgrader("autograde", f"--assignment={assignment}", "--force")

    def results(self, assignment: str, student: str, name: str) -> dict[str, CellScore]:
        """Scores from the gradebook, messages from the autograded notebook, by grade id of each test cell."""
        from nbgrader.api import Gradebook, MissingEntry  # imported late: nbgrader is slow to import

        if not (self.root / "autograded" / student / assignment / name).is_file():
            raise RuntimeError(NOT_GRADED.format(student=student, name=name))
        graded = nbformat.read(self.root / "autograded" / student / assignment / name, as_version=4)
        failures = {cell.metadata["nbgrader"]["grade_id"]: _failure(cell) for cell in graded.cells
                    if cell.metadata.get("nbgrader", {}).get("grade") and cell.cell_type == "code"}
        url = f"sqlite:///{self.root / 'gradebook.db'}"
        with Gradebook(url) as gradebook:
            try:
                submission = gradebook.find_submission_notebook(Path(name).stem, assignment, student)
            except MissingEntry:
                raise RuntimeError(NOT_GRADED.format(student=student, name=name)) from None
            scores = {grade.name: (grade.score, grade.max_score) for grade in submission.grades}
        return {grade_id: CellScore(grade_id, scores[grade_id][0], scores[grade_id][1], *failures[grade_id])
                for grade_id in failures if grade_id in scores}


class StockGrader:
    """The audit's stock grader: ``jobs`` course copies (``grader-0``, ``grader-1``, ... under ``where``),
    each graded by its own ``nbgrader autograde`` with its own gradebook, side by side."""

    label = "stock nbgrader (generate_assignment + autograde)"

    def __init__(self, course: Path, assignment: str, name: str, where: Path, jobs: int):
        self.assignment, self.name = assignment, name
        self.copies = [CourseCopy.make(course, Path(where) / f"grader-{g}") for g in range(max(1, jobs))]

    def release(self) -> nbformat.NotebookNode:
        """`nbgrader generate_assignment` in every copy (autograde needs it there); the student release."""
        with ThreadPoolExecutor(len(self.copies)) as pool:
            return list(pool.map(lambda copy: copy.generate(self.assignment), self.copies))[0]

    def grade(self, notebooks: dict[str, nbformat.NotebookNode]) -> dict[str, dict[str, CellScore]]:
        """Each student's test scores, the submissions shared out over the copies."""
        where = {student: self.copies[k % len(self.copies)] for k, student in enumerate(notebooks)}
        for student, notebook in notebooks.items():
            where[student].submit(self.assignment, student, self.name, notebook)
        with ThreadPoolExecutor(len(self.copies)) as pool:
            list(pool.map(lambda copy: copy.autograde(self.assignment), self.copies))
        return {student: copy.results(self.assignment, student, self.name) for student, copy in where.items()}


def _failure(cell: nbformat.NotebookNode) -> tuple[str, str]:
    """(exception name, first line of its message) of a test cell's failure; ("", "") if it passed."""
    for output in cell.get("outputs", []):
        if output.output_type == "error":
            lines = str(output.evalue).strip().splitlines()
            return output.ename, lines[0] if lines else ""
        if output.output_type == "stream" and output.name == "stderr":
            lines = output.text.strip().splitlines()
            return "stderr", lines[0] if lines else ""
    return "", ""
