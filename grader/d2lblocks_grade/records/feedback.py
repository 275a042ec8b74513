"""Per-student feedback HTML: their work rendered, each test's outcome and message, never a hidden test.

Stock nbgrader's feedback shows the executed test cells, so a failing hidden
assert appears in the traceback. Here a test cell is shown only as the part
students already had (hidden region replaced by a note), outputs of errors are
reduced to `ename: evalue`, and tracebacks never appear. A final leak check
scans the page for every line of every hidden test and redacts any that a
student's own output managed to print (e.g. `print(_ih)`).

The page comes from a Jinja template (``templates/feedback.html.j2``, autoescaped) and speaks
the assignment's language (``GradeResult.language``): every word of it is in the message
catalogue, the template's through Jinja's i18n extension (``_("...")``, brace placeholders).
Markdown cells are rendered with mistune and cleaned by nh3 (no scripts, no event
handlers, no remote images; pasted images become data URIs). PNG and JPEG outputs
are shown as data URIs, except those drawn after the first hidden test ran: text can
be searched for hidden lines, a picture cannot. A Content-Security-Policy stops the
page from running scripts or fetching anything, should something slip through.

Example::

    >>> html, leaks = render_feedback(result, hidden_lines)   # doctest: +SKIP
    >>> leaks                                                 # doctest: +SKIP
    []
"""

from __future__ import annotations

import base64
import binascii
import html
import json
import re
from functools import lru_cache
from typing import Any

import jinja2
import mistune
import nbformat
import nh3
from markupsafe import Markup, escape
from nbgrader import utils

from d2lblocks.i18n import N_, translate
from d2lblocks_grade.datatypes import (
    AMBIGUOUS,
    CRASHED,
    GRADED,
    INVALID,
    MISSING,
    MISSING_CELL,
    NEEDS_GRADING,
    NO_RESPONSE,
    NOT_RUN,
    TAMPERED,
    TIMEOUT,
    USES_REFERENCE,
    WRONG_ASSIGNMENT,
    CellResult,
    GradeResult,
)
from d2lblocks_grade.notebook_cells import Markers, is_test_cell, strip_ansi
from d2lblocks_grade.records.late import Lateness

HIDDEN_NOTE = N_("# (hidden tests run here; they are not shown)")
REDACTED = N_("[hidden test redacted]")
WITHHELD = N_("Feedback withheld: it quoted a hidden test. Ask your instructor.")
IMAGE_AFTER_HIDDEN = N_("[picture not shown: it was drawn after hidden tests had run, and a picture cannot be "
                        "checked for hidden test text]")
IMAGE_TOO_LARGE = N_("[picture not shown: {size:.1f} MiB is more than the {limit:.0f} MiB a feedback page shows]")
PICTURE = N_("picture")  # an image's alt text when it has no text of its own
PASSED = N_("passed")
# A status as students read it; in English, the status itself (the gradebook's and the CSV's word).
STATUS_NAMES = {
    GRADED: N_("graded"), TIMEOUT: N_("timeout"), INVALID: N_("invalid-notebook"), MISSING: N_("missing"),
    AMBIGUOUS: N_("ambiguous"), WRONG_ASSIGNMENT: N_("wrong-assignment"), MISSING_CELL: N_("missing-cell"),
    TAMPERED: N_("tampered"), CRASHED: N_("crashed"), NOT_RUN: N_("not-run"), NEEDS_GRADING: N_("needs-grading"),
    USES_REFERENCE: N_("uses-reference"), NO_RESPONSE: N_("no-response"),
}
IMAGE_TYPES = ("image/png", "image/jpeg")
MAX_IMAGE_BYTES = 2 * 1024 * 1024
MARKDOWN_TAGS = nh3.ALLOWED_TAGS - {"area", "map"}
_BASE64 = re.compile(r"^[A-Za-z0-9+/]*={0,2}$")
MAX_RENDERED_MARKDOWN = 20_000  # characters; a long written answer is a few thousand
MAX_MARKDOWN_SYNTAX = 2_000  # brackets, emphasis, tags and backticks: what makes a parser slow
_MARKDOWN = mistune.create_markdown(
    escape=False, plugins=["strikethrough", "table"],
    renderer=mistune.HTMLRenderer(escape=False, allow_harmful_protocols=("attachment:",)))


@lru_cache(maxsize=None)
def _template(language: str = "en") -> jinja2.Template:
    """The page's template speaking `language`: its ``_("...", name=value)`` is `translate` (autoescaped after)."""
    env = jinja2.Environment(loader=jinja2.PackageLoader("d2lblocks_grade.records", "templates"),
                             autoescape=True, undefined=jinja2.StrictUndefined, extensions=["jinja2.ext.i18n"])

    def say(msgid: str, **fields: Any) -> str:
        return translate(msgid, language, **fields)

    def say_n(singular: str, plural: str, n: int, **fields: Any) -> str:
        return translate(singular if n == 1 else plural, language, **fields)

    env.install_gettext_callables(say, say_n, newstyle=False)  # type: ignore[attr-defined]  # added by the extension
    return env.get_template("feedback.html.j2")


