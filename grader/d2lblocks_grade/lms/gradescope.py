"""A Gradescope autograder bundle that grades one submission with this grader, and its results.json.

``d2lblocks-grade export --format gradescope`` writes a zip to upload as a Gradescope
"Programming Assignment" autograder. Gradescope unpacks it into ``/autograder/source``, runs
``setup.sh`` once when it builds the image, and ``run_autograder`` for each submission, which
grades ``/autograder/submission`` and writes ``/autograder/results/results.json``.

The zip holds:

    setup.sh, run_autograder      Gradescope's two entry points
    requirements.txt              the grader's dependencies (torch comes from PyTorch's CPU index)
    python/                       this grader and the d2lblocks library, as installed here
    course/                       nbgrader_config.py (and plugin modules beside it) and the master
                                  notebook (solutions cleared, hidden tests kept) with the assets

No solution travels: the master is what the grader grades against. Each autograded test becomes
one Gradescope test (``score``, ``max_score``, ``name``, ``output`` = the teaching message); a
test made only of hidden code is ``"visibility": "after_due_date"``. Answers graded by hand are
left to a Gradescope manual question. The late penalty (due date and submission time from
Gradescope's ``submission_metadata.json``) is taken off the top-level ``score``.

``AUTOGRADER_ROOT`` relocates ``/autograder`` (for a local trial run) and ``PYTHON`` picks the
interpreter.

Example::

    >>> write_bundle(load_course("exercises", "layers-and-blocks"), Path("autograder.zip"))  # doctest: +SKIP
"""
from __future__ import annotations

import importlib.metadata
import io
import json
import re
import zipfile
from datetime import datetime, timezone
from pathlib import Path

import nbformat
from nbgrader import utils

from d2lblocks_grade.course.master import Course
from d2lblocks_grade.notebook_cells import Markers, grade_id, is_test_cell

VISIBILITIES = ("hidden", "after_due_date", "after_published", "visible")
HIDDEN_UNTIL_DUE = "after_due_date"
NOT_A_ZIP = "--to {path}: a Gradescope autograder is a .zip file; name the output e.g. autograder.zip"
PACKAGES = ("d2lblocks", "d2lblocks_grade")
# torch comes from PyTorch's own CPU index in setup.sh (Gradescope's machines have no GPU).
NOT_FROM_PYPI = {"torch"}

SETUP_SH = """#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder image.
set -euo pipefail
apt-get update
DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends python3 python3-venv python3-pip bubblewrap
python3 -m venv /autograder/venv
/autograder/venv/bin/pip install --upgrade pip
/autograder/venv/bin/pip install --index-url https://download.pytorch.org/whl/cpu "{torch}"
/autograder/venv/bin/pip install -r /autograder/source/requirements.txt
"""

RUN_AUTOGRADER = """#!/usr/bin/env bash
# Gradescope runs this for each submission: grade ROOT/submission, write ROOT/results/results.json.
set -u
ROOT="${{AUTOGRADER_ROOT:-/autograder}}"
SOURCE="$ROOT/source"
export PYTHONPATH="$SOURCE/python${{PYTHONPATH:+:$PYTHONPATH}}"
export MPLBACKEND=Agg
exec "${{PYTHON:-/autograder/venv/bin/python}}" -m d2lblocks_grade.lms.gradescope_run \\
    --root "$ROOT" --course "$SOURCE/course" --assignment {assignment}
"""


def hidden_only_tests(master: nbformat.NotebookNode, markers: Markers) -> set[str]:
    """Tests whose every line of code sits in a hidden region: students learn of them after the due date."""
    hidden = set()
    for cell in master.cells:
        gid = grade_id(cell)
        if not gid or not is_test_cell(cell) or not markers.hidden_regions(cell.source):
            continue
        visible = markers.hide_tests(cell.source, "")
        if not [line for line in visible.splitlines() if line.strip() and not line.strip().startswith("#")]:
            hidden.add(gid)
    return hidden


def requirements() -> list[str]:
    """The grader's runtime requirements (base and `grade` extra) as this installation declares them."""
    declared = importlib.metadata.requires("d2lblocks") or []
    out = []
    for requirement in declared:
        spec, _, marker = requirement.partition(";")
        name = re.split(r"[<>=!~\[ ]", spec.strip(), maxsplit=1)[0].lower()
        if marker.strip() and "extra" in marker and '"grade"' not in marker and "'grade'" not in marker:
            continue
        if name not in NOT_FROM_PYPI:
            out.append(spec.strip())
    for needed in ("matplotlib", "jinja2", "mistune"):  # the feedback page and pictures, whatever the metadata says
        if not any(r.lower().startswith(needed) for r in out):
            out.append(needed)
    return out


