"""Facts about nbgrader notebook cells, in one place: which cell is a test, which an answer, which markers.

nbgrader's metadata decides a cell's kind; the course's ``nbgrader_config.py``
decides the markers (``ClearSolutions.begin_solution_delimeter``,
``ClearHiddenTests.begin_test_delimeter`` and their ends), read through
nbgrader's own traits so a default and a course's override are read the same way.

Example::

    >>> markers = Markers()
    >>> markers.hidden_begin, markers.solution_end
    ('BEGIN HIDDEN TESTS', 'END SOLUTION')
    >>> strip_ansi("\\x1b[31mAssertionError\\x1b[0m: wrong")
    'AssertionError: wrong'
"""
from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from typing import Any, Mapping

from nbgrader import utils
from nbgrader.preprocessors import ClearHiddenTests, ClearSolutions
from traitlets.config import Config

_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def strip_ansi(text: str) -> str:
    """``text`` without terminal colour codes (IPython colours tracebacks)."""
    return _ANSI.sub("", text)


def grade_id(cell: Mapping[str, Any]) -> str | None:
    """The cell's nbgrader grade id, or None for a cell nbgrader does not track."""
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return meta.get("grade_id") if isinstance(meta, Mapping) else None


def is_test_cell(cell) -> bool:
    """An autograder test: graded, and not an answer the student writes."""
    return bool(utils.is_grade(cell)) and not utils.is_solution(cell)


def is_answer_cell(cell) -> bool:
    """A cell the student writes in (code or a written answer)."""
    return bool(utils.is_solution(cell))


def is_written_answer(cell) -> bool:
    """An answer graded by hand: graded and written by the student."""
    return bool(utils.is_grade(cell)) and bool(utils.is_solution(cell))


@dataclass(frozen=True)
class Markers:
    """The course's region markers (the text on the comment line, without the comment sign)."""

    solution_begin: str = ClearSolutions.begin_solution_delimeter.default_value
    solution_end: str = ClearSolutions.end_solution_delimeter.default_value
    hidden_begin: str = ClearHiddenTests.begin_test_delimeter.default_value
    hidden_end: str = ClearHiddenTests.end_test_delimeter.default_value

    @classmethod
    def from_config(cls, config: Config) -> "Markers":
        """The markers ``config`` (a loaded nbgrader_config.py) sets, nbgrader's defaults otherwise."""
        solutions, hidden = ClearSolutions(config=config), ClearHiddenTests(config=config)
        return cls(solutions.begin_solution_delimeter, solutions.end_solution_delimeter,
                   hidden.begin_test_delimeter, hidden.end_test_delimeter)

    def hidden_regions(self, source: str) -> list[str]:
        """The text between each hidden-test begin and end marker of ``source``."""
        return _regions(source, self.hidden_begin, self.hidden_end)

    def solution_regions(self, source: str) -> list[str]:
        """The text between each solution begin and end marker of ``source``."""
        return _regions(source, self.solution_begin, self.solution_end)

    def hide_tests(self, source: str, note: str) -> str:
        """``source`` with each hidden-test region, marker lines included, replaced by ``note``."""
        pattern = re.compile(rf"^[^\n]*{re.escape(self.hidden_begin)}.*?{re.escape(self.hidden_end)}[^\n]*",
                             re.S | re.M)
        return pattern.sub(lambda _: note, source)

    def without_solution_markers(self, source: str) -> str:
        """``source`` with the solution marker lines removed (the instructor's answer as a student would type it)."""
        return "\n".join(line for line in source.splitlines()
                         if self.solution_begin not in line and self.solution_end not in line)

    def clear_hidden_tests(self) -> ClearHiddenTests:
        """nbgrader's own ClearHiddenTests, with these markers."""
        return ClearHiddenTests(begin_test_delimeter=self.hidden_begin, end_test_delimeter=self.hidden_end)

    def public_source(self, cell) -> str:
        """A test cell's source as students see it: its hidden region removed by nbgrader itself."""
        import nbformat  # only here: this module is otherwise pure cell facts

        nb = nbformat.v4.new_notebook(cells=[nbformat.from_dict(copy.deepcopy(dict(cell)))])
        nb, _ = self.clear_hidden_tests().preprocess(nb, {})
        return nb.cells[0].source

    def is_marker_line(self, line: str) -> bool:
        return any(marker in line for marker in (self.solution_begin, self.solution_end,
                                                 self.hidden_begin, self.hidden_end))


def _regions(source: str, begin: str, end: str) -> list[str]:
    pattern = re.compile(rf"{re.escape(begin)}(.*?){re.escape(end)}", re.S)
    return pattern.findall(source)


def test_ids(notebook) -> list[str]:
    """Grade ids of the notebook's autograder tests, in order."""
    return [gid for cell in notebook.cells if is_test_cell(cell) and (gid := grade_id(cell))]


def answer_ids(notebook) -> list[str]:
    """Grade ids of the notebook's answer cells, in order."""
    return [gid for cell in notebook.cells if is_answer_cell(cell) and (gid := grade_id(cell))]