def status_name(status: str, language: str = "en") -> str:
    """A status as students read it in `language` ("timeout" -> "時間切れ"); an unknown status as it is."""
    return translate(STATUS_NAMES[status], language) if status in STATUS_NAMES else status


def public_test_source(source: str, markers: Markers = Markers(), language: str = "en") -> str:
    """The test as students may see it: each hidden region replaced by a note (in `language`)."""
    return markers.hide_tests(source, translate(HIDDEN_NOTE, language))


def data_uri(kind: str, payload: Any) -> str | None:
    """A data URI for a base64 PNG/JPEG/GIF as nbformat stores it, or None if it is not clean base64."""
    text = "".join(payload) if isinstance(payload, list) else payload
    if not isinstance(text, str):
        return None
    text = "".join(text.split())
    if not _BASE64.match(text):
        return None
    try:
        base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None
    return f"data:{kind};base64,{text}"


def _image_size(uri: str) -> int:
    return len(uri) * 3 // 4


def render_markdown(source: str, attachments: dict | None = None) -> Markup:
    """A markdown cell as safe HTML: scripts, handlers and remote images removed; attachments inlined.
    A cell longer than any written answer is shown as text: markdown parsing of hostile input can be slow."""
    if len(source) > MAX_RENDERED_MARKDOWN or sum(map(source.count, "[]*_<`")) > MAX_MARKDOWN_SYNTAX:
        return Markup(f"<pre>{html.escape(source[:MAX_RENDERED_MARKDOWN])}\n[...]</pre>")
    if not attachments:
        return _render_plain_markdown(source)  # the course's own cells repeat on every page
    return _render_markdown(source, attachments if isinstance(attachments, dict) else {})


@lru_cache(maxsize=1024)
def _render_plain_markdown(source: str) -> Markup:
    return _render_markdown(source, {})


def _render_markdown(source: str, attachments: dict) -> Markup:

    def keep(tag: str, attribute: str, value: str) -> str | None:
        if tag == "img" and attribute == "src":
            if value.startswith("attachment:"):
                files = attachments.get(value[len("attachment:"):])
                if not isinstance(files, dict):
                    return None
                return next((uri for kind in (*IMAGE_TYPES, "image/gif") if kind in files
                             and (uri := data_uri(kind, files[kind]))), None)
            return value if re.match(r"^data:image/(png|jpeg|gif);base64,[A-Za-z0-9+/=]*$", value) else None
        if value.lower().lstrip().startswith(("data:", "attachment:")):
            return None  # a link to a data: URL is a page of the student's making
        return value

    rendered = _MARKDOWN(source)
    return Markup(nh3.clean(str(rendered), tags=MARKDOWN_TAGS, attribute_filter=keep,
                            url_schemes={"http", "https", "mailto", "data", "attachment"}))


def _text(text: str) -> Markup:
    """Text for an element's content: &, < and > escaped. Quotes need no escaping there, and leaving them
    keeps the page short and the leak check fast."""
    return Markup(html.escape(text, quote=False))


def _outputs(cell, images_allowed: bool, language: str) -> list[dict]:
    parts: list[dict] = []
    text: list[str] = []

    def flush() -> None:
        joined = "\n".join(t.rstrip("\n") for t in text if t)
        if joined:
            parts.append({"type": "text", "text": _text(joined)})
        text.clear()

    for out in cell.get("outputs", []):
        kind = out.get("output_type")
        if kind == "stream":
            text.append(strip_ansi(str(out.get("text", ""))))
        elif kind in ("execute_result", "display_data"):
            data = out.get("data", {})
            image = next((k for k in IMAGE_TYPES if k in data), None)
            uri = data_uri(image, data[image]) if image else None
            if uri is not None:
                flush()
                if not images_allowed:
                    parts.append({"type": "note", "text": translate(IMAGE_AFTER_HIDDEN, language)})
                elif _image_size(uri) > MAX_IMAGE_BYTES:
                    parts.append({"type": "note", "text": translate(IMAGE_TOO_LARGE, language,
                                                                    size=_image_size(uri) / 2**20,
                                                                    limit=MAX_IMAGE_BYTES / 2**20)})
                else:
                    alt = data.get("text/plain", translate(PICTURE, language))
                    parts.append({"type": "image", "uri": uri, "alt": str(alt)[:200]})
            else:
                text.append(str(data.get("text/plain", "")))
        elif kind == "error":  # the message only: a traceback could quote test code
            text.append(f"{out.get('ename', 'Error')}: {strip_ansi(str(out.get('evalue', '')))}")
    flush()
    return parts


