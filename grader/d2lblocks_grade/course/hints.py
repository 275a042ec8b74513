"""The course's hints: the concrete fixes its notebook's ``hint()`` prints, which no release may show.

A course names them in its nbgrader_config.py as the import path of a dict of messages (fix key ->
msgid), in the course library the students install::

    c.D2lblocksGrade.hints = "d2lblocks.exercises:FIXES"

Each hint is rendered in every language of the catalogue. What stands between backticks in a hint is
its code: the part of an answer it gives away, which `release` looks for in the released notebook.

    >>> hints = load_hints("d2lblocks.exercises:FIXES")
    >>> [h.code for h in hints if h.key == "ex2-cat" and h.language == "en"]
    [('return torch.cat((self.net1(X), self.net2(X)), dim=-1)',)]
"""
from __future__ import annotations

import importlib
import re
from dataclasses import dataclass

from traitlets.config import Config

from d2lblocks.i18n import LANGUAGES, gettext

SETTING = ("D2lblocksGrade", "hints")
CODE = re.compile(r"`([^`\n]+)`")
# Shorter code (`X`, `n`) is a name the instructions use anyway, not an answer.
MIN_CODE_CHARS = 8
BAD_PATH = ("{path}: c.D2lblocksGrade.hints = {value!r} is not an import path of the hints: write "
            "\"package.module:NAME\", where NAME is a dict of hint messages by fix key (e.g. \"d2lblocks.exercises:FIXES\")")
NOT_IMPORTABLE = ("{path}: c.D2lblocksGrade.hints names {value!r}, which does not import ({error}); install the course "
                  "library into this environment (`pip install -e .`) or correct the module name")
NO_SUCH_NAME = "{path}: c.D2lblocksGrade.hints names {value!r}, but {module} has no {name}; correct the name"
NOT_MESSAGES = ("{path}: c.D2lblocksGrade.hints names {value!r}, which must be a dict of hint messages (fix key -> text), "
                "got {what}")


@dataclass(frozen=True)
class Hint:
    """One hint in one language, and the code it gives away."""

    key: str
    language: str
    text: str
    code: tuple[str, ...]


def hints_setting(config: Config) -> str | None:
    """The course's ``c.D2lblocksGrade.hints``, or None when it names no hints."""
    section, name = SETTING
    value = config.get(section, {}).get(name)
    return value if value else None


def load_hints(value: str, path: str = "nbgrader_config.py") -> list[Hint]:
    """Every hint ``value`` ("module:NAME") names, in each language; a bad value is an error saying what to fix."""
    module_name, _, name = str(value).partition(":")
    if not isinstance(value, str) or not module_name.strip() or not name.strip():
        raise ValueError(BAD_PATH.format(path=path, value=value))
    try:
        module = importlib.import_module(module_name.strip())
    except ImportError as error:
        raise ValueError(NOT_IMPORTABLE.format(path=path, value=value, error=error)) from None
    messages = getattr(module, name.strip(), None)
    if messages is None:
        raise ValueError(NO_SUCH_NAME.format(path=path, value=value, module=module_name, name=name))
    if not isinstance(messages, dict) or not all(isinstance(text, str) for text in messages.values()):
        raise ValueError(NOT_MESSAGES.format(path=path, value=value, what=type(messages).__name__))
    hints = []
    for key, msgid in messages.items():
        for language in LANGUAGES:
            text = gettext(msgid, language)
            code = tuple(piece for piece in CODE.findall(text) if len(piece.strip()) >= MIN_CODE_CHARS)
            hints.append(Hint(str(key), language, text, code))
    return hints
