"""Which students handed in near-duplicate answers: answer cells fingerprinted, the template subtracted, pairs scored.

For every student with a readable notebook, the code answer cells (nbgrader ``solution``
cells of code) are taken in the assignment's order, lines of the release's own cell are
dropped, and the rest is fingerprinted (see `fingerprint`). The template is the release's
answer cells plus the instructor's solution: an answer that is the expected answer is no
evidence of copying. Fingerprints most of the class shares are dropped as well.

A pair is flagged when the fingerprints they share are at least `min_shared` and at least
`threshold` of the smaller of their two sets of remaining fingerprints.

Example::

    >>> report = compare_class("submissions", load_course("exercises", "layers-and-blocks"))  # doctest: +SKIP
    >>> [(p.a, p.b, round(p.score, 2)) for p in report.flagged]                                # doctest: +SKIP
    [('ben', 'bev', 0.93)]
"""
from __future__ import annotations

import ast
import math
from collections import defaultdict
from dataclasses import dataclass, field
from itertools import combinations
from pathlib import Path

import nbformat
from nbgrader import utils

from d2lblocks_grade.course.intake import discover
from d2lblocks_grade.course.master import Course
from d2lblocks_grade.course.submission_file import BadNotebook, parse_submission
from d2lblocks_grade.notebook_cells import grade_id
from d2lblocks_grade.similarity.fingerprint import fingerprints, kgram_hashes, normalise

DEFAULT_THRESHOLD = 0.5
DEFAULT_MIN_SHARED = 4
COMMON_SHARE = 0.5  # a fingerprint in more than this share of the class (and more than 3 students) is common
BAD_THRESHOLD = "--threshold {value} must be a share between 0 and 1 (e.g. 0.5: half of the smaller answer matches)"


@dataclass
class Answers:
    """One student's code answers: grade id -> source (template lines removed)."""

    student: str
    cells: dict[str, str]
    full: dict[str, str] = field(default_factory=dict)  # grade id -> source as handed in, for the report
    line_map: dict[str, list[int]] = field(default_factory=dict)  # grade id -> handed-in line of each kept line


@dataclass
class Pair:
    a: str
    b: str
    score: float  # shared / the smaller student's distinctive fingerprints
    shared: int
    lines: dict[str, dict[str, set[int]]] = field(default_factory=dict)  # student -> grade id -> matched lines


@dataclass
class Report:
    students: list[str]
    skipped: dict[str, str]  # student -> why their notebook could not be compared
    pairs: list[Pair]  # every pair sharing a distinctive fingerprint, best first
    threshold: float
    min_shared: int
    answers: dict[str, Answers] = field(default_factory=dict)

    @property
    def flagged(self) -> list[Pair]:
        return [p for p in self.pairs if p.score >= self.threshold and p.shared >= self.min_shared]


def _answer_cells(nb) -> dict[str, str]:
    return {gid: cell.source for cell in nb.cells
            if cell.cell_type == "code" and utils.is_solution(cell) and (gid := grade_id(cell))}


def course_names(course: Course) -> set[str]:
    """Names the course gives students (imports, classes and functions and parameters of the release)."""
    names: set[str] = set()
    for cell in course.master.cells:
        if cell.cell_type != "code":
            continue
        try:
            tree = ast.parse(cell.source)
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                names |= {(a.asname or a.name).split(".")[0] for a in node.names}
            elif isinstance(node, (ast.FunctionDef, ast.ClassDef)) and utils.is_solution(cell):
                names.add(node.name)
            elif isinstance(node, ast.arg) and utils.is_solution(cell):
                names.add(node.arg)
    return names


def without_template(source: str, template: str) -> tuple[str, list[int]]:
    """`source` without the lines the release gave (compared stripped), and the original number of each kept line."""
    given = {line.strip() for line in template.splitlines() if line.strip()}
    kept = [(number, line) for number, line in enumerate(source.splitlines(), 1) if line.strip() not in given]
    return "\n".join(line for _, line in kept), [number for number, _ in kept]


