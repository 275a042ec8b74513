"""Every student-facing text of d2lblocks, in English and Japanese, from one message catalogue.

``set_language("ja")`` turns errors, printouts and the parameter tree Japanese;
``set_language(None)`` follows ``D2LBLOCKS_LANGUAGE``, then the locale (``LANGUAGE``,
``LC_ALL``, ``LC_MESSAGES``, ``LANG``), then English.

The ``.po`` files in ``d2lblocks/locale`` are the single source of truth: Babel reads one
the first time its language is needed and the standard ``gettext`` module serves it, so
no compiled ``.mo`` file can fall out of step with them. Code marks a message with ``N_``
where it is written (a module constant) and renders it with ``translate`` when it is
shown, so an error speaks the language in force when it is raised.

Example::

    >>> from d2lblocks.i18n import N_, Message, translate
    >>> SHARED = N_("shared")
    >>> translate(SHARED, "ja"), translate(SHARED, "en")
    ('共有', 'shared')
    >>> Message(N_("called {count}×"), {"count": 2}).render("ja")
    '呼び出し 2 回'
"""
from __future__ import annotations

import io
import os
import string
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from gettext import GNUTranslations, NullTranslations
from pathlib import Path
from typing import Any

DOMAIN = "d2lblocks"
LANGUAGES = ("en", "ja")
LOCALE_DIR = Path(__file__).resolve().parent / "locale"
# The order the gettext module itself consults them in.
LOCALE_VARIABLES = ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")


def N_(msgid: str) -> str:
    """Mark ``msgid`` for the catalogue (``make catalogue`` finds it); returns it unchanged."""
    return msgid


UNSUPPORTED = N_("{function}({value!r}): supported languages are 'en' and 'ja'; pass one of them, or None to follow "
                 "the locale")

_chosen: str | None = None


def set_language(lang: str | None) -> None:
    """Speak ``lang`` ("en" or "ja") from now on; ``None`` goes back to the environment and the locale.

    Example::

        >>> import d2lblocks
        >>> d2lblocks.set_language("ja"); d2lblocks.get_language()
        'ja'
        >>> d2lblocks.set_language(None)
    """
    global _chosen
    _chosen = None if lang is None else _checked(lang, "set_language")


def get_language() -> str:
    """The language in force: ``set_language``'s, else ``D2LBLOCKS_LANGUAGE``'s, else the locale's, else "en"."""
    if _chosen is not None:
        return _chosen
    # An unsupported D2LBLOCKS_LANGUAGE is passed over rather than raised: it would fail every message.
    chosen = _supported(os.environ.get("D2LBLOCKS_LANGUAGE", ""))
    if chosen:
        return chosen
    for name in LOCALE_VARIABLES:
        value = os.environ.get(name)
        if value:  # the first one set is the locale; LANGUAGE may list several, "ja:en"
            return next(filter(None, map(_supported, value.split(":"))), "en")
    return "en"


def _supported(value: str) -> str | None:
    """``'ja_JP.UTF-8'`` -> ``'ja'``; ``None`` for a language without a catalogue (``'C'``, ``'fr_FR'``)."""
    code = value.strip().split(".")[0].split("@")[0].replace("-", "_").split("_")[0].lower()
    return code if code in LANGUAGES else None


def _checked(lang: str, function: str) -> str:
    if lang not in LANGUAGES:
        raise ValueError(translate(UNSUPPORTED, function=function, value=lang))
    return lang


@lru_cache(maxsize=None)
def _catalogue(lang: str) -> NullTranslations:
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    path = LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
    if not path.is_file():
        return NullTranslations()
    with path.open("rb") as po:
        catalog = read_po(po, domain=DOMAIN)
    mo = io.BytesIO()
    write_mo(mo, catalog)  # leaves out fuzzy and empty entries: their English msgid is shown instead
    mo.seek(0)
    return GNUTranslations(mo)


def gettext(msgid: str, lang: str | None = None) -> str:
    """The translation of ``msgid`` in ``lang`` (default: the language in force), unformatted."""
    return _catalogue(get_language() if lang is None else _checked(lang, "gettext")).gettext(msgid)


def translate(msgid: str, /, lang: str | None = None, **fields: Any) -> str:
    """The translation of ``msgid``, with its ``{placeholders}`` filled from ``fields`` (``str.format``).

    Example::

        >>> translate(N_("called {count}×"), "en", count=2)
        'called 2×'
    """
    text = gettext(msgid, None if lang is None else _checked(lang, "translate"))
    if fields:  # a Message among the fields is said in the same language as the message around it
        fields = {name: value.render(lang) if isinstance(value, Message) else value for name, value in fields.items()}
    try:
        return text.format(**fields)
    except (KeyError, IndexError, ValueError):
        if text == msgid:
            raise
        return msgid.format(**fields)  # a broken translation must never hide the message itself


@dataclass(frozen=True)
class Message:
    """A message decided now and rendered later, in whatever language is asked for then.

    Example::

        >>> hint = Message(N_("called {count}×"), {"count": 3})
        >>> hint.render("en"), hint.render("ja")
        ('called 3×', '呼び出し 3 回')
    """

    msgid: str
    fields: dict[str, Any] = field(default_factory=dict)

    def render(self, lang: str | None = None) -> str:
        return translate(self.msgid, lang, **self.fields)

    def __str__(self) -> str:
        return self.render()


def columns(text: str) -> int:
    """How many terminal columns ``text`` takes, a wide (CJK) character counting as two: ``columns("共有") == 4``."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def pad(text: str, width: int) -> str:
    """``text`` left-justified to ``width`` terminal columns, so Japanese tables line up too."""
    return text + " " * max(0, width - columns(text))


def placeholders(text: str) -> set[str]:
    """The ``{fields}`` of a brace-format message as written: ``'{index!r} of {n:,}'`` -> ``{'index!r', 'n:,'}``."""
    found = set()
    for _, name, spec, conversion in string.Formatter().parse(text):
        if name is not None:
            found.add(name + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else ""))
    return found


def catalogue_problems(po_file: str | Path, msgids: Iterable[str], *, complete: bool = True) -> list[tuple[str, str]]:
    """``(msgid, what is wrong)`` for each msgid a translator still has to see to; ``[]`` when the file is done.

    Each msgid must be in the file, translated (unless ``complete=False``: English
    may leave an entry empty, meaning "as written") and not fuzzy, and its
    translation must keep its placeholders exactly (``{count:,}`` stays ``{count:,}``).
    """
    from babel.messages.pofile import read_po

    with open(po_file, "rb") as po:
        catalog = read_po(po)
    problems = []
    for msgid in sorted(set(msgids)):
        entry = catalog.get(msgid)
        if entry is None:
            problems.append((msgid, "missing: run make catalogue"))
        elif not entry.string:
            if complete:
                problems.append((msgid, "untranslated"))
        elif entry.fuzzy:
            problems.append((msgid, "fuzzy: check the translation, then remove the fuzzy flag"))
        else:
            try:
                expected, got = placeholders(msgid), placeholders(str(entry.string))
            except ValueError as error:
                problems.append((msgid, f"not a valid brace format ({error}): {entry.string!r}"))
                continue
            if expected != got:
                problems.append((msgid, f"placeholders differ: {sorted(expected)} in the msgid, {sorted(got)} in "
                                        f"{entry.string!r}"))
    return problems
