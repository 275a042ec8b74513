"""The Japanese edition of the assignment, layers-and-blocks-ja: the English assignment cell for cell with its
markdown in Japanese, a release that leaks nothing, graded and audited in trusted mode with Japanese teaching
messages, and exported to the LMSs like the English one.

The English assignment stays the course's default (nbgrader_config.py names it), so every command that names
no assignment keeps meaning it.
"""
from __future__ import annotations

import csv
import html
import io
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from project_paths import ASSIGNMENT, COURSE, ROOT
from test_exercises import HIDDEN, SOLUTION, code_lines, nbgrader_meta, notebook

from d2lblocks_grade.audit.bank import fill_release, instructor_solutions, solution_cells
from d2lblocks_grade.audit.trusted import is_current
from d2lblocks_grade.course.locate import assignment_id
from d2lblocks_grade.course.master import load_course
from d2lblocks_grade.course.release import find_release_leaks, release
from d2lblocks_grade.lms.gradebooks import CANVAS_COLUMNS, MOODLE_COLUMNS
from d2lblocks_grade.records.export import TOTAL_COLUMNS

JA = "layers-and-blocks-ja"
EN_SOURCE = COURSE / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
EN_RELEASE = COURSE / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
JA_SOURCE = COURSE / "source" / JA / f"{JA}.ipynb"
JA_RELEASE = COURSE / "release" / JA / f"{JA}.ipynb"
GLOSSARY = ROOT / "notebooks" / "ja" / "GLOSSARY.md"
WRONG_ANSWER = COURSE / "audit" / "ex1_sequential" / "wrong_python_list.py"

# The one line of code the Japanese edition adds, right after the setup cell's import of the course library.
IMPORT_LINE = "import d2lblocks as reference  # the course library: the tests compare your blocks with it\n"
LANGUAGE_LINE = 'reference.set_language("ja")  # the course library\'s messages in Japanese\n'
KANA = re.compile(r"[\u3040-\u30ff]")
# Renderings the glossary rules out (its table "使わない表記" is read below); these four at the least.
KNOWN_BAD = ("画層", "前方伝播", "フォワード伝播", "完全接続")
PLAIN_ENDING = re.compile(r"(である|であった|だ|だった|しよう|みよう|できた|後述する)[。！]")
NOTEBOOK_PATH = re.compile(r"notebooks/[\w./-]+\.ipynb")


def avoided() -> list[str]:
    """The first column of the glossary's table of renderings the Japanese edition does not use."""
    section = GLOSSARY.read_text(encoding="utf-8").split("\n## 使わない表記", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("|")][2:]  # after header and rule
    return [row.strip("|").split("|")[0].strip() for row in rows]


def test_the_course_default_is_still_the_english_assignment():
    """Two assignments now; commands without --assignment (and nbgrader's own) mean the English one."""
    assert sorted(p.name for p in (COURSE / "source").iterdir() if p.is_dir()) == [ASSIGNMENT, JA]
    assert assignment_id(COURSE, None) == ASSIGNMENT
    assert assignment_id(COURSE, JA) == JA


# --- the source: the English cells, Japanese prose ---------------------------------------------------------------

def test_the_japanese_source_is_the_english_one_cell_for_cell():
    """Same cells in the same order with the same ids and nbgrader metadata; code byte for byte, but for the
    setup cell's one line that makes the course library speak Japanese."""
    en, ja = notebook(EN_SOURCE), notebook(JA_SOURCE)
    assert len(ja.cells) == len(en.cells)
    for mine, theirs in zip(ja.cells, en.cells):
        assert (mine.get("id"), mine.cell_type, mine.metadata) == (theirs.get("id"), theirs.cell_type, theirs.metadata)
        if mine.cell_type == "code" and nbgrader_meta(mine)["grade_id"] != "setup":
            assert mine.source == theirs.source, nbgrader_meta(mine)["grade_id"]
    (setup_ja,) = [c for c in ja.cells if nbgrader_meta(c).get("grade_id") == "setup"]
    (setup_en,) = [c for c in en.cells if nbgrader_meta(c).get("grade_id") == "setup"]
    assert setup_en.source.count(IMPORT_LINE) == 1
    assert setup_ja.source == setup_en.source.replace(IMPORT_LINE, IMPORT_LINE + LANGUAGE_LINE)
    assert ja.metadata["d2lblocks"] == {"verifier": "layers_and_blocks", "language": "ja"}
    assert {k: v for k, v in ja.metadata.items() if k != "d2lblocks"} == \
        {k: v for k, v in en.metadata.items() if k != "d2lblocks"}
    assert load_course(COURSE, JA).language == "ja" and load_course(COURSE, ASSIGNMENT).language == "en"


