"""Tamper resistance: wrap every test cell in integrity checks, then read their verdicts.

`instrument` takes the graded notebook (already assembled from the pristine
master) and inserts a locked install cell before any student code plus a check
cell before and after every autograded test cell. Each check cell carries a
fresh nonce that exists nowhere in the kernel until that cell runs.
`read_verdict` takes the executed notebook, pulls the checks' markers out,
and says which tests ran in a state the submission had changed. A check that
reported nothing means the kernel stopped or was subverted.

Policy: the first test whose checks find a change, and every test after it,
scores 0 (once student code has reached into the grader's tools nothing later
can be trusted). Tests before it keep their scores.

Example::

    >>> import nbformat
    >>> from d2lblocks_grade.integrity.instrument import instrument, read_verdict
    >>> nb = nbformat.v4.new_notebook()
    >>> instrumented, plan = instrument(nb)
    >>> len(instrumented.cells)   # the install cell
    1
"""

from __future__ import annotations

import ast
import copy
import json
import secrets
import threading
from dataclasses import dataclass, field
from pathlib import Path

from d2lblocks_grade.integrity.harness import MIME

HARNESS_SOURCE = (Path(__file__).with_name("harness.py")).read_text()
# Modules whose callables and classes tests may rely on (plus whatever the tests import).
WATCHED_MODULES = (
    "builtins", "os", "math", "operator", "functools", "copy", "numpy", "numpy.testing",
    "torch", "torch.nn", "torch.nn.functional", "torch.nn.init", "torch.testing",
    "torch.nn.modules.module", "torch.nn.modules.container", "torch.nn.modules.linear",
    "torch.nn.parameter", "torch._tensor", "d2lblocks",
)
# Imported before the snapshot: torch._dynamo re-wraps torch.manual_seed when an optimizer
# first steps, which would otherwise look like tampering (the kernel's warm-up imports it too).
PRELOAD = ("torch._dynamo",)
HARNESS_TAG = "d2lblocks_integrity"
NOT_A_NOTEBOOK = "instrument() needs an nbformat NotebookNode (nbformat.reads(text, as_version=4)), got {!r}"


@dataclass
class IntegrityPlan:
    """What the grader expects back: one marker per check cell, keyed by its nonce."""

    key: str
    install_nonce: str
    checks: dict[str, tuple[str, str]] = field(default_factory=dict)  # nonce -> (grade_id, phase)
    tests: list[str] = field(default_factory=list)  # autograded test ids in notebook order


@dataclass
class IntegrityVerdict:
    findings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    tampered_tests: list[str] = field(default_factory=list)  # score 0
    silent_tests: list[str] = field(default_factory=list)  # a check never reported

    @property
    def tampered(self) -> bool:
        return bool(self.findings)


def is_test_cell(cell) -> bool:
    """An autograded test: nbgrader `grade: true`, `solution: false`, with a grade_id."""
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return (cell.get("cell_type") == "code" and bool(meta.get("grade"))
            and not meta.get("solution") and bool(meta.get("grade_id")))


def _is_solution(cell) -> bool:
    return bool(cell.get("metadata", {}).get("nbgrader", {}).get("solution"))


# CPython 3.11's parser is not safe to run from two threads at once on hostile input ("AST constructor
# recursion depth mismatch"), and grading threads share this interpreter: one parse at a time.
_PARSE_LOCK = threading.Lock()


def _parse(source: str):
    try:
        with _PARSE_LOCK:
            return ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError, SystemError):
        return None  # IPython magics, or code too deep to parse: their imports are not framework names


def framework_imports(nb) -> str:
    """The import statements of the notebook's non-answer code cells, as code."""
    lines = []
    for cell in nb.cells:
        if cell.cell_type != "code" or _is_solution(cell):
            continue
        tree = _parse(cell.source)
        for node in tree.body if tree else ():
            relative_or_star = isinstance(node, ast.ImportFrom) and (
                node.level or any(alias.name == "*" for alias in node.names))
            if isinstance(node, (ast.Import, ast.ImportFrom)) and not relative_or_star:
                lines.append(ast.unparse(node))
    return "\n".join(dict.fromkeys(lines))


def _imported_modules(code: str) -> list[str]:
    names = []
    tree = _parse(code)
    for node in ast.walk(tree) if tree else ():
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.append(node.module)
    return names


def loaded_names(source: str) -> tuple[str, ...]:
    """Names a test reads, so shadowed builtins among them can be set aside."""
    tree = _parse(source)
    if tree is None:
        return ()
    return tuple(sorted({n.id for n in ast.walk(tree)
                         if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}))


