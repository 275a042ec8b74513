"""The in-notebook tests speak the catalogue: every message the assignment's cells mark with N_ is one
`make catalogue` extracts and the Japanese catalogue translates, so the same test code teaches in English in
layers-and-blocks and in Japanese in layers-and-blocks-ja.

The checks the test cells call live in the course library (d2lblocks/exercises/), so their messages are extracted
from there; a test cell's own messages are shared with the judges (exercises/verifiers/).
"""
from __future__ import annotations

import contextlib
import io
import re

import nbformat
import pytest
from babel.messages.extract import extract_from_dir, extract_python
from project_paths import ROOT

import d2lblocks
from d2lblocks.i18n import LOCALE_DIR, catalogue_problems

COURSE = ROOT / "exercises"
EDITIONS = ("layers-and-blocks", "layers-and-blocks-ja")
HIDDEN = re.compile(r"### BEGIN HIDDEN TESTS\n.*?### END HIDDEN TESTS\n?", re.S)
KANA = re.compile(r"[\u3040-\u30ff]")


def code(edition: str, folder: str = "source") -> dict[str, str]:
    nb = nbformat.read(COURSE / folder / edition / f"{edition}.ipynb", as_version=4)
    return {c.metadata["nbgrader"]["grade_id"]: c.source for c in nb.cells if c.cell_type == "code"}


def marked(source: str) -> list[str]:
    """The string literals passed to N_ in some Python source, as Babel's extractor reads them."""
    return [message for _, _, message, _ in extract_python(io.BytesIO(source.encode()), {"N_": None}, [], {})]


def catalogue_sources() -> set[str]:
    """What `make catalogue` finds in the course library's checks and under exercises/verifiers."""
    return {message for folder in (ROOT / "d2lblocks" / "exercises", COURSE / "verifiers")
            for _, _, message, _, _ in extract_from_dir(folder, [("**.py", "python")], keywords={"N_": None})}


@pytest.mark.parametrize("edition", EDITIONS)
def test_every_message_the_notebook_marks_is_extracted_and_translated(edition):
    messages = [m for source in code(edition).values() for m in marked(source)]
    messages += [m for path in sorted((ROOT / "d2lblocks" / "exercises").glob("*.py")) for m in marked(path.read_text())]
    assert len(messages) > 100  # the checks' messages and the test cells' own
    assert sorted(set(messages) - catalogue_sources()) == []
    assert catalogue_problems(LOCALE_DIR / "ja" / "LC_MESSAGES" / "d2lblocks.po", messages) == []


def failure(edition: str, answer: str, test: str) -> str:
    """The message the release's visible `test` gives for `answer` in the ex2_parallel cell (run in this process)."""
    cells = code(edition, "release")
    namespace: dict = {"__name__": "__main__"}
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            exec(cells["setup"], namespace)
            exec(answer, namespace)
            exec(HIDDEN.sub("", cells[test]), namespace)
    except AssertionError as error:
        return str(error)
    finally:
        d2lblocks.set_language(None)
    raise AssertionError(f"{test} passed")


def test_the_same_visible_test_teaches_in_each_edition_s_language():
    answer = (COURSE / "audit" / "ex2_parallel" / "wrong_stack.py").read_text()
    english, japanese = failure("layers-and-blocks", answer, "ex2_shape"), failure("layers-and-blocks-ja", answer, "ex2_shape")
    assert "stacking puts the two outputs on a new axis" in english and not KANA.search(english)
    assert english.endswith('Stuck after your next try? Run hint("ex2") in a new cell.')
    assert KANA.search(japanese) and "stacking" not in japanese and 'hint("ex2")' in japanese
    assert d2lblocks.get_language() == "en"
