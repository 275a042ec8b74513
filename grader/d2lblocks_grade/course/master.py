"""Read the nbgrader course: the master notebook to grade against and the release's assets.

The master is what stock nbgrader grades with: the instructor's source notebook
after `ClearSolutions` (so an untouched answer cell has the release's checksum)
but *before* `ClearHiddenTests` (so the hidden tests run).

Example::

    >>> course = load_course("exercises", "layers-and-blocks")   # doctest: +SKIP
    >>> course.notebook_name, sorted(course.test_ids)[:1]          # doctest: +SKIP
    ('layers-and-blocks.ipynb', ['ex1_test_sequential'])
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbgrader import utils
from nbgrader.preprocessors import ClearHiddenTests, ClearOutput, ClearSolutions, ComputeChecksums
from traitlets.config import Config
from traitlets.config.loader import PyFileConfigLoader

from d2lblocks_grade.notebook_cells import Markers, test_ids

NO_COURSE = ("No nbgrader course at {course}: expected {course}/source/{assignment}/ holding the "
             "instructor's notebook. Pass --course DIR (the folder with nbgrader_config.py) and "
             "--assignment ID.")
SEVERAL_NOTEBOOKS = ("{folder} holds {count} notebooks; this grader handles assignments of one "
                     "notebook. Keep one, or pass --assignment for another assignment.")
# Shorter hidden lines (`net.eval()`) are no secret and turn up in teaching messages.
MIN_SECRET_CHARS = 16


@dataclass
class Course:
    """One assignment of an nbgrader course, ready to build `GradeJob`s from."""

    root: Path
    assignment_id: str
    notebook_name: str
    master_bytes: bytes
    assets: dict[str, bytes] = field(default_factory=dict)
    config: Config = field(default_factory=Config)

    @property
    def master(self) -> nbformat.NotebookNode:
        return nbformat.reads(self.master_bytes.decode(), as_version=4)

    @property
    def test_ids(self) -> list[str]:
        return test_ids(self.master)

    @property
    def markers(self) -> Markers:
        """The solution and hidden-test markers this course's nbgrader_config.py sets."""
        return Markers.from_config(self.config)

    @property
    def db_url_default(self) -> str:
        return f"sqlite:///{self.root / 'gradebook.db'}"


def load_config(course_dir: Path) -> Config:
    """The course's nbgrader_config.py as a traitlets Config (empty if there is none)."""
    if (course_dir / "nbgrader_config.py").exists():
        return PyFileConfigLoader("nbgrader_config.py", path=str(course_dir)).load_config()
    return Config()


def public_lines(master: nbformat.NotebookNode, markers: Markers = Markers()) -> set[str]:
    """Every line students see in the release (hidden tests removed), stripped."""
    released, _ = clear_hidden_tests(markers).preprocess(nbformat.from_dict(master), {})
    return {line.strip() for cell in released.cells for line in cell.source.splitlines()}


def clear_hidden_tests(markers: Markers) -> ClearHiddenTests:
    """nbgrader's own ClearHiddenTests, with the course's markers."""
    return ClearHiddenTests(begin_test_delimeter=markers.hidden_begin, end_test_delimeter=markers.hidden_end)


def hidden_test_lines(master: nbformat.NotebookNode, markers: Markers = Markers()) -> list[str]:
    """Every non-trivial line that only a hidden-test region holds: what feedback must never show.

    A line that students also see, even inside a longer line (e.g. `X = torch.rand(2, 20)` in a
    visible test), is no secret.
    """
    seen, lines = public_lines(master, markers), []
    public_text = "\n".join(seen)
    for cell in master.cells:
        for region in markers.hidden_regions(cell.source):
            for line in region.splitlines()[1:]:
                text = line.strip()
                if (len(text) >= MIN_SECRET_CHARS and not text.startswith("#") and not markers.is_marker_line(text)
                        and text not in public_text and text not in lines):
                    lines.append(text)
    return lines


def course_imports(master: nbformat.NotebookNode) -> list[str]:
    """Modules the instructor's cells import (e.g. torch, d2lblocks): worth importing before any kernel starts."""
    names = []
    for cell in master.cells:
        if cell.cell_type != "code" or utils.is_solution(cell):
            continue
        try:
            tree = ast.parse(cell.source)
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names += [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names.append(node.module)
    return list(dict.fromkeys(names))


def build_master(source_nb: nbformat.NotebookNode, config: Config) -> nbformat.NotebookNode:
    """Apply the release's first steps (solutions cleared, checksums) but keep hidden tests."""
    nb = nbformat.from_dict(source_nb)
    resources: dict = {}
    for pp in (ClearSolutions(config=config), ClearOutput(config=config), ComputeChecksums(config=config)):
        nb, resources = pp.preprocess(nb, resources)
    return nb


def load_course(course_dir: str | Path, assignment_id: str) -> Course:
    """Load `assignment_id` from the course at `course_dir` (see module docstring)."""
    root = Path(course_dir).resolve()
    folder = root / "source" / assignment_id
    notebooks = sorted(folder.glob("*.ipynb")) if folder.is_dir() else []
    if not notebooks:
        raise FileNotFoundError(NO_COURSE.format(course=root, assignment=assignment_id))
    if len(notebooks) > 1:
        raise ValueError(SEVERAL_NOTEBOOKS.format(folder=folder, count=len(notebooks)))
    config = load_config(root)
    master = build_master(nbformat.read(notebooks[0], as_version=4), config)
    assets = {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
              if p.is_file() and p.suffix != ".ipynb" and not any(part.startswith(".") for part in
                                                                  p.relative_to(folder).parts)}
    return Course(root, assignment_id, notebooks[0].name,
                  nbformat.writes(master).encode(), assets, config)