def _reference_answers(course: Course) -> dict[str, str]:
    """The instructor's solution cells, solution markers removed (from the course's source notebook)."""
    folder = course.root / "source" / course.assignment_id
    path = folder / course.notebook_name
    if not path.exists():
        return {}
    source = nbformat.read(path, as_version=4)
    markers = course.markers
    return {gid: markers.without_solution_markers(src) for gid, src in _answer_cells(source).items()}


def compare_class(submissions: str | Path, course: Course, threshold: float = DEFAULT_THRESHOLD,
                  min_shared: int = DEFAULT_MIN_SHARED) -> Report:
    """Fingerprint every student's answers and score every pair (see the module docstring)."""
    if not 0 < threshold <= 1:
        raise ValueError(BAD_THRESHOLD.format(value=threshold))
    template = _answer_cells(course.master)
    kept = course_names(course)
    base: set[int] = set()
    for src in template.values():
        base |= {h for h, _, _ in kgram_hashes(normalise(src, kept))}
    for gid, src in _reference_answers(course).items():
        base |= {h for h, _, _ in kgram_hashes(normalise(without_template(src, template.get(gid, ""))[0], kept))}

    answers: dict[str, Answers] = {}
    skipped: dict[str, str] = {}
    for sub in discover(submissions, course.assignment_id):
        if sub.notebook_bytes is None:
            skipped[sub.student_id] = sub.reason or sub.status
            continue
        try:
            nb = parse_submission(sub.notebook_bytes)
        except BadNotebook as bad:
            skipped[sub.student_id] = bad.reason
            continue
        cells = _answer_cells(nb)
        stripped = {gid: without_template(cells[gid], template[gid]) for gid in template if gid in cells}
        answers[sub.student_id] = Answers(sub.student_id, {gid: text for gid, (text, _) in stripped.items()},
                                          {gid: cells[gid] for gid in stripped},
                                          {gid: numbers for gid, (_, numbers) in stripped.items()})

    # fingerprint -> (student, grade id) -> line spans
    prints: dict[str, dict[int, list[tuple[str, tuple[int, int]]]]] = {}
    everywhere: dict[int, int] = defaultdict(int)
    for student, ans in answers.items():
        mine: dict[int, list[tuple[str, tuple[int, int]]]] = defaultdict(list)
        seen: set[int] = set()
        for gid, src in ans.cells.items():
            tokens = normalise(src, kept)
            seen |= {h for h, _, _ in kgram_hashes(tokens)}
            for h, spans in fingerprints(tokens).items():
                if h not in base:
                    mine[h] += [(gid, span) for span in spans]
        for h in seen:
            everywhere[h] += 1
        prints[student] = mine
    cap = max(3, math.floor(COMMON_SHARE * len(answers)))
    common = {h for h, n in everywhere.items() if n > cap}
    distinct = {s: {h for h in fp if h not in common} for s, fp in prints.items()}

    owners: dict[int, list[str]] = defaultdict(list)
    for student, hashes in distinct.items():
        for h in hashes:
            owners[h].append(student)
    shared: dict[tuple[str, str], set[int]] = defaultdict(set)
    for h, students in owners.items():
        for a, b in combinations(sorted(students), 2):
            shared[(a, b)].add(h)
    pairs = []
    for (a, b), hashes in shared.items():
        smaller = min(len(distinct[a]), len(distinct[b])) or 1
        lines: dict[str, dict[str, set[int]]] = {a: defaultdict(set), b: defaultdict(set)}
        for student in (a, b):
            numbers = answers[student].line_map
            for h in hashes:
                for gid, (first, last) in prints[student][h]:
                    lines[student][gid].update(numbers[gid][i - 1] for i in range(first, last + 1)
                                               if 0 < i <= len(numbers[gid]))
        pairs.append(Pair(a, b, len(hashes) / smaller, len(hashes), {s: dict(v) for s, v in lines.items()}))
    pairs.sort(key=lambda p: (-p.score, -p.shared, p.a, p.b))
    return Report(sorted(answers), skipped, pairs, threshold, min_shared, answers)