def test_every_markdown_cell_is_translated_into_the_glossary_s_japanese():
    """Each markdown cell differs from the English one and is Japanese, in です/ます, with the glossary's terms;
    the notebooks it points at are the Japanese ones, and they exist."""
    en, ja = notebook(EN_SOURCE), notebook(JA_SOURCE)
    pairs = [(mine, theirs) for mine, theirs in zip(ja.cells, en.cells) if mine.cell_type == "markdown"]
    assert len(pairs) == 8
    for mine, theirs in pairs:
        assert mine.source != theirs.source and KANA.search(mine.source), nbgrader_meta(mine)["grade_id"]
    prose = "\n".join(mine.source for mine, _ in pairs)
    assert set(KNOWN_BAD) <= set(avoided())
    assert [term for term in avoided() if term in prose] == []
    assert PLAIN_ENDING.findall(re.sub(r"`[^`]*`", "", prose)) == []
    paths = set(NOTEBOOK_PATH.findall(prose))
    assert paths == {"notebooks/ja/01-layers-and-blocks.ipynb", "notebooks/ja/02-pitfalls.ipynb"}
    assert all((ROOT / path).is_file() for path in paths)
    # The Tower code of the written question is the English question's, character for character.
    tower = re.compile(r"```python\n.*?```", re.S)
    (about_ja,) = [m for m, _ in pairs if nbgrader_meta(m)["grade_id"] == "about_ex1_explain"]
    (about_en,) = [t for _, t in pairs if nbgrader_meta(t)["grade_id"] == "about_ex1_explain"]
    assert tower.findall(about_ja.source) == tower.findall(about_en.source) != []


def test_the_intro_says_the_in_notebook_messages_are_japanese():
    """The in-notebook tests and hint() speak Japanese; only stock nbgrader's record of the hidden tests may keep
    English sentences: the students are told, in Japanese."""
    intro = notebook(JA_SOURCE).cells[0].source
    assert "`hint` の表示は日本語です" in intro and "隠されたテスト" in intro and "英語の文が残る" in intro
    assert "英語です" not in intro
    assert "The Sequential block" in intro and "Sequential ブロック" in intro  # the sections, side by side


# --- the release ----------------------------------------------------------------------------------------------------

def test_the_japanese_release_is_current_and_leaks_nothing():
    """The committed release is what nbgrader makes of the source now, and holds no line of a solution or of a
    hidden test; the written answer is the stub."""
    course = load_course(COURSE, JA)
    source, released = notebook(JA_SOURCE), notebook(JA_RELEASE)
    assert is_current(released, course), f"exercises/release/{JA} is stale: run `d2lblocks-grade release --assignment {JA}`"
    assert find_release_leaks(source, course.master, released, course.markers) == []
    text = "\n".join(cell.source for cell in released.cells)
    assert "BEGIN SOLUTION" not in text and "HIDDEN TESTS" not in text
    released_lines = {line.strip() for line in text.splitlines()}
    public = {line.strip() for cell in source.cells for line in HIDDEN.sub("", SOLUTION.sub("", cell.source)).splitlines()
              if not (nbgrader_meta(cell).get("solution") and cell.cell_type == "markdown")}
    for cell in source.cells:
        secret = "\n".join(SOLUTION.findall(cell.source) + HIDDEN.findall(cell.source))
        assert not (code_lines(secret) & released_lines) - public
    explain = solution_cells(source)["ex1_explain"].source
    assert solution_cells(released)["ex1_explain"].source.strip() == "YOUR ANSWER HERE"
    assert not code_lines(explain) & released_lines


