"""Find and load a course's verifier: the checks that grade an assignment in trusted mode.

An assignment opts in with ``"d2lblocks": {"verifier": "<name>"}`` in its source
notebook's metadata; the verifier is the Python package ``<course>/verifiers/<name>/``.
It is imported from memory (`verify.memory_package`), never unpacked to disk, so it reads its own data files
with ``importlib.resources.files(__name__)``, not through ``__file__``. It must define ``CHECKS``
(test grade id -> `Check`), ``PROBES`` (module name -> source of the probes run in the kernel, in load
order) and may define ``CELLS`` (grade id -> the source that replaces that locked cell,
e.g. a setup cell that imports the course library).
The package travels inside each job as bytes (`VerifierFiles`), so a worker on
another machine loads the same checks without a shared filesystem.

Example::

    >>> files = read_verifier(course, master_nb)       # doctest: +SKIP
    >>> verifier = load(files)                          # doctest: +SKIP
    >>> sorted(verifier.CHECKS)[:2]                     # doctest: +SKIP
    ['ex1_forward', 'ex1_gradients']
"""
from __future__ import annotations

import re
import sys
import types
from pathlib import Path

from d2lblocks_grade.datatypes import VerifierFiles
from d2lblocks_grade.notebook_cells import grade_id, is_test_cell
from d2lblocks_grade.verify.checks import Check
from d2lblocks_grade.verify.memory_package import import_from_memory

FOLDER = "verifiers"
NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
BAD_NAME = ("the assignment's metadata names the verifier {name!r}; a verifier name is a Python identifier "
            "such as layers_and_blocks, the name of a folder in {folder}/")
NOT_FOUND = ("the assignment's metadata names the verifier {name!r}, but {path} does not exist; add that package "
             "(with CHECKS and PROBES) or remove metadata.d2lblocks.verifier to grade with in-notebook tests")
BROKEN = "the verifier {name!r} ({path}) cannot be loaded: {error}"
UNCHECKED = ("the verifier {name!r} has no check for the test cell(s) {ids}; add them to CHECKS, or every "
             "submission would lose those points")
UNKNOWN = "the verifier {name!r} checks {ids}, which are not test cells of the assignment; remove them from CHECKS"
_loaded: dict[str, types.ModuleType] = {}


class VerifierError(ValueError):
    """The course's verifier is missing or wrong; the message says how to fix it."""


def verifier_name(master) -> str | None:
    meta = master.get("metadata", {}).get("d2lblocks", {})
    name = meta.get("verifier") if isinstance(meta, dict) else None
    return name if name else None


def read_verifier(course: Path, master) -> VerifierFiles | None:
    """The verifier the assignment names, as bytes; None when it names none."""
    name = verifier_name(master)
    if name is None:
        return None
    if not isinstance(name, str) or not NAME.match(name):
        raise VerifierError(BAD_NAME.format(name=name, folder=Path(course) / FOLDER))
    root = Path(course) / FOLDER / name
    if not (root / "__init__.py").is_file():
        raise VerifierError(NOT_FOUND.format(name=name, path=root / "__init__.py"))
    files = {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
             if p.is_file() and "__pycache__" not in p.parts}
    verifier = VerifierFiles(name, files)
    check_covers(load(verifier), master, name)
    return verifier


def load(files: VerifierFiles) -> types.ModuleType:
    """Import the verifier package from its bytes (once per process and content)."""
    key = f"d2lblocks_course_verifier_{files.name}_{files.digest}"
    if key in _loaded:
        return _loaded[key]
    try:
        # From memory, never unpacked: the judges are the hidden tests, and a killed grader strands no file.
        module = import_from_memory(key, files.files, label=f"verifier {files.name}")
        for attribute in ("CHECKS", "PROBES"):
            if not hasattr(module, attribute):
                raise AttributeError(f"it defines no {attribute}")
        if not all(isinstance(check, Check) for check in module.CHECKS.values()):
            raise TypeError("CHECKS must map grade ids to d2lblocks_grade.verify.checks.Check")
    except Exception as error:
        sys.modules.pop(key, None)
        raise VerifierError(BROKEN.format(name=files.name, path=f"{FOLDER}/{files.name}",
                                          error=f"{type(error).__name__}: {error}")) from error
    _loaded[key] = module
    return module


def check_covers(verifier: types.ModuleType, master, name: str) -> None:
    """Every autograded test of the assignment has a check, and every check a test."""
    tests = [gid for cell in master.cells if is_test_cell(cell) and (gid := grade_id(cell))]
    missing = [gid for gid in tests if gid not in verifier.CHECKS]
    if missing:
        raise VerifierError(UNCHECKED.format(name=name, ids=", ".join(missing)))
    unknown = sorted(set(verifier.CHECKS) - set(tests))
    if unknown:
        raise VerifierError(UNKNOWN.format(name=name, ids=", ".join(unknown)))
