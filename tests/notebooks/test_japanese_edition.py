"""The Japanese edition of the course notebooks (notebooks/ja/): the English code, Japanese prose, one glossary.

The code cells of each Japanese notebook are the English notebook's, byte for byte; only the markdown is
translated. The prose keeps to the glossary in notebooks/ja/GLOSSARY.md (its two tables are read here), to
one register (です/ます) and to the Japanese edition of the book. Executing the notebooks is
tests/notebooks/test_notebooks.py's job: its fixture runs both editions.
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

import nbformat
import pytest

NOTEBOOK_DIR = Path(__file__).resolve().parents[2] / "notebooks"
JA_DIR = NOTEBOOK_DIR / "ja"
GLOSSARY = JA_DIR / "GLOSSARY.md"
sys.path.insert(0, str(NOTEBOOK_DIR))

import clean_notebooks  # noqa: E402
import run_notebooks  # noqa: E402

ENGLISH = sorted(p.name for p in NOTEBOOK_DIR.glob(clean_notebooks.NOTEBOOK_PATTERN))
JAPANESE = sorted(p.name for p in JA_DIR.glob(clean_notebooks.NOTEBOOK_PATTERN))
# The renderings the d2l-ja source mixes in or gets wrong; the glossary must list each one as not used.
KNOWN_BAD = ["画層", "前方伝播", "フォワード伝播", "完全接続", "組み合わせて組み合わせる"]
POLITE_ENDING = re.compile(r"(です|ます|ました|ません|でした|ましょう|でしょう|ください)か?$")
PLAIN_ENDING = re.compile(r"(である|であった|だ|だった|しよう|みよう|できた|後述する)[。！]")
ENGLISH_BOOK = re.compile(r"https?://(?!ja\.d2l\.ai)(?:[\w-]+\.)*d2l\.ai")
KANA = re.compile(r"[\u3040-\u30ff]")


def read(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(path, as_version=4)


def cells(path: Path, cell_type: str) -> list:
    return [c for c in read(path).cells if c.cell_type == cell_type]


def markdown(name: str) -> str:
    return "\n".join(c.source for c in cells(JA_DIR / name, "markdown"))


def all_markdown() -> str:
    return "\n".join(markdown(name) for name in JAPANESE)


def glossary_table(heading: str) -> list[list[str]]:
    """The body rows of the first table under the glossary's section whose heading starts with ``heading``."""
    section = GLOSSARY.read_text(encoding="utf-8").split(f"\n## {heading}", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("|")]
    return [[cell.strip() for cell in row.strip("|").split("|")] for row in rows[2:]]  # after header and rule


def terms() -> list[str]:
    return [row[1] for row in glossary_table("訳語")]


def avoided() -> list[str]:
    return [row[0] for row in glossary_table("使わない表記")]


def prose_sentences(text: str) -> list[str]:
    """The sentences of some markdown that end in 。, without code, math, labels, headings or tables."""
    text = re.sub(r"```.*?```", "", text, flags=re.S)
    lines = [line for line in text.splitlines() if not line.lstrip().startswith(("#", "|"))]
    text = "\n".join(lines)
    text = re.sub(r"`[^`]*`|\$[^$]*\$|\]\([^)]*\)", "", text)
    text = re.sub(r"\*\*[^*]*。\*\*", "", text)  # labels such as **理由。** and exercise titles
    sentences = []
    for raw in text.split("。")[:-1]:
        sentence = raw.strip().lstrip("）)」").strip()
        while sentence.endswith(("）", ")")):  # a closing remark in brackets: the verb comes before it
            opening = max(sentence.rfind("（"), sentence.rfind("("))
            sentence = sentence[:opening].rstrip() if opening > 0 else sentence[:-1]
        sentences.append(sentence.strip("*_「」 \n"))
    return [s for s in sentences if s]


def test_every_english_notebook_has_a_japanese_twin():
    """notebooks/ja holds one translation of each course notebook, under the same file name, and nothing else."""
    assert ENGLISH and JAPANESE == ENGLISH