def torch_requirement() -> str:
    try:
        return "torch==" + importlib.metadata.version("torch").split("+", 1)[0]
    except importlib.metadata.PackageNotFoundError:
        return "torch"


def _package_files(name: str):
    module = __import__(name)
    root = Path(str(module.__file__)).parent
    for path in sorted(root.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts and path.suffix not in (".pyc", ".pyo"):
            yield path, f"python/{name}/{path.relative_to(root).as_posix()}"


def _course_files(course: Course):
    """(archive name, bytes) of the course as the bundle carries it: config, plugin modules, master, assets."""
    config = course.root / "nbgrader_config.py"
    if config.exists():
        yield "course/nbgrader_config.py", config.read_bytes()
    for module in sorted(course.root.glob("*.py")):  # late-penalty plugins live beside the config
        if module.name != "nbgrader_config.py":
            yield f"course/{module.name}", module.read_bytes()
    if course.verifier is not None:  # the checks that judge the tests outside the kernel
        for rel, data in sorted(course.verifier.files.items()):
            yield f"course/verifiers/{course.verifier.name}/{rel}", data
    folder = f"course/source/{course.assignment_id}"
    yield f"{folder}/{course.notebook_name}", course.master_bytes  # solutions cleared, hidden tests kept
    for rel, data in sorted(course.assets.items()):
        yield f"{folder}/{rel}", data


def write_bundle(course: Course, path: str | Path) -> Path:
    """Write the Gradescope autograder zip for `course` to `path`; returns the path."""
    path = Path(path)
    if path.suffix.lower() != ".zip":
        raise ValueError(NOT_A_ZIP.format(path=path))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        def add(name: str, data: bytes, executable: bool = False) -> None:
            info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
            info.external_attr = (0o100755 if executable else 0o100644) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)

        add("setup.sh", SETUP_SH.format(torch=torch_requirement()).encode(), executable=True)
        add("run_autograder", RUN_AUTOGRADER.format(assignment=course.assignment_id).encode(), executable=True)
        add("requirements.txt", ("\n".join(requirements()) + "\n").encode())
        add("bundle.json", json.dumps({"assignment": course.assignment_id, "notebook": course.notebook_name,
                                       "made": datetime.now(timezone.utc).isoformat(timespec="seconds")},
                                      indent=1).encode())
        for name in PACKAGES:
            for file, arcname in _package_files(name):
                add(arcname, file.read_bytes())
        for arcname, data in _course_files(course):
            add(arcname, data)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(buffer.getvalue())
    return path


def results_json(rows: list[dict], info: dict, master: nbformat.NotebookNode, markers: Markers,
                 hidden_lines: list[str], execution_time: float = 0.0) -> dict:
    """Gradescope's results.json for one graded student (grades.csv-style `rows`, gradebook `info`)."""
    hidden = hidden_only_tests(master, markers)
    points = {grade_id(c): float(c.metadata.nbgrader.get("points", 0)) for c in master.cells if utils.is_grade(c)}
    tests, manual = [], []
    for row in rows:
        if row.get("kind") == "manual":
            manual.append(f"{row['grade_id']} ({points.get(row['grade_id'], row['max_score']):g} points)")
            continue
        score = float(row["score"] or 0.0)
        message = row["reason"] or ("passed" if score >= row["max_score"] else "")
        for line in hidden_lines:  # a message never quotes a hidden test
            message = message.replace(line, "[hidden test redacted]")
        tests.append({"name": row["grade_id"], "score": score, "max_score": float(row["max_score"]),
                      "status": "passed" if score >= row["max_score"] else "failed", "output": message,
                      "visibility": HIDDEN_UNTIL_DUE if row["grade_id"] in hidden else "visible"})
    raw = sum(t["score"] for t in tests)
    penalty = min(float(info.get("late_penalty") or 0.0), raw)
    lines = []
    if info.get("status") not in (None, "", "graded"):
        lines.append(f"{info['status']}: {info.get('reason', '')}")
    if penalty:
        lines.append(f"Late penalty: {penalty:g} point(s) taken off {raw:g}.")
    if manual:
        lines.append("Graded by hand, not here: " + ", ".join(manual) + ".")
    return {"score": raw - penalty, "execution_time": round(execution_time, 1), "output": "\n".join(lines),
            "visibility": "visible", "stdout_visibility": "hidden", "tests": tests}
