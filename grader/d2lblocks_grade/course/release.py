"""Generate the student version of an assignment with nbgrader, then check it for leaks.

A leak is any line of a solution region or of a hidden-test region of the
source notebook that is still present in the released notebook, and any hint the
course names (`course.hints`), whole or the code it gives away, in any language:
looked for in every text the release holds (cells, outputs, metadata).

Example::

    >>> path, leaks = release("exercises", "layers-and-blocks")   # doctest: +SKIP
    >>> leaks                                                      # doctest: +SKIP
    []
"""

from __future__ import annotations

import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

import nbformat

from d2lblocks_grade.course.hints import Hint, hints_setting, load_hints
from d2lblocks_grade.course.master import hidden_test_lines, load_course, public_lines
from d2lblocks_grade.nbgrader_cli import nbgrader_program, tools_env
from d2lblocks_grade.notebook_cells import Markers

NBGRADER_FAILED = "nbgrader generate_assignment failed for {assignment} (exit {code}):\n{output}"


def solution_lines(source_nb, markers: Markers = Markers()) -> list[str]:
    lines = []
    for cell in source_nb.cells:
        for region in markers.solution_regions(cell.source):
            lines += [t.strip() for t in region.splitlines()[1:]
                      if len(t.strip()) >= 8 and not t.strip().startswith("#")]
    return lines


def texts(node) -> list[str]:
    """Every string a notebook holds, keys included: sources, outputs, metadata."""
    if isinstance(node, str):
        return [node]
    if isinstance(node, dict):
        return [text for key, value in node.items() for text in (key, *texts(value))]
    if isinstance(node, list):
        return [text for value in node for text in texts(value)]
    return []


def find_release_leaks(source_nb, master_nb, released_nb, markers: Markers = Markers(),
                       hints: Sequence[Hint] = ()) -> list[str]:
    """Solution and hidden-test lines of the source, and hints, that survive anywhere in the released notebook.

    Lines that the release is meant to show anyway (given code, visible tests) are not leaks.
    """
    meant = public_lines(master_nb, markers)
    held = texts(released_nb)
    released = {line.strip() for text in held for line in text.splitlines()}
    secrets = ([line for line in solution_lines(source_nb, markers) if line not in meant]
               + hidden_test_lines(master_nb, markers))
    leaks = [line for line in dict.fromkeys(secrets) if line in released]
    whole = "\n".join(held)
    for hint in hints:
        shown = [hint.text] if hint.text in whole else [code for code in hint.code if code in whole]
        leaks += [f"hint {hint.key!r} ({hint.language}): {piece}" for piece in shown]
    return list(dict.fromkeys(leaks))


def release(course_dir: str | Path, assignment_id: str) -> tuple[Path, list[str]]:
    """Run `nbgrader generate_assignment` into the course's release/; returns (release folder, leaks)."""
    course = load_course(course_dir, assignment_id)
    env = tools_env()
    with tempfile.TemporaryDirectory() as scratch:
        # A throwaway gradebook: the grading gradebook is written by `autograde` alone. --assignment, not a
        # positional id: nbgrader refuses a positional id when a course's config sets CourseDirectory.assignment_id.
        proc = subprocess.run(
            [nbgrader_program(env) or "nbgrader", "generate_assignment",
             f"--assignment={assignment_id}", "--force", f"--CourseDirectory.db_url=sqlite:///{scratch}/gradebook.db",
             f"--CourseDirectory.root={course.root}"],
            cwd=course.root, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(NBGRADER_FAILED.format(assignment=assignment_id, code=proc.returncode,
                                                  output=(proc.stdout + proc.stderr)[-3000:]))
    folder = course.root / "release" / assignment_id
    source = nbformat.read(course.root / "source" / assignment_id / course.notebook_name, as_version=4)
    released = nbformat.read(folder / course.notebook_name, as_version=4)
    named = hints_setting(course.config)
    hints = load_hints(named, str(course.root / "nbgrader_config.py")) if named else []
    return folder, find_release_leaks(source, course.master, released, course.markers, hints)
