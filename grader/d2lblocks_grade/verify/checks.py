"""What a course's verifier provides: a check per test cell, each a probe, a challenge and a judge.

* ``probe`` names a function of the course's ``probes.py``, which runs inside the
  kernel on the challenge and returns plain data (`d2lblocks_grade.verify.wire`).
* ``draw(generator)`` makes the challenge at grading time (inputs, weights, seeds),
  so no response can be prepared in advance.
* ``judge(challenge, response)`` runs in the grader's process and returns a
  `Verdict`. Points come only from comparing the response with what the course's
  reference computes on the same challenge; what the kernel reports about itself
  may choose the teaching message, never grant a point.

Example::

    >>> check = Check(probe="double", draw=lambda g: {"x": 2}, judge=lambda c, r: passed())
    >>> check.judge({"x": 2}, {"value": 4}).passed
    True
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from d2lblocks.i18n import Message, translate
from d2lblocks_grade.datatypes import USES_REFERENCE

PASSED = "passed"
FAILED = "failed"


@dataclass(frozen=True)
class Verdict:
    """One test's outcome: a message (rendered later, in the course's language) unless it passed."""

    outcome: str
    message: Message | None = None
    fields: dict[str, Any] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return self.outcome == PASSED


def passed() -> Verdict:
    return Verdict(PASSED)


def failed(msgid: str, **fields) -> Verdict:
    return Verdict(FAILED, Message(msgid, fields))


def uses_reference(msgid: str, **fields) -> Verdict:
    return Verdict(USES_REFERENCE, Message(msgid, fields))


def render(message: Message, language: str) -> str:
    """``message`` in ``language``, its fields that are messages themselves rendered first."""
    return _render(message, language).strip()  # an empty optional field leaves no trailing space


def _render(message: Message, language: str) -> str:
    fields = {key: _render(value, language) if isinstance(value, Message) else value
              for key, value in message.fields.items()}
    return translate(message.msgid, language, **fields)  # a nested message keeps its spaces


class Failure(Exception):
    """Raised inside a judge to stop at the first failed property (``raise Failure(failed(...))``)."""

    def __init__(self, verdict: Verdict):
        super().__init__(verdict.message.msgid if verdict.message else verdict.outcome)
        self.verdict = verdict


@dataclass(frozen=True)
class Check:
    probe: str
    draw: Callable[[Any], dict]
    judge: Callable[[dict, Any], Verdict]