def _harness_cell(source: str):
    import nbformat

    cell = nbformat.v4.new_code_cell(source)
    cell.metadata[HARNESS_TAG] = True
    cell.metadata["nbgrader"] = {"locked": True}
    return cell


def instrument(nb, watched=WATCHED_MODULES):
    """A copy of `nb` with the install cell first and checks around every test cell."""
    if not hasattr(nb, "cells"):
        raise TypeError(NOT_A_NOTEBOOK.format(nb))
    nb = copy.deepcopy(nb)
    framework = framework_imports(nb)
    modules = list(dict.fromkeys([*watched, *_imported_modules(framework)]))
    plan = IntegrityPlan(key=f"_d2lb_{secrets.token_hex(8)}", install_nonce=secrets.token_hex(16))
    install = (f"__d2lb = {{'__name__': {HARNESS_TAG!r}}}\n"
               f"exec({HARNESS_SOURCE!r}, __d2lb)\n"
               f"__d2lb['install']({plan.key!r}, {modules!r}, {framework!r}, {plan.install_nonce!r}, "
               f"preload={PRELOAD!r})\n"
               f"del __d2lb")
    cells = [_harness_cell(install)]
    for cell in nb.cells:
        if not is_test_cell(cell):
            cells.append(cell)
            continue
        grade_id = cell.metadata.nbgrader.grade_id
        plan.tests.append(grade_id)
        names = loaded_names(cell.source)
        for phase in ("before", "after"):
            nonce = secrets.token_hex(16)
            plan.checks[nonce] = (grade_id, phase)
            check = _harness_cell(f"__import__('sys').modules[{plan.key!r}].check("
                                  f"{nonce!r}, {names!r}, {phase!r})")
            cells.extend([check, cell] if phase == "before" else [check])
    nb.cells = cells
    return nb, plan


def _markers(cell) -> list[dict]:
    found = []
    for out in cell.get("outputs", []):
        payload = out.get("data", {}).get(MIME) if out.get("output_type") == "display_data" else None
        if payload is None:
            continue
        try:
            found.append(json.loads(payload))
        except (TypeError, ValueError):
            continue
    return found


def read_verdict(executed_nb, plan: IntegrityPlan, kernel_died: bool = False):
    """(notebook without harness cells, IntegrityVerdict) for an executed instrumented notebook."""
    verdict = IntegrityVerdict()
    harness = [c for c in executed_nb.cells if c.get("metadata", {}).get(HARNESS_TAG)]
    install = [m for m in _markers(harness[0]) if m.get("nonce") == plan.install_nonce] if harness else []
    baseline = install[0].get("digest") if install else None
    if baseline is None and not kernel_died:
        verdict.findings.append("the integrity harness did not start (the kernel was subverted)")
    reports: dict[str, dict] = {}
    for cell in harness[1:]:
        for found in _markers(cell):
            if found.get("nonce") in plan.checks:
                reports.setdefault(found["nonce"], found)
    first_bad = None
    for nonce, (grade_id, phase) in plan.checks.items():
        marker = reports.get(nonce)
        if marker is None:
            if grade_id not in verdict.silent_tests:
                verdict.silent_tests.append(grade_id)
            if not kernel_died:
                verdict.findings.append(f"the check {phase} test {grade_id} never reported "
                                        "(the submission stopped or hijacked the kernel)")
                first_bad = first_bad or grade_id
            continue
        problems = [f"{f} ({phase} test {grade_id})" for f in marker.get("findings", [])]
        if baseline is not None and marker.get("digest") != baseline:
            problems.append(f"the grader's pristine references were altered ({phase} test {grade_id})")
        verdict.notes += [n for n in marker.get("notes", []) if n not in verdict.notes]
        if problems:
            verdict.findings += problems
            first_bad = first_bad or grade_id
    if first_bad is not None:
        verdict.tampered_tests = plan.tests[plan.tests.index(first_bad):]
    clean = copy.deepcopy(executed_nb)
    clean.cells = [c for c in clean.cells if not c.get("metadata", {}).get(HARNESS_TAG)]
    return clean, verdict


def apply_verdict(cells: list, verdict: IntegrityVerdict) -> list:
    """The scored cells with every test the verdict names set to 0 and status `tampered`."""
    from dataclasses import replace

    from d2lblocks_grade.datatypes import TAMPERED

    reason = "; ".join(verdict.findings[:3]) + (" ..." if len(verdict.findings) > 3 else "")
    hit = set(verdict.tampered_tests)
    return [replace(c, score=0.0, status=TAMPERED, reason=f"tampering detected: {reason}")
            if c.grade_id in hit and c.kind == "test" else c for c in cells]
