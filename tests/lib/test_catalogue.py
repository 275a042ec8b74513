"""The message catalogue is complete: every message the sources mark has a Japanese translation that keeps its placeholders.

Messages are found the way `make catalogue` finds them: Babel's extractor over the
Makefile's CATALOGUE_DIRS, with its CATALOGUE_KEYWORDS and CATALOGUE_IGNORE, and
babel.cfg's method map.
"""
import configparser
import fnmatch
import os
import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir

import d2lblocks
from d2lblocks._paramtree import _format
from d2lblocks._registration import NOT_A_MODULE
from d2lblocks.i18n import LOCALE_DIR, catalogue_problems, placeholders

ROOT = Path(__file__).resolve().parents[2]
JA = LOCALE_DIR / "ja" / "LC_MESSAGES" / "d2lblocks.po"
EN = LOCALE_DIR / "en" / "LC_MESSAGES" / "d2lblocks.po"


def makefile_setting(name: str) -> list[str]:
    match = re.search(rf"^{name}\s*:=\s*(.+)$", (ROOT / "Makefile").read_text(), re.M)
    assert match, f"the Makefile sets {name}"
    return match.group(1).split()


def method_map() -> tuple[list[tuple[str, str]], dict[str, dict[str, str]]]:
    """babel.cfg's sections, "[python: **.py]", as Babel's (pattern, method) list and options by pattern."""
    config = configparser.ConfigParser()
    config.read(ROOT / "babel.cfg", encoding="utf-8")
    methods, options = [], {}
    for section in config.sections():
        method, pattern = (part.strip() for part in section.split(":", 1))
        methods.append((pattern, method))
        options[pattern] = dict(config[section])
    return methods, options


def extracted_msgids() -> set[str]:
    keywords = {name: None for name in makefile_setting("CATALOGUE_KEYWORDS")}  # None: the first argument
    ignore = makefile_setting("CATALOGUE_IGNORE")
    methods, options = method_map()
    msgids = set()
    for folder in makefile_setting("CATALOGUE_DIRS"):
        if not (ROOT / folder).is_dir():  # exercises/verifiers is extracted once it exists
            continue
        for _, _, message, _, _ in extract_from_dir(
                ROOT / folder, methods, options, keywords=keywords,
                directory_filter=lambda path: not any(fnmatch.fnmatch(os.path.basename(path), p) for p in ignore)):
            msgids.add(message)
    return msgids


@pytest.fixture(scope="module")
def msgids() -> set[str]:
    return extracted_msgids()


def test_extraction_finds_the_library_messages_even_in_underscore_folders(msgids):
    assert NOT_A_MODULE in msgids
    assert _format.BADGE_HELP["shared"] in msgids  # d2lblocks/_paramtree: Babel's default filter skips _folders
    assert len(msgids) > 100


def test_every_marked_message_has_a_japanese_translation_with_the_same_placeholders(msgids):
    assert catalogue_problems(JA, msgids) == []


def test_the_english_catalogue_lists_every_message_too(msgids):
    assert catalogue_problems(EN, msgids, complete=False) == []


def test_the_checker_reports_what_a_translator_still_has_to_do(tmp_path):
    po = tmp_path / "ja.po"
    po.write_text(
        'msgid "called {count}×"\nmsgstr "呼び出し {n} 回"\n\n'
        'msgid "{path}: mean {mean:.4g}"\nmsgstr "{path}: 平均 {mean}"\n\n'
        'msgid "shared"\nmsgstr ""\n\n'
        '#, fuzzy\nmsgid "lazy"\nmsgstr "遅延"\n\n'
        'msgid "reused"\nmsgstr "再利用"\n', encoding="utf-8")
    problems = catalogue_problems(po, ["called {count}×", "{path}: mean {mean:.4g}", "shared", "lazy", "reused",
                                       "frozen"])
    kinds = {msgid: what.split(":")[0] for msgid, what in problems}
    assert kinds == {
        "called {count}×": "placeholders differ",
        "{path}: mean {mean:.4g}": "placeholders differ",  # a format spec is part of the placeholder
        "shared": "untranslated",
        "lazy": "fuzzy",
        "frozen": "missing",
    }
    assert "['count'] in the msgid, ['n'] in '呼び出し {n} 回'" in dict(problems)["called {count}×"]


def test_placeholders_are_compared_as_written_and_escaped_braces_are_not_placeholders():
    assert placeholders("{index!r} of {n:,} in nn.ModuleDict({{...}})") == {"index!r", "n:,"}


def test_the_catalogues_are_the_po_files_with_no_compiled_copy_to_drift(msgids):
    assert sorted(p.name for p in LOCALE_DIR.rglob("*.*")) == ["d2lblocks.po", "d2lblocks.po"]
    assert Path(d2lblocks.__file__).parent / "locale" == LOCALE_DIR


def test_the_catalogues_ship_with_the_package():
    tomllib = pytest.importorskip("tomllib")
    package_data = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    assert "locale/*/LC_MESSAGES/*.po" in package_data["d2lblocks"]