@pytest.mark.parametrize("name", ENGLISH)
def test_the_code_cells_are_the_english_ones_unchanged(name):
    """Same number, same order, same ids, byte-identical source: only markdown is translated."""
    english, japanese = cells(NOTEBOOK_DIR / name, "code"), cells(JA_DIR / name, "code")
    for index, (en, ja) in enumerate(zip(english, japanese)):
        assert ja.source == en.source, (
            f"ja/{name}: code cell {index} (id {en.id}) differs from the English notebook's; "
            "code cells are copied unchanged, only markdown is translated")
        assert ja.id == en.id, f"ja/{name}: code cell {index} has id {ja.id}, the English one {en.id}"
    assert len(japanese) == len(english), f"ja/{name} has {len(japanese)} code cells, the English one {len(english)}"


@pytest.mark.parametrize("name", ENGLISH)
def test_each_english_markdown_cell_has_a_japanese_translation_at_the_same_place(name):
    """Cell for cell: the same sequence of cell types and ids, and every markdown cell is written in Japanese."""
    english, japanese = read(NOTEBOOK_DIR / name).cells, read(JA_DIR / name).cells
    assert [(c.cell_type, c.id) for c in japanese] == [(c.cell_type, c.id) for c in english]
    untranslated = [c.id for c in japanese if c.cell_type == "markdown" and not KANA.search(c.source)]
    assert untranslated == []


@pytest.mark.parametrize("name", ENGLISH)
def test_each_notebook_names_its_language_in_its_metadata(name):
    """The runner hands this language to the kernel as D2LBLOCKS_LANGUAGE, so the library prints in it."""
    assert clean_notebooks.notebook_language(read(NOTEBOOK_DIR / name)) == "en"
    assert clean_notebooks.notebook_language(read(JA_DIR / name)) == "ja"
    assert read(JA_DIR / name).metadata["d2lblocks"] == {"language": "ja"}


@pytest.mark.parametrize("name", ENGLISH)
def test_the_japanese_notebooks_are_stored_clean(name):
    """Stored as the cleaner writes them, so a change to a translation is a readable diff."""
    stored = (JA_DIR / name).read_text(encoding="utf-8")
    assert stored == clean_notebooks.clean_text(nbformat.reads(stored, as_version=4)), (
        f"ja/{name} is not clean; run: python notebooks/clean_notebooks.py")


def test_the_glossary_lists_the_renderings_the_d2l_ja_source_gets_wrong():
    """画層, 前方伝播, フォワード伝播, 完全接続 and 組み合わせて組み合わせる are each recorded as not used."""
    assert [term for term in KNOWN_BAD if term not in avoided()] == []
    required = {"層", "ブロック", "モジュール", "順伝播", "逆伝播", "全結合層", "パラメータ", "バッファ", "遅延初期化"}
    assert required <= set(terms())
    assert "Errors of the d2l-ja source and how this edition handles them" in GLOSSARY.read_text(encoding="utf-8")


@pytest.mark.parametrize("name", ENGLISH)
def test_no_rendering_the_glossary_rules_out_appears_in_a_japanese_notebook(name):
    """Not in prose, code or metadata: the glossary is the one place in notebooks/ja that names them."""
    nb = read(JA_DIR / name)
    text = "\n".join([c.source for c in nb.cells] + [str(nb.metadata)])
    assert [term for term in avoided() if term in text] == []


def test_every_glossary_term_is_used_in_the_notebooks():
    """A term that is in the glossary but never used is a sign the prose drifted to another rendering."""
    text = all_markdown()
    assert [term for term in terms() if term not in text] == []


@pytest.mark.parametrize("name", ENGLISH)
def test_every_heading_is_well_formed(name):
    """No heading like d2l-ja's `## [概要`: brackets, parentheses and bold markers all close."""
    headings = [line for line in markdown(name).splitlines() if line.startswith("#")]
    assert headings
    broken = [h for h in headings if h.count("[") != h.count("]") or h.count("(") != h.count(")")
              or h.count("（") != h.count("）") or h.count("**") % 2 or not re.match(r"^#{1,6} \S", h)]
    assert broken == []


@pytest.mark.parametrize("name", ENGLISH)
def test_the_prose_keeps_to_the_polite_register(name):
    """Every sentence ends in です/ます form; none in the plain form (である。, だ。) d2l-ja mixes in."""
    text = markdown(name)
    assert PLAIN_ENDING.findall(re.sub(r"`[^`]*`", "", text)) == []
    assert [s[-30:] for s in prose_sentences(text) if not POLITE_ENDING.search(s)] == []


