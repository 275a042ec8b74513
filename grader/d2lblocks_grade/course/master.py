"""Read the nbgrader course: the master notebook to grade against, the release's assets, and its settings.

The master is what stock nbgrader grades with: the instructor's source notebook
after `ClearSolutions` (so an untouched answer cell has the release's checksum)
but *before* `ClearHiddenTests` (so the hidden tests run).

The course's ``nbgrader_config.py`` is read through traitlets' own loader and
nbgrader's own traits, so a setting means here what it means to ``nbgrader``:
the solution and hidden-test delimiters, ``CourseDirectory.course_id``,
``CourseDirectory.db_url``, ``ExecutePreprocessor.timeout`` (or ``Execute.timeout``)
and the late-submission plugin (``AssignLatePenalties.plugin_class``,
``LateSubmissionPlugin.penalty_method``; see ``records.late``). A command-line
option given by the instructor wins over the file.

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
from nbgrader.preprocessors import ClearHiddenTests, ClearOutput, ClearSolutions, ComputeChecksums, Execute
from traitlets import TraitError
from traitlets.config import Config
from traitlets.config.loader import PyFileConfigLoader

from d2lblocks.i18n import LANGUAGES
from d2lblocks_grade.datatypes import VerifierFiles
from d2lblocks_grade.notebook_cells import Markers, test_ids
from d2lblocks_grade.verify.course_verifier import read_verifier

NO_COURSE = ("No nbgrader course at {course}: expected {course}/source/{assignment}/ holding the "
             "instructor's notebook. Pass --course DIR (the folder with nbgrader_config.py) and "
             "--assignment ID.")
SEVERAL_NOTEBOOKS = ("{folder} holds {count} notebooks; this grader handles assignments of one "
                     "notebook. Keep one, or pass --assignment for another assignment.")
BROKEN_CONFIG = ("{path} could not be read: {error}. Fix that line (nbgrader itself reads the same file); "
                 "`python {path}` shows the error too")
BAD_TIMEOUT = ("{path} sets the cell timeout (ExecutePreprocessor.timeout) to {value!r}; this grader needs a "
               "number of seconds above 0 (nbclient's -1 or None would let an endless loop hold a worker "
               "forever). Set e.g. c.ExecutePreprocessor.timeout = 60, or pass --cell-timeout S")
BAD_SETTING = "{path}: {name} = {value!r} is not usable: {error}. Fix it in the file or override it on the command line"
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
    verifier: VerifierFiles | None = None  # the course's checks (trusted mode), when the assignment names them

    @property
    def language(self) -> str:
        """The language of the assignment's messages: its notebook's metadata.d2lblocks.language, else English."""
        meta = self.master.get("metadata", {}).get("d2lblocks", {})
        language = meta.get("language") if isinstance(meta, dict) else None
        return language if language in LANGUAGES else "en"

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
    def settings(self) -> "CourseSettings":
        """What the course's nbgrader_config.py sets for grading (see `course_settings`)."""
        return course_settings(self.config, self.root)


@dataclass(frozen=True)
class CourseSettings:
    """The grading settings an nbgrader_config.py holds; None where the file leaves a setting to the grader."""

    course_id: str
    markers: Markers
    cell_timeout_s: float | None  # ExecutePreprocessor.timeout / Execute.timeout, if the file sets one
    db_url: str | None  # CourseDirectory.db_url, if the file sets one


def load_config(course_dir: Path) -> Config:
    """The course's nbgrader_config.py as a traitlets Config (empty if there is none).

    A file that does not run (a syntax error, a NameError) is reported with its path and the error.
    """
    course_dir = Path(course_dir)
    if not (course_dir / "nbgrader_config.py").exists():
        return Config()
    try:
        return PyFileConfigLoader("nbgrader_config.py", path=str(course_dir)).load_config()
    except Exception as error:  # the file is Python the instructor wrote: anything can go wrong in it
        raise ValueError(BROKEN_CONFIG.format(path=course_dir / "nbgrader_config.py",
                                              error=f"{type(error).__name__}: {error}")) from None


