"""Build the notebook that is actually executed: the master's tests around the student's answers.

Test cells and locked cells always come from the master, never from the
student, which by itself defeats edited, deleted or duplicated tests. Answer
cells are taken from the student by grade id. Cells the student added keep
their place relative to the graded cells around them (helpers they wrote
still run before the answer that uses them). Every difference is reported
as a finding, and a test whose answer is missing or that the student changed
gets a status override.

Example::

    >>> graded = assemble(student_nb, master_nb)             # doctest: +SKIP
    >>> graded.overrides                                     # doctest: +SKIP
    {'ex2_test_parallel': ('missing-cell', 'the answer cell ex2_parallel ...')}
"""

from __future__ import annotations

import copy
import uuid
from dataclasses import dataclass, field

import nbformat
from nbgrader import utils

from d2lblocks.i18n import N_, translate
from d2lblocks_grade.datatypes import MISSING_CELL, TAMPERED
from d2lblocks_grade.notebook_cells import Markers, grade_id, is_test_cell, test_ids

# A test's reason, which students read, is in the assignment's language; findings (the instructor's) in English.
ANSWER_MISSING = N_("the answer cell {answer} is missing (deleted, or its nbgrader metadata was lost "
                    "by copying it into a new cell); download the assignment again and paste your answer "
                    "into the cell marked YOUR CODE HERE")
TEST_DELETED = N_("the test cell {test} was deleted; tests belong to the assignment and must stay in the notebook")
TEST_EDITED = N_("the test cell {test} was edited; the original test was run, and a changed test scores 0")
TEST_STALE = ("the test cell {test} is as released but the course has changed it since; "  # a finding only
              "the current test was run")
TEST_DUPLICATED = N_("the test cell {test} appears {count} times; a copied test scores 0")


@dataclass
class Assembly:
    notebook: nbformat.NotebookNode
    findings: list[str] = field(default_factory=list)
    overrides: dict[str, tuple[str, str]] = field(default_factory=dict)  # test grade_id -> (status, reason)


def tests_of(answer_id: str, master) -> list[str]:
    """Test ids that exercise an answer: same `exN_` prefix, else the tests right after it."""
    tests = test_ids(master)
    prefix = answer_id.split("_", 1)[0] + "_"
    same = [t for t in tests if "_" in answer_id and t.startswith(prefix)]
    if same:
        return same
    following: list[str] = []
    seen = False
    for cell in master.cells:
        if grade_id(cell) == answer_id:
            seen = True
        elif seen and utils.is_solution(cell):
            break
        elif seen and is_test_cell(cell) and (gid := grade_id(cell)):
            following.append(gid)
    return following


def _student_cells(student) -> tuple[dict, dict]:
    """Student cells by grade id (all copies), extras by the id of the graded cell they follow."""
    by_id: dict[str, list] = {}
    extras: dict[str | None, list] = {}
    anchor = None
    for cell in student.cells:
        gid = grade_id(cell)
        if gid:
            by_id.setdefault(gid, []).append(cell)
            if len(by_id[gid]) == 1:
                anchor = gid
                continue
        extra = nbformat.from_dict(copy.deepcopy(dict(cell)))
        extra.metadata.pop("nbgrader", None)
        if extra.cell_type == "code":
            extra.outputs, extra.execution_count = [], None
        extras.setdefault(anchor, []).append((gid, extra))
    return by_id, extras


def assemble(student: nbformat.NotebookNode, master: nbformat.NotebookNode,
             markers: Markers = Markers(), language: str = "en") -> Assembly:
    """The notebook to execute, with findings and per-test status overrides (see module docstring), the
    overrides' reasons in `language`."""
    by_id, extras = _student_cells(student)
    master_ids = {grade_id(c) for c in master.cells if grade_id(c)}
    out = Assembly(nbformat.from_dict(copy.deepcopy(dict(master))))
    out.notebook.cells = []
    extras = {(a if a in master_ids or a is None else None): e for a, e in extras.items()}

    tests = {grade_id(c) for c in master.cells if is_test_cell(c)}
    _is_test_id = tests.__contains__

    def emit_extras(anchor):
        for gid, cell in extras.get(anchor, []):
            if gid in master_ids and gid and not _is_test_id(gid):
                out.findings.append(f"a second cell carries the answer id {gid}; the first was graded, "
                                    "the copy ran as an ordinary cell")
            if gid and _is_test_id(gid):
                continue  # duplicated tests never run; reported below
            out.notebook.cells.append(cell)

    emit_extras(None)
    for mcell in master.cells:
        gid = grade_id(mcell)
        if gid is None:
            continue  # plain release text: the student's copy (an extra) stands in for it
        cell = nbformat.from_dict(copy.deepcopy(dict(mcell)))
        copies = by_id.get(gid, [])
        if utils.is_solution(mcell) and not utils.is_locked(mcell):
            if copies:
                cell.source = copies[0].get("source", "")
                if isinstance(cell.source, list):
                    cell.source = "".join(cell.source)
            else:
                out.findings.append(translate(ANSWER_MISSING, "en", answer=gid))
                for test in tests_of(gid, master):
                    out.overrides.setdefault(test, (MISSING_CELL, translate(ANSWER_MISSING, language, answer=gid)))
        elif is_test_cell(mcell):
            _check_test(gid, mcell, copies, out, markers, language)
        out.notebook.cells.append(cell)
        emit_extras(gid)
    for gid in sorted(set(by_id) - master_ids):
        out.findings.append(f"the cell id {gid} is not part of this assignment; it ran as an ordinary cell")
    _unique_cell_ids(out.notebook)
    return out


def _unique_cell_ids(nb) -> None:
    """Student cells may repeat the master's cell ids (copied cells); nbformat requires unique ones."""
    seen = set()
    for cell in nb.cells:
        if not cell.get("id") or cell["id"] in seen:
            cell["id"] = uuid.uuid4().hex[:8]
        seen.add(cell["id"])
    nb.nbformat, nb.nbformat_minor = 4, max(nb.get("nbformat_minor", 5), 5)


def _untouched_since_release(cell, source: str) -> bool:
    """The student's copy still matches the checksum it was released with: the instructor changed the test."""
    meta = cell.get("metadata", {}).get("nbgrader", {})
    if "checksum" not in meta:
        return False
    probe = nbformat.from_dict(copy.deepcopy(dict(cell)))
    probe.source = source
    return utils.compute_checksum(probe) == meta["checksum"]


def _check_test(gid: str, master_cell, copies: list, out: Assembly, markers: Markers, language: str) -> None:
    fields: dict = {"test": gid}
    if not copies:
        reason = TEST_DELETED
    elif len(copies) > 1:
        reason, fields["count"] = TEST_DUPLICATED, len(copies)
    else:
        theirs = copies[0].get("source", "")
        theirs = "".join(theirs) if isinstance(theirs, list) else theirs
        if theirs.strip() in (markers.public_source(master_cell).strip(), master_cell.source.strip()):
            return
        if _untouched_since_release(copies[0], theirs):
            out.findings.append(TEST_STALE.format(test=gid))
            return
        reason = TEST_EDITED
    out.findings.append(translate(reason, "en", **fields))
    out.overrides[gid] = (TAMPERED, translate(reason, language, **fields))