def test_the_register_check_catches_plain_endings():
    """The heuristic above is not vacuous: plain endings fail it, polite ones with asides pass."""
    said = prose_sentences("層はブロックである。これは `x` です（注）。**理由。** 試してみよう。"
                           "表示します（GPU では非同期です）。")
    assert [bool(POLITE_ENDING.search(s)) for s in said] == [False, True, False, True]
    assert PLAIN_ENDING.findall("これを試してみよう。後述する。")


@pytest.mark.parametrize("name", ENGLISH)
def test_links_go_to_the_japanese_book_and_resolve(name):
    """ja.d2l.ai instead of d2l.ai or discuss.d2l.ai; relative links resolve from notebooks/ja."""
    text = markdown(name)
    assert ENGLISH_BOOK.findall(text) == []
    relative = re.findall(r"\]\(([^)#:]+\.(?:ipynb|md))\)", text)
    assert [link for link in relative if not (JA_DIR / link).resolve().is_file()] == []


def test_the_first_notebook_links_the_japanese_book_and_says_where_to_ask():
    """The Japanese edition has no forum of its own: the notebook says so and points to its GitHub issues."""
    text = markdown("01-layers-and-blocks.ipynb")
    assert "https://ja.d2l.ai/" in text and "https://github.com/d2l-ai/d2l-ja/issues" in text
    assert "フォーラム" in text


def test_the_glossary_links_only_the_japanese_book():
    text = GLOSSARY.read_text(encoding="utf-8")
    assert ENGLISH_BOOK.findall(text) == [] and "https://ja.d2l.ai/" in text


def test_the_inverted_d2l_ja_sentence_is_stated_the_right_way_round():
    """Layers are created once, in __init__, and called on every forward pass (d2l-ja says the opposite)."""
    custom_block = next(c.source for c in cells(JA_DIR / "01-layers-and-blocks.ipynb", "markdown") if c.id == "01-06")
    assert "`__init__` の中で一度だけ作られ" in custom_block and "*呼び出されます*" in custom_block


# --- running the Japanese edition ---------------------------------------------------------------

def test_the_course_lists_both_editions_in_reading_order():
    """`make demo` and CI execute the English notebooks, then the Japanese ones."""
    names = [p.relative_to(NOTEBOOK_DIR).as_posix() for p in clean_notebooks.course_notebooks()]
    assert names == ENGLISH + [f"ja/{name}" for name in JAPANESE]


def test_the_kernel_gets_the_notebook_s_language_and_keeps_the_locale(monkeypatch):
    """D2LBLOCKS_LANGUAGE follows the notebook, overriding the caller's; LANG is not touched."""
    monkeypatch.setenv("LANG", "C.UTF-8")
    monkeypatch.setenv("D2LBLOCKS_LANGUAGE", "en")
    env = run_notebooks._kernel_env("ja")
    assert env["D2LBLOCKS_LANGUAGE"] == "ja" and env["LANG"] == "C.UTF-8"
    assert run_notebooks._kernel_env(None)["D2LBLOCKS_LANGUAGE"] == "en"  # a notebook without one: left alone


def test_a_japanese_notebook_is_named_by_its_path_so_editions_do_not_collide():
    assert run_notebooks._run_name(JA_DIR / "02-pitfalls.ipynb") == "ja/02-pitfalls"
    assert run_notebooks._run_name(NOTEBOOK_DIR / "02-pitfalls.ipynb") == "02-pitfalls"


def test_cleaning_keeps_the_edition_language():
    nb = nbformat.v4.new_notebook(metadata={"d2lblocks": {"language": "ja"}, "widgets": {}})
    assert clean_notebooks.clean(nb).metadata["d2lblocks"] == {"language": "ja"}
    assert "widgets" not in clean_notebooks.clean(nb).metadata


@pytest.mark.slow
def test_a_kernel_runs_in_the_notebook_s_folder_with_its_language(tmp_path):
    """A real kernel sees D2LBLOCKS_LANGUAGE from the metadata, the caller's LANG and its own folder as cwd."""
    cell = nbformat.v4.new_code_cell('import os\nprint(os.environ.get("D2LBLOCKS_LANGUAGE"), os.getcwd())')
    nb = nbformat.v4.new_notebook(cells=[cell], metadata={"d2lblocks": {"language": "ja"}})
    path = tmp_path / "ja" / "01-probe.ipynb"
    path.parent.mkdir()
    nbformat.write(nb, path)
    run = run_notebooks.execute_notebook(path)
    language, cwd = run.notebook.cells[0].outputs[0].text.split()
    assert language == "ja" and Path(cwd).resolve() == path.parent.resolve()
