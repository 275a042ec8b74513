"""The student's notebook gives nothing away: a short setup cell, and no instructor solution and no hint's code
anywhere in either released edition (cells, outputs, metadata). A release that shows one is refused, by the
leak check and by `d2lblocks-grade release`; hint() still gives the concrete fix, after a second failure only.
"""
from __future__ import annotations

import contextlib
import io
import shutil
import subprocess
import sys

import nbformat
import pytest
from project_paths import ROOT

import d2lblocks
from d2lblocks_grade.course.hints import hints_setting, load_hints
from d2lblocks_grade.course.master import load_course
from d2lblocks_grade.course.release import find_release_leaks, solution_lines

COURSE = ROOT / "exercises"
EDITIONS = ("layers-and-blocks", "layers-and-blocks-ja")
HINTS = load_hints(hints_setting(load_course(COURSE, EDITIONS[0]).config))


def paths(edition: str, folder: str):
    return COURSE / folder / edition / f"{edition}.ipynb"


def leaks(edition: str, released: nbformat.NotebookNode) -> list[str]:
    course = load_course(COURSE, edition)
    source = nbformat.read(paths(edition, "source"), as_version=4)
    return find_release_leaks(source, course.master, released, course.markers, HINTS)


def setup_cell(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    (cell,) = [c for c in notebook.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "setup"]
    return cell


def test_the_course_names_its_hints_and_every_one_gives_code_in_both_languages():
    assert {hint.language for hint in HINTS} == {"en", "ja"}
    answer_keys = {"ex1-register", "ex1-loop", "ex2-cat", "ex3-sequential", "ex3-deep", "ex4-buffer"}
    for hint in HINTS:
        if hint.key in answer_keys:
            assert hint.code, f"{hint.key} ({hint.language}) marks no code between backticks"
    japanese = {h.key: h for h in HINTS if h.language == "ja"}
    english = {h.key: h for h in HINTS if h.language == "en"}
    assert all(japanese[key].code == english[key].code for key in english)  # the same code in both languages


@pytest.mark.parametrize("edition", EDITIONS)
def test_the_released_setup_cell_is_a_few_readable_lines(edition):
    released = nbformat.read(paths(edition, "release"), as_version=4)
    lines = setup_cell(released).source.splitlines()
    assert len(lines) < 15
    assert "from d2lblocks.exercises import *" in setup_cell(released).source
    assert ("set_language(\"ja\")" in setup_cell(released).source) == edition.endswith("-ja")


@pytest.mark.parametrize("edition", EDITIONS)
def test_no_solution_line_and_no_hint_appears_anywhere_in_the_release(edition):
    released = nbformat.read(paths(edition, "release"), as_version=4)
    assert leaks(edition, released) == []
    text = nbformat.writes(released)
    for hint in HINTS:
        assert hint.text not in text
        for code in hint.code:
            assert code not in text, (hint.key, code)


@pytest.mark.parametrize("where", ["markdown", "output", "metadata", "setup"])
def test_a_release_showing_a_hint_or_an_answer_is_reported(where):
    released = nbformat.read(paths("layers-and-blocks-ja", "release"), as_version=4)
    code = next(h for h in HINTS if h.key == "ex2-cat" and h.language == "ja").code[0]
    if where == "markdown":
        released.cells.append(nbformat.v4.new_markdown_cell(f"ヒント: `{code}`"))
    elif where == "output":
        cell = setup_cell(released)
        cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=f"fix: {code}\n")]
    elif where == "metadata":
        released.metadata["notes"] = {"ex2": code}
    else:
        setup_cell(released).source += "\nFIXES = " + repr({h.key: h.text for h in HINTS if h.language == "ja"})
    found = leaks("layers-and-blocks-ja", released)
    assert any(line.startswith("hint 'ex2-cat'") and code in line for line in found), found


def test_an_instructor_solution_line_in_a_cell_s_metadata_is_reported():
    source = nbformat.read(paths("layers-and-blocks", "source"), as_version=4)
    released = nbformat.read(paths("layers-and-blocks", "release"), as_version=4)
    line = next(line for line in solution_lines(source) if "register_buffer" in line)
    released.cells[0].metadata["answer"] = line
    assert line in leaks("layers-and-blocks", released)


@pytest.mark.slow
def test_release_refuses_a_source_whose_setup_cell_spells_out_a_fix(tmp_path):
    """Through the CLI: a course whose source still carries a hint exits 1 and names the hint."""
    copy = tmp_path / "course"
    for part in ("source", "verifiers"):
        shutil.copytree(COURSE / part, copy / part, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy2(COURSE / "nbgrader_config.py", copy / "nbgrader_config.py")
    path = paths("layers-and-blocks", "source").relative_to(COURSE)
    notebook = nbformat.read(copy / path, as_version=4)
    hint = next(h for h in HINTS if h.key == "ex4-buffer" and h.language == "en")
    setup_cell(notebook).source += f"\n# Concrete fix: {hint.text}"
    nbformat.write(notebook, copy / path)
    run = subprocess.run([sys.executable, "-m", "d2lblocks_grade.cli", "release", "--course", str(copy),
                          "--assignment", "layers-and-blocks"], capture_output=True, text=True)
    assert run.returncode == 1, run.stdout + run.stderr
    assert "hint 'ex4-buffer' (en)" in run.stderr and "(leaks found)" in run.stdout


@pytest.mark.parametrize("setting, complaint", [
    ("d2lblocks.exercises", "is not an import path"),
    ("no_such_course_library:FIXES", "does not import"),
    ("d2lblocks.exercises:NO_SUCH", "has no NO_SUCH"),
    ("d2lblocks.exercises:__all__", "must be a dict of hint messages"),
])
def test_a_wrong_hints_setting_says_what_to_write(setting, complaint):
    with pytest.raises(ValueError, match=complaint) as error:
        load_hints(setting, "exercises/nbgrader_config.py")
    assert "c.D2lblocksGrade.hints" in str(error.value) and "exercises/nbgrader_config.py" in str(error.value)


def test_hint_gives_the_japanese_concrete_fix_only_after_the_second_failure():
    released = {c.metadata["nbgrader"]["grade_id"]: c.source
                for c in nbformat.read(paths("layers-and-blocks-ja", "release"), as_version=4).cells
                if "nbgrader" in c.metadata}
    answer = (COURSE / "audit" / "ex4_constant" / "wrong_plain_tensor.py").read_text(encoding="utf-8")
    namespace: dict = {"__name__": "__main__"}
    code = next(h for h in HINTS if h.key == "ex4-buffer" and h.language == "ja").code[0]
    try:
        exec(released["setup"], namespace)
        exec(answer, namespace)
        printed = []
        for _ in range(2):
            with contextlib.suppress(AssertionError):
                exec(released["ex4_state_dict"], namespace)
            out = io.StringIO()
            with contextlib.redirect_stdout(out):
                namespace["hint"]("ex4")
            printed.append(out.getvalue())
    finally:
        d2lblocks.set_language(None)
    assert code not in printed[0]
    assert code in printed[1] and "ex4" in printed[1]
    assert any("\u3040" <= ch <= "\u30ff" for ch in printed[1])  # kana: the fix is said in Japanese