def test_the_japanese_release_is_the_english_release_with_japanese_prose():
    """Students of both editions get the same stubs and visible tests."""
    en, ja = notebook(EN_RELEASE), notebook(JA_RELEASE)
    assert [nbgrader_meta(c).get("grade_id") for c in ja.cells] == [nbgrader_meta(c).get("grade_id") for c in en.cells]
    for mine, theirs in zip(ja.cells, en.cells):
        if mine.cell_type == "code":
            assert mine.source == theirs.source.replace(IMPORT_LINE, IMPORT_LINE + LANGUAGE_LINE)


@pytest.mark.slow
def test_releasing_again_reproduces_the_committed_release(tmp_path):
    """`d2lblocks-grade release` runs nbgrader with --assignment, which nbgrader accepts although the course's
    config names a default assignment; the release it makes is the committed one."""
    copy = tmp_path / "course"
    for part in ("source", "verifiers"):
        shutil.copytree(COURSE / part, copy / part, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy2(COURSE / "nbgrader_config.py", copy / "nbgrader_config.py")
    folder, leaks = release(copy, JA)
    assert leaks == []
    assert (folder / f"{JA}.ipynb").read_bytes() == JA_RELEASE.read_bytes()


# --- grading in trusted mode ----------------------------------------------------------------------------------------

@pytest.mark.slow
def test_the_audit_passes_on_the_japanese_assignment_in_trusted_mode():
    """Every wrong answer of the bank caught with a teaching message, in Japanese; every right one given full marks."""
    from d2lblocks_grade.audit.report import format_table
    from d2lblocks_grade.audit.run import run_audit

    report = run_audit(COURSE, assignment=JA)
    assert report.grader.startswith("trusted mode")
    assert report.ok, format_table(report)
    messages = [score.message for result in report.results for score in result.failed]
    assert len(messages) > 20
    assert [message for message in messages if not KANA.search(message)] == []


def _cli(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "d2lblocks_grade.cli", *map(str, args)],
                          capture_output=True, text=True, timeout=600)


HONEST = f"doejane_12345_67890_{JA}.ipynb"                  # a Canvas download: student doejane, user 12345
WRONG = f"Ann Lee_731_assignsubmission_file_/{JA}.ipynb"    # a Moodle download: participant 731


@pytest.fixture(scope="module")
def ja_class(tmp_path_factory) -> Path:
    """Two students of the Japanese assignment graded by `d2lblocks-grade autograde`: the instructor's
    solution, and the same with a Python list in MySequential."""
    tmp = tmp_path_factory.mktemp("ja-class")
    released, source = notebook(JA_RELEASE), notebook(JA_SOURCE)
    solutions = instructor_solutions(source)
    answers = {HONEST: solutions, WRONG: {**solutions, "ex1_sequential": WRONG_ANSWER.read_text()}}
    for name, answer in answers.items():
        (tmp / "subs" / name).parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(fill_release(released, answer), tmp / "subs" / name)
    out = tmp / "out"
    run = _cli("autograde", tmp / "subs", "--course", COURSE, "--assignment", JA, "--out", out,
               "--db", f"sqlite:///{out / 'gradebook.db'}", "--quiet")
    assert run.returncode == 0, run.stderr
    return out


def _export(out: Path, *args) -> subprocess.CompletedProcess:
    """`d2lblocks-grade export` of the Japanese assignment from the class's own gradebook, to stdout."""
    return _cli("export", "--course", COURSE, "--assignment", JA, "--out", out, "--db", f"sqlite:///{out / 'gradebook.db'}",
                "--to", "-", *args)