def _set_in(config: Config, section: str, name: str) -> bool:
    return name in config.get(section, {})


def course_settings(config: Config, root: Path | None = None) -> CourseSettings:
    """Read `config` through nbgrader's own traits; a bad value is an error naming the setting and the fix."""
    path = (root / "nbgrader_config.py") if root is not None else "nbgrader_config.py"
    timeout: float | None = None
    if _set_in(config, "ExecutePreprocessor", "timeout") or _set_in(config, "Execute", "timeout"):
        try:
            value = Execute(config=config).timeout
        except TraitError as error:
            raise ValueError(BAD_SETTING.format(path=path, name="ExecutePreprocessor.timeout",
                                                value=config.get("ExecutePreprocessor", {}).get("timeout"),
                                                error=error)) from None
        if value is None or value <= 0:
            raise ValueError(BAD_TIMEOUT.format(path=path, value=value))
        timeout = float(value)
    try:
        markers = Markers.from_config(config)
    except TraitError as error:
        raise ValueError(BAD_SETTING.format(path=path, name="a solution or hidden-test delimiter",
                                            value="...", error=error)) from None
    for name, value in (("ClearSolutions.begin_solution_delimeter", markers.solution_begin),
                        ("ClearSolutions.end_solution_delimeter", markers.solution_end),
                        ("ClearHiddenTests.begin_test_delimeter", markers.hidden_begin),
                        ("ClearHiddenTests.end_test_delimeter", markers.hidden_end)):
        if not value.strip():
            raise ValueError(BAD_SETTING.format(path=path, name=name, value=value,
                                                error="an empty delimiter would match every line"))
    directory = config.get("CourseDirectory", {})
    db_url = directory.get("db_url") or None
    if db_url is not None and not isinstance(db_url, str):
        raise ValueError(BAD_SETTING.format(path=path, name="CourseDirectory.db_url", value=db_url,
                                            error="it must be a database URL such as sqlite:///gradebook.db"))
    course_id = directory.get("course_id", "") or ""
    return CourseSettings(str(course_id).strip(), markers, timeout, db_url)


def public_lines(master: nbformat.NotebookNode, markers: Markers = Markers()) -> set[str]:
    """Every line students see in the release (hidden tests removed), stripped."""
    released, _ = clear_hidden_tests(markers).preprocess(nbformat.from_dict(master), {})
    return {line.strip() for cell in released.cells for line in cell.source.splitlines()}


def clear_hidden_tests(markers: Markers) -> ClearHiddenTests:
    """nbgrader's own ClearHiddenTests, with the course's markers."""
    return markers.clear_hidden_tests()


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
    """Modules the instructor's cells import (e.g. torch): worth importing before any kernel starts (the
    fork server leaves out the course library, which kernels must not have)."""
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


def load_course(course_dir: str | Path, assignment_id: str, prepared: bool = False) -> Course:
    """Load `assignment_id` from the course at `course_dir` (see module docstring).

    `prepared`: the notebook under source/ already is a master (solutions cleared, as in a Gradescope
    bundle), so it is taken as it is; clearing it again would replace whole answer cells by the stub.
    """
    root = Path(course_dir).resolve()
    folder = root / "source" / assignment_id
    notebooks = sorted(folder.glob("*.ipynb")) if folder.is_dir() else []
    if not notebooks:
        raise FileNotFoundError(NO_COURSE.format(course=root, assignment=assignment_id))
    if len(notebooks) > 1:
        raise ValueError(SEVERAL_NOTEBOOKS.format(folder=folder, count=len(notebooks)))
    config = load_config(root)
    source = nbformat.read(notebooks[0], as_version=4)
    master = source if prepared else build_master(source, config)
    assets = {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
              if p.is_file() and p.suffix != ".ipynb" and not any(part.startswith(".") for part in
                                                                  p.relative_to(folder).parts)}
    return Course(root, assignment_id, notebooks[0].name,
                  nbformat.writes(master).encode(), assets, config, read_verifier(root, master))
