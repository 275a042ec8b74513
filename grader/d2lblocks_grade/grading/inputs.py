"""What grades a submission, as one key: a recorded grade is current only while this key is unchanged.

A grade depends on the submission *and* on what graded it. When an instructor fixes a test in
``source/``, the grades the broken test decided are stale, so the "already graded" check compares both
the submission's digest and this key. The key covers:

- the master notebook (every visible and hidden test, the points) and the release's assets;
- the course's verifier package (probes, judges, reference answers);
- the grader itself: the source of ``d2lblocks_grade`` and of the ``d2lblocks`` library (a legacy course
  imports it in the kernel), with the Python and torch versions that run them;
- every limit that can change a verdict (timeouts, memory, output caps) and whether the sandbox is on.

Late-penalty settings are not in it: lateness is recomputed on every run without grading again.

Example::

    >>> key = grading_inputs_key(course, Limits(), sandboxed=True)   # doctest: +SKIP
    >>> len(key)                                                      # doctest: +SKIP
    64
"""
from __future__ import annotations

import hashlib
import json
import sys
from dataclasses import asdict
from functools import lru_cache
from pathlib import Path

import d2lblocks
import d2lblocks_grade
from d2lblocks_grade.course.master import Course
from d2lblocks_grade.datatypes import Limits


@lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """The grader's and the library's Python sources (and the interpreters' versions), hashed once per process."""
    import torch

    h = hashlib.sha256(f"python {sys.version}\0torch {torch.__version__}\0".encode())
    for package in (d2lblocks_grade, d2lblocks):
        root = Path(str(package.__file__)).resolve().parent
        for path in sorted(root.rglob("*.py")):
            h.update(f"{package.__name__}/{path.relative_to(root).as_posix()}\0".encode() + path.read_bytes() + b"\0")
    return h.hexdigest()


def grading_inputs_key(course: Course, limits: Limits, sandboxed: bool) -> str:
    """sha256 hex of everything besides the submission that decides its grade (see module docstring)."""
    h = hashlib.sha256()

    def part(name: str, data: bytes) -> None:
        h.update(f"{name}\0{len(data)}\0".encode() + data)

    part("master", course.master_bytes)
    for rel in sorted(course.assets):
        part(f"asset:{rel}", course.assets[rel])
    part("verifier", course.verifier.digest.encode() if course.verifier is not None else b"none")
    part("code", code_fingerprint().encode())
    part("limits", json.dumps(asdict(limits), sort_keys=True).encode())
    part("sandboxed", b"yes" if sandboxed else b"no")
    return h.hexdigest()