def _grades(out: Path) -> dict[tuple[str, str], dict]:
    with open(out / "grades.csv", newline="", encoding="utf-8") as handle:
        return {(row["student"], row["grade_id"]): row for row in csv.DictReader(handle)}


@pytest.mark.slow
def test_the_honest_submission_gets_every_automatic_point(ja_class):
    rows = [row for (student, _), row in _grades(ja_class).items() if student == "doejane"]
    tests = [row for row in rows if row["grade_id"] != "ex1_explain"]
    assert len(tests) == 16
    assert [row for row in tests if row["score"] != row["max_score"] or row["reason"]] == []
    (written,) = [row for row in rows if row["grade_id"] == "ex1_explain"]
    assert written["status"] == "needs-grading" and KANA.search(written["reason"])


@pytest.mark.slow
def test_a_wrong_answer_is_taught_in_japanese_in_the_grades_and_on_the_feedback_page(ja_class):
    grades = _grades(ja_class)
    row = grades["Ann_Lee", "ex1_parameters"]
    assert (row["score"], row["max_score"], row["status"]) == ("0", "1", "graded")
    assert row["reason"].startswith("AssertionError: ")
    message = row["reason"].removeprefix("AssertionError: ")
    assert KANA.search(message), f"the teaching message is not Japanese: {message}"
    assert "self.blocks" in message and "list" in message  # it names the attribute and what it is
    others = [(key, r["score"]) for key, r in grades.items() if key[0] == "Ann_Lee" and not key[1].startswith("ex1_")]
    assert others and all(score == "1" for _, score in others)  # the other exercises are untouched
    page = (ja_class / "feedback" / "Ann_Lee" / JA / f"{JA}.html").read_text(encoding="utf-8")
    assert '<html lang="ja"' in page
    shown = html.unescape(page)
    assert message.splitlines()[0] in shown
    assert "演習 1：`MySequential`" in shown or "演習 1：<code>MySequential</code>" in shown


@pytest.mark.slow
def test_lms_exports_map_the_japanese_assignment_like_the_english_one(ja_class, tmp_path):
    """Canvas, Moodle and the generic totals: the English assignment's columns, with the Japanese assignment's name."""
    canvas = _export(ja_class, "--format", "canvas")
    assert canvas.returncode == 0, canvas.stderr
    rows = list(csv.reader(io.StringIO(canvas.stdout)))
    assert rows[0] == [*CANVAS_COLUMNS, JA]
    assert rows[1][0] == "Points Possible" and rows[1][-1] == "18"
    assert ["doejane", "12345", "", "", "", "16"] in rows
    # A Canvas gradebook holding both editions: each maps to its own column.
    roster = tmp_path / "canvas.csv"
    roster.write_text("Student,ID,SIS User ID,SIS Login ID,Section,Layers and Blocks (98765),Layers and Blocks JA (98766)\n"
                      "    Points Possible,,,,,18,18\n\"Doe, Jane\",12345,S1,jdoe,Section 01,,\n")
    mapped = _export(ja_class, "--format", "canvas", "--roster", roster)
    assert mapped.returncode == 0, mapped.stderr
    rows = list(csv.reader(io.StringIO(mapped.stdout)))
    assert rows[0] == [*CANVAS_COLUMNS, "Layers and Blocks JA (98766)"]
    assert ["Doe, Jane", "12345", "S1", "jdoe", "Section 01", "16"] in rows
    moodle = _export(ja_class, "--format", "moodle")
    assert moodle.returncode == 0, moodle.stderr
    (participant,) = list(csv.DictReader(io.StringIO(moodle.stdout)))
    assert list(participant) == list(MOODLE_COLUMNS)
    assert (participant["Identifier"], participant["Full name"], participant["Grade"]) == ("Participant 731", "Ann Lee", "13")
    generic = _export(ja_class)
    assert generic.returncode == 0, generic.stderr
    lines = generic.stdout.splitlines()
    assert lines[0] == ",".join(TOTAL_COLUMNS)
    assert any(line.startswith("doejane,12345,16,18,") for line in lines)
