"""A student's file → a notebook the grader can safely work with, or a reason it is not one.

Anything a student uploads reaches this module first, so it refuses shapes that
would hurt the grader rather than the student: files too large to hold, JSON
nested deep enough to exhaust the parser's stack, more cells than any notebook
has, metadata of the wrong type (a string where an object belongs, a list as a
grade id). Each refusal is a `BadNotebook` whose reason says what is wrong and
how to fix it; it becomes that student's row, and the run goes on.

Example::

    >>> parse_submission(b'{"cells": "none"}')
    Traceback (most recent call last):
    ...
    d2lblocks_grade.course.submission_file.BadNotebook: the JSON has no list of cells, so it is not a Jupyter notebook
"""
from __future__ import annotations

import json
import re
from typing import Any

import nbformat

from d2lblocks.i18n import N_, Message, translate
from d2lblocks_grade.datatypes import INVALID, MiB

MAX_NOTEBOOK_BYTES = 32 * MiB  # a notebook with every output saved is a few MiB
MAX_JSON_DEPTH = 64  # a notebook nests about 8 deep
MAX_CELLS = 5000
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.S)  # a JSON string, escapes included
_BRACKET = re.compile(rb"[\[\]{}]")

EMPTY_FILE = N_("the file is empty; open the assignment in Jupyter, save it, and submit again")
TOO_LARGE = N_("the file is {size:.0f} MiB, more than the {limit:.0f} MiB a notebook may be; clear the outputs "
               "(Edit > Clear Outputs of All Cells), save, and submit again")
NOT_JSON = N_("the file is not a notebook (not valid JSON: {error}); it may be damaged or be another "
              "kind of file renamed to .ipynb — download your notebook again from Jupyter")
TOO_DEEP = N_("the file nests JSON more than {limit} levels deep, which no Jupyter notebook does; "
              "download your notebook again from Jupyter")
OLD_FORMAT = N_("nbformat {version} notebook (from a very old Jupyter); open it in a current Jupyter "
                "and save it, or paste your answers into the released assignment")
NOT_NOTEBOOK = N_("the JSON has no list of cells, so it is not a Jupyter notebook")
TOO_MANY_CELLS = N_("the notebook has {count} cells, more than {limit}; keep the assignment's cells and your answers")
BAD_CELL = N_("cell {index} is damaged ({problem}); open the notebook in Jupyter, fix or delete that cell, "
              "save, and submit again")
BAD_METADATA = N_("the notebook's metadata is not a JSON object; download the assignment again")
# What is wrong with a damaged cell (BAD_CELL's {problem}).
CELL_METADATA = N_("its metadata is not a JSON object")
CELL_TYPE = N_("unknown cell type {kind!r}")
CELL_SOURCE = N_("its source is not text")
CELL_NBGRADER = N_("its nbgrader metadata is not a JSON object")
CELL_GRADE_ID = N_("its nbgrader grade_id is not text")
CELL_POINTS = N_("its nbgrader points are not a number")
CELL_FLAG = N_("its nbgrader '{flag}' flag is not true or false")

class BadNotebook(ValueError):
    """A submission that cannot be graded at all; `status` says which kind."""

    def __init__(self, status: str, reason: str):
        super().__init__(reason)
        self.status, self.reason = status, reason


def json_depth(data: bytes) -> int:
    """The deepest nesting of ``[`` and ``{`` in a JSON text, outside strings, without parsing it.

    >>> json_depth(b'{"a": [1, {"b": "[[["}]}')
    3
    """
    depth = deepest = 0
    for bracket in _BRACKET.findall(_STRING.sub(b"", data)):
        depth += 1 if bracket in (b"[", b"{") else -1
        deepest = max(deepest, depth)
    return deepest


def _cell_problem(cell: dict) -> Message | None:
    if not isinstance(cell.get("metadata", {}), dict):
        return Message(CELL_METADATA)
    if cell.get("cell_type") not in ("code", "markdown", "raw"):
        return Message(CELL_TYPE, {"kind": cell.get("cell_type")})
    source = cell.get("source", "")
    if not isinstance(source, str) and not (isinstance(source, list) and all(isinstance(s, str) for s in source)):
        return Message(CELL_SOURCE)
    meta = cell.get("metadata", {}).get("nbgrader")
    if meta is not None:
        if not isinstance(meta, dict):
            return Message(CELL_NBGRADER)
        if "grade_id" in meta and not isinstance(meta["grade_id"], str):
            return Message(CELL_GRADE_ID)
        if "points" in meta and (isinstance(meta["points"], bool) or not isinstance(meta["points"], (int, float))):
            return Message(CELL_POINTS)
        for flag in ("grade", "solution", "locked"):
            if flag in meta and not isinstance(meta[flag], bool):
                return Message(CELL_FLAG, {"flag": flag})
    return None


def parse_submission(data: bytes, max_bytes: int = MAX_NOTEBOOK_BYTES, language: str = "en") -> nbformat.NotebookNode:
    """The student's notebook as nbformat 4, or `BadNotebook` naming what is wrong with the file (in `language`)."""

    def bad(msgid: str, **fields: Any) -> BadNotebook:
        return BadNotebook(INVALID, translate(msgid, language, **fields))

    if not data or not data.strip():
        raise bad(EMPTY_FILE)
    if len(data) > max_bytes:
        raise bad(TOO_LARGE, size=len(data) / MiB, limit=max_bytes / MiB)
    if json_depth(data) > MAX_JSON_DEPTH:
        raise bad(TOO_DEEP, limit=MAX_JSON_DEPTH)
    try:
        raw: Any = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError, RecursionError) as err:
        raise bad(NOT_JSON, error=err) from None
    if not isinstance(raw, dict):
        raise bad(NOT_NOTEBOOK)
    version = raw.get("nbformat")
    if isinstance(version, int) and version < 4:
        raise bad(OLD_FORMAT, version=version)
    if not isinstance(raw.get("cells"), list) or not all(isinstance(c, dict) for c in raw["cells"]):
        raise bad(NOT_NOTEBOOK)
    if len(raw["cells"]) > MAX_CELLS:
        raise bad(TOO_MANY_CELLS, count=len(raw["cells"]), limit=MAX_CELLS)
    for index, cell in enumerate(raw["cells"], 1):
        problem = _cell_problem(cell)
        if problem:
            raise bad(BAD_CELL, index=index, problem=problem)
        cell.setdefault("metadata", {})
        cell.setdefault("source", "")
        if isinstance(cell["source"], list):
            cell["source"] = "".join(cell["source"])
        if cell["cell_type"] == "code":  # outputs are recomputed; a damaged one must not stop the grading
            cell["outputs"], cell["execution_count"] = [], None
    if not isinstance(raw.get("metadata", {}), dict):
        raise bad(BAD_METADATA)
    raw.setdefault("metadata", {})
    return nbformat.from_dict(raw)
