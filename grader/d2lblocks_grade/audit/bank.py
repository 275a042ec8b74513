"""The audit bank: known-wrong and known-right answers to the assignment's exercises.

The bank is a folder with one sub-folder per solution cell (named by its grade
id, e.g. ``ex1_sequential``) holding one ``.py`` file per answer. A file's name
says what the tests must do with it: ``wrong_*.py`` must lose points,
``right_*.py`` must earn them all. Its first comment line says what the answer
does, in the words the audit table prints. The whole file becomes the cell.

Example::

    >>> from pathlib import Path
    >>> bank = load_bank(Path("exercises/audit"))
    >>> [answer.name for answer in bank["ex1_sequential"]][:1]
    ['right_chapter_modules_dict']
"""
from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path

import nbformat

from d2lblocks_grade.notebook_cells import Markers, test_ids

WRONG, RIGHT = "wrong_", "right_"

BANK_MISSING = (
    "The audit bank {path} does not exist. Point --bank at a folder with one sub-folder per solution cell "
    "(e.g. ex1_sequential/) holding wrong_*.py and right_*.py answers."
)
BANK_EMPTY = "The audit bank {path} holds no answers: add wrong_*.py and right_*.py files under ex1_sequential/ and the like."
BAD_ANSWER_NAME = (
    "{path}: an answer's file name must start with 'wrong_' (the tests must catch it) or 'right_' "
    "(the tests must pass it), e.g. wrong_python_list.py."
)
NO_DESCRIPTION = "{path}: start the answer with a comment line saying what it does, e.g. '# Blocks kept in a Python list.'"
UNKNOWN_CELL = (
    "The audit bank has answers for {cell!r}, but the notebook has no solution cell with that grade id "
    "(it has {known}). Rename the bank folder after one of them."
)


@dataclass(frozen=True)
class Answer:
    """One answer of the bank, for one solution cell."""

    cell: str          # grade id of the solution cell it replaces, e.g. "ex1_sequential"
    name: str          # file stem, e.g. "wrong_python_list"
    correct: bool      # True for right_*, False for wrong_*
    description: str   # the file's first comment line
    source: str        # the cell's new source

    @property
    def exercise(self) -> str:
        """The exercise prefix its tests share, e.g. "ex1"."""
        return exercise_of(self.cell)


def exercise_of(grade_id: str) -> str:
    """The exercise a grade id belongs to: the part before the first underscore ("ex1_forward" -> "ex1")."""
    return grade_id.split("_", 1)[0]


def load_bank(bank_dir: Path) -> dict[str, list[Answer]]:
    """Read every answer of the bank, grouped by solution cell, correct ones first, each group sorted by name."""
    bank_dir = Path(bank_dir)
    if not bank_dir.is_dir():
        raise FileNotFoundError(BANK_MISSING.format(path=bank_dir))
    bank: dict[str, list[Answer]] = {}
    for folder in sorted(p for p in bank_dir.iterdir() if p.is_dir() and not p.name.startswith((".", "_"))):
        answers = [_read_answer(folder.name, path) for path in sorted(folder.glob("*.py"))]
        if answers:
            bank[folder.name] = sorted(answers, key=lambda a: (not a.correct, a.name))
    if not bank:
        raise ValueError(BANK_EMPTY.format(path=bank_dir))
    return bank


def _read_answer(cell: str, path: Path) -> Answer:
    if not path.stem.startswith((WRONG, RIGHT)):
        raise ValueError(BAD_ANSWER_NAME.format(path=path))
    source = path.read_text(encoding="utf-8").rstrip() + "\n"
    first = source.lstrip().splitlines()[0] if source.strip() else ""
    if not first.startswith("#") or not first.lstrip("# ").strip():
        raise ValueError(NO_DESCRIPTION.format(path=path))
    return Answer(cell=cell, name=path.stem, correct=path.stem.startswith(RIGHT),
                  description=first.lstrip("# ").strip(), source=source)


def solution_cells(notebook: nbformat.NotebookNode) -> dict[str, nbformat.NotebookNode]:
    """The notebook's solution cells by grade id."""
    return {cell.metadata["nbgrader"]["grade_id"]: cell for cell in notebook.cells
            if cell.metadata.get("nbgrader", {}).get("solution")}


def graded_test_ids(notebook: nbformat.NotebookNode) -> list[str]:
    """Grade ids of the autograded test cells, in notebook order."""
    return test_ids(notebook)


def instructor_solutions(source: nbformat.NotebookNode, markers: Markers = Markers()) -> dict[str, str]:
    """Each solution cell's instructor answer: the source notebook's cell without the solution markers."""
    return {grade_id: markers.without_solution_markers(cell.source) for grade_id, cell in solution_cells(source).items()}


def check_cells(bank: dict[str, list[Answer]], source: nbformat.NotebookNode) -> None:
    """Every bank folder must name a solution cell of the notebook."""
    known = solution_cells(source)
    for cell in bank:
        if cell not in known:
            raise ValueError(UNKNOWN_CELL.format(cell=cell, known=", ".join(sorted(known))))


def fill_release(release: nbformat.NotebookNode, answers: dict[str, str]) -> nbformat.NotebookNode:
    """A student's submission: the released notebook with every solution cell answered."""
    notebook = copy.deepcopy(release)
    for cell_id, cell in solution_cells(notebook).items():
        cell.source = answers[cell_id]
    return notebook


def submissions(bank: dict[str, list[Answer]], solutions: dict[str, str]) -> list[dict[str, Answer | None]]:
    """Group the bank into submissions; submission k carries answer k of every solution cell.

    Exercises are independent, so one notebook can try one answer per exercise
    at once; a cell whose answers have run out gets the instructor's answer
    (None). The first submission is the instructor's answers alone.
    """
    rounds = max(len(answers) for answers in bank.values())
    plans: list[dict[str, Answer | None]] = [{cell: None for cell in solutions}]
    for k in range(rounds):
        plans.append({cell: (bank[cell][k] if cell in bank and k < len(bank[cell]) else None) for cell in solutions})
    return plans