def _test_block(gid: str, source: str, outcome: CellResult, markers: Markers, language: str) -> dict:
    full = outcome.score is not None and outcome.score >= outcome.max_score
    css = "pass" if full and outcome.status == GRADED else "fail" if outcome.status == GRADED else "other"
    return {"kind": "test", "grade_id": gid, "css": css,
            "score": "-" if outcome.score is None else f"{outcome.score:g}", "max_score": f"{outcome.max_score:g}",
            "status": status_name(outcome.status, language),
            "message": _text(outcome.reason or (translate(PASSED, language) if full else "")),
            "source": _text(public_test_source(source, markers, language))}


def _blocks(nb, outcomes: dict[str, CellResult], markers: Markers, language: str = "en") -> list[dict]:
    blocks: list[dict] = []
    hidden_ran = False  # from the first test with a hidden part on, the kernel's history holds hidden tests
    for cell in nb.cells:
        gid = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if is_test_cell(cell):
            if gid in outcomes:
                blocks.append(_test_block(gid, cell.source, outcomes[gid], markers, language))
            hidden_ran = hidden_ran or bool(markers.hidden_regions(cell.source))
        elif cell.cell_type == "code":
            blocks.append({"kind": "code", "source": _text(cell.source),
                           "outputs": _outputs(cell, not hidden_ran, language)})
        else:
            blocks.append({"kind": "markdown", "html": render_markdown(cell.source, cell.get("attachments"))})
            if gid in outcomes:
                blocks.append(_test_block(gid, "", outcomes[gid], markers, language))
    return blocks


def _executed(data: bytes) -> nbformat.NotebookNode:
    raw = json.loads(data)
    if isinstance(raw, dict) and raw.get("nbformat") == 4:
        return nbformat.v4.nbjson.JSONReader().to_notebook(raw)  # lines joined, no schema validation
    return nbformat.reads(data.decode(), as_version=4)


def render_feedback(result: GradeResult, hidden_lines: list[str], markers: Markers = Markers(),
                    late: Lateness | None = None) -> tuple[str, list[str]]:
    """The feedback page for `result` (with its lateness, if known), in the result's language, and the
    hidden-test lines that had to be redacted from it."""
    language = result.language
    outcomes = {c.grade_id: c for c in result.cells}
    # The grader wrote this notebook itself (nbformat 4, already checked): no schema validation, which
    # would take longer than the rest of the page.
    nb = _executed(result.executed_notebook_bytes) if result.executed_notebook_bytes else None
    if nb is not None:
        # A line the student wrote in their own cells is theirs to see, even if a hidden test has it too.
        own = "\n".join(cell.source for cell in nb.cells
                         if not is_test_cell(cell) and not utils.is_locked(cell))
        hidden_lines = [line for line in hidden_lines if line not in own]
        blocks = _blocks(nb, outcomes, markers, language)
    else:
        blocks = [{"kind": "list", "cells": [{"grade_id": c.grade_id, "status": status_name(c.status, language),
                                              "reason": c.reason} for c in result.cells]}]
    penalty = late.penalty if late is not None else 0.0
    page = _template(language).render(
        lang=language, assignment=result.assignment_id, student=result.student_id,
        score=f"{max(result.score - penalty, 0.0):g}", raw_score=f"{result.score:g}",
        max_score=f"{result.max_score:g}", status=status_name(result.status, language), reason=result.reason,
        late_text=late.text(language) if late is not None else "", penalty=penalty, blocks=blocks)
    return redact(page, hidden_lines, language)


def find_leaks(page: str, hidden_lines: list[str]) -> list[str]:
    """Hidden-test lines that appear in `page` (compared as text, entities decoded)."""
    text = html.unescape(page)
    return [line for line in hidden_lines if line in text]


def redact(page: str, hidden_lines: list[str], language: str = "en") -> tuple[str, list[str]]:
    leaks = find_leaks(page, hidden_lines)
    notice = html.escape(translate(REDACTED, language))
    for line in leaks:  # every way the page may have escaped it: the template's, the standard library's
        for form in (str(escape(line)), html.escape(line), html.escape(line, quote=False), line):
            page = page.replace(form, notice)
    remaining = find_leaks(page, hidden_lines) if leaks else []
    if remaining:  # never write a page that still leaks; drop the body instead
        return (f'<!doctype html><html lang="{html.escape(language)}"><body><p>'
                f"{html.escape(translate(WITHHELD, language))}</p></body></html>", leaks)
    return page, leaks
