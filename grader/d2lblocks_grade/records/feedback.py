"""Per-student feedback HTML: their code, each test's outcome and message, never a hidden test.

Stock nbgrader's feedback shows the executed test cells, so a failing hidden
assert appears in the traceback. Here a test cell is shown only as the part
students already had (hidden region replaced by a note), outputs of errors are
reduced to `ename: evalue`, and tracebacks never appear. A final leak check
scans the page for every line of every hidden test and redacts any that a
student's own output managed to print (e.g. `print(_ih)`).

Example::

    >>> html, leaks = render_feedback(result, hidden_lines)   # doctest: +SKIP
    >>> leaks                                                 # doctest: +SKIP
    []
"""

from __future__ import annotations

import html

import nbformat
from nbgrader import utils

from d2lblocks_grade.datatypes import GRADED, CellResult, GradeResult
from d2lblocks_grade.notebook_cells import Markers, is_test_cell, strip_ansi

HIDDEN_NOTE = "# (hidden tests run here; they are not shown)"
REDACTED = "[hidden test redacted]"
_STYLE = """body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;color:#222}
pre{background:#f6f8fa;padding:.6rem;overflow-x:auto;white-space:pre-wrap}
.test{border-left:.3rem solid #888;padding:.2rem .8rem;margin:.8rem 0}
.pass{border-color:#2a7}.fail{border-color:#c33}.other{border-color:#e90}
.out{background:#fff;border:1px solid #ddd}.score{font-weight:600}"""


def public_test_source(source: str, markers: Markers = Markers()) -> str:
    """The test as students may see it: each hidden region replaced by a note."""
    return markers.hide_tests(source, HIDDEN_NOTE)


def _outputs(cell) -> str:
    parts = []
    for out in cell.get("outputs", []):
        kind = out.get("output_type")
        if kind == "stream":
            parts.append(strip_ansi(out.get("text", "")))
        elif kind in ("execute_result", "display_data"):
            parts.append(str(out.get("data", {}).get("text/plain", "")))
        elif kind == "error":  # the message only: a traceback could quote test code
            parts.append(f"{out.get('ename', 'Error')}: {strip_ansi(str(out.get('evalue', '')))}")
    text = "\n".join(p.rstrip("\n") for p in parts if p)
    return f'<pre class="out">{html.escape(text)}</pre>' if text else ""


def _test_block(cell, outcome: CellResult | None, markers: Markers) -> str:
    gid = cell.metadata.nbgrader["grade_id"]
    if outcome is None:
        return ""
    full = outcome.score is not None and outcome.score >= outcome.max_score
    css = "pass" if full and outcome.status == GRADED else "fail" if outcome.status == GRADED else "other"
    score = "-" if outcome.score is None else f"{outcome.score:g}"
    message = html.escape(outcome.reason) if outcome.reason else ("passed" if full else "")
    return (f'<div class="test {css}"><p><span class="score">{html.escape(gid)}: {score} / '
            f'{outcome.max_score:g}</span> &middot; {html.escape(outcome.status)}</p><p>{message}</p>'
            f"<pre>{html.escape(public_test_source(cell.source, markers))}</pre></div>")


def render_feedback(result: GradeResult, hidden_lines: list[str],
                    markers: Markers = Markers()) -> tuple[str, list[str]]:
    """The feedback page for `result`, and the hidden-test lines that had to be redacted from it."""
    outcomes = {c.grade_id: c for c in result.cells}
    nb = nbformat.reads(result.executed_notebook_bytes.decode(), as_version=4) if result.executed_notebook_bytes else None
    if nb is not None:
        # A line the student wrote in their own cells is theirs to see, even if a hidden test has it too.
        own = "\n".join(cell.source for cell in nb.cells
                         if not is_test_cell(cell) and not utils.is_locked(cell))
        hidden_lines = [line for line in hidden_lines if line not in own]
    body = [f"<h1>Feedback: {html.escape(result.assignment_id)}</h1>",
            f"<p>Student <b>{html.escape(result.student_id)}</b> &middot; score "
            f"<b>{result.score:g} / {result.max_score:g}</b> &middot; {html.escape(result.status)}"
            + (f" &middot; {html.escape(result.reason)}" if result.reason else "") + "</p>"]
    if nb is not None:
        for cell in nb.cells:
            if is_test_cell(cell):
                body.append(_test_block(cell, outcomes.get(cell.metadata.nbgrader["grade_id"]), markers))
            elif cell.cell_type == "code":
                body.append(f"<pre>{html.escape(cell.source)}</pre>{_outputs(cell)}")
            else:
                body.append(f"<div><pre>{html.escape(cell.source)}</pre></div>")
                if cell.metadata.get("nbgrader", {}).get("grade_id") in outcomes:
                    body.append(_test_block(cell, outcomes[cell.metadata.nbgrader["grade_id"]], markers))
    else:
        body.append("<ul>" + "".join(f"<li>{html.escape(c.grade_id)}: {html.escape(c.status)} &middot; "
                                     f"{html.escape(c.reason)}</li>" for c in result.cells) + "</ul>")
    page = (f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(result.student_id)}"
            f"</title><style>{_STYLE}</style></head><body>{''.join(body)}</body></html>")
    return redact(page, hidden_lines)


def find_leaks(page: str, hidden_lines: list[str]) -> list[str]:
    """Hidden-test lines that appear in `page` (compared as text, entities decoded)."""
    text = html.unescape(page)
    return [line for line in hidden_lines if line in text]


def redact(page: str, hidden_lines: list[str]) -> tuple[str, list[str]]:
    leaks = find_leaks(page, hidden_lines)
    for line in leaks:
        page = page.replace(html.escape(line), REDACTED).replace(line, REDACTED)
    remaining = find_leaks(page, hidden_lines)
    if remaining:  # never write a page that still leaks; drop the body instead
        return ("<!doctype html><html><body><p>Feedback withheld: it quoted a hidden test. "
                "Ask your instructor.</p></body></html>", leaks)
    return page, leaks
