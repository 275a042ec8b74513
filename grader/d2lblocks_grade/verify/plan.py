"""The notebook a trusted-mode kernel runs: the student's cells, probe calls where the tests were.

`make_plan` takes the assembled notebook (answers from the student, every other
graded cell from the master) and:

* puts a runtime cell first, which loads the course's probes (`kernel_side.install`);
* replaces the cells the verifier names in ``CELLS`` (a setup cell that imports
  the course library, which the sandbox does not hold);
* replaces every test cell by one call that sends its challenge, drawn now, and a
  fresh nonce. The test's source, hidden part included, never enters the kernel.

`restore_tests` puts the tests' public source back into the executed notebook, so
the record reads like the release.

Example::

    >>> nb, plan = make_plan(assembled, verifier, markers)      # doctest: +SKIP
    >>> plan.tests[cell_id].grade_id                           # doctest: +SKIP
    'ex1_forward'
"""
from __future__ import annotations

import copy
import json
import secrets
import types
from dataclasses import dataclass, field

import nbformat
import torch

from d2lblocks_grade.notebook_cells import Markers, grade_id, is_test_cell
from d2lblocks_grade.verify.wire import to_json

RUNTIME_CELL = ("# Grading runtime: loads the exercises' probes. Each test below sends what it finds out of\n"
                "# the notebook, where the grader checks it.\n"
                "from d2lblocks_grade.verify.kernel_side import install as _d2lblocks_install\n"
                "_d2lblocks_respond = _d2lblocks_install({source!r})\n"
                "del _d2lblocks_install\n")
PROBE_CELL = ("# Test {test}: the grader checks what this call sends back, outside the notebook.\n"
              "_d2lblocks_respond({test!r}, {probe!r}, {nonce!r}, {challenge!r})\n")


@dataclass
class PlannedTest:
    grade_id: str
    nonce: str
    challenge: dict
    public_source: str  # the test as released (hidden part removed), for the record


@dataclass
class Plan:
    runtime_cell_id: str
    tests: dict[str, PlannedTest] = field(default_factory=dict)  # cell id -> its test
    replaced: dict[str, str] = field(default_factory=dict)  # cell id -> the source the verifier replaced


def new_generator() -> torch.Generator:
    """A generator seeded from the operating system's randomness: challenges nobody can predict."""
    return torch.Generator().manual_seed(secrets.randbits(63))


def make_plan(assembled, verifier: types.ModuleType, markers: Markers = Markers(),
              generator: torch.Generator | None = None) -> tuple[nbformat.NotebookNode, Plan]:
    generator = generator or new_generator()
    nb = copy.deepcopy(assembled)
    runtime = nbformat.v4.new_code_cell(RUNTIME_CELL.format(source=verifier.PROBES))
    runtime.metadata["d2lblocks"] = {"role": "grading-runtime"}
    plan = Plan(runtime_cell_id=runtime["id"])
    replacements = getattr(verifier, "CELLS", {})
    for cell in nb.cells:
        gid = grade_id(cell)
        if gid in replacements and not is_test_cell(cell):
            plan.replaced[cell["id"]] = cell.source
            cell.source = replacements[gid]
        elif gid is not None and is_test_cell(cell) and gid in verifier.CHECKS:
            challenge = verifier.CHECKS[gid].draw(generator)
            nonce = secrets.token_hex(8)
            plan.tests[cell["id"]] = PlannedTest(gid, nonce, challenge, markers.public_source(cell))
            cell.source = PROBE_CELL.format(test=gid, probe=verifier.CHECKS[gid].probe, nonce=nonce,
                                            challenge=json.dumps(to_json(challenge)))
    nb.cells.insert(0, runtime)
    return nb, plan


def restore_tests(nb, plan: Plan) -> None:
    """Drop the runtime cell; tests and replaced cells get back the source students saw."""
    nb.cells = [cell for cell in nb.cells if cell.get("id") != plan.runtime_cell_id]
    for cell in nb.cells:
        if cell.get("id") in plan.tests:
            cell.source = plan.tests[cell["id"]].public_source
        elif cell.get("id") in plan.replaced:
            cell.source = plan.replaced[cell["id"]]
