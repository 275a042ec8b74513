"""Make an executed notebook inert before an instructor's browser opens it.

formgrader and JupyterLab render a notebook's HTML outputs and the HTML inside
markdown. A submission controls both, so before the autograded notebook is
written: JavaScript outputs are removed, HTML and SVG outputs are removed (their
text/plain twin stays), and raw HTML in markdown cells is cleaned by nh3, a
maintained sanitiser (no scripts, no event handlers, no remote images). Widget
state is dropped. Plain text and PNG/JPEG images stay as they were.

Example::

    >>> import nbformat
    >>> nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell('hi <img src=x onerror="alert(1)">')])
    >>> make_inert(nb).cells[0].source
    'hi '
"""
from __future__ import annotations

import re

import nh3
from nbformat import NotebookNode, from_dict

SAFE_TYPES = ("text/plain", "image/png", "image/jpeg", "image/gif", "application/json")
REMOVED = "[{kind} output removed by the grader: notebooks are shown to instructors without active content]"
# No images: a remote one would tell its owner who opened the notebook, and when.
MARKDOWN_TAGS = nh3.ALLOWED_TAGS - {"img", "area", "map"}
_TAG = re.compile(r"<[A-Za-z!/?]")
_INLINE_LINK = re.compile(r"(!?)\[([^\]\n]*)\]\(([^)\n]*)\)")  # [text](target) and ![alt](target)
_REFERENCE = re.compile(r"^(\s{0,3}\[[^\]\n]+\]:\s*)(\S+)", re.M)  # [ref]: target
_SCHEME = re.compile(r"\s*([A-Za-z][A-Za-z0-9+.-]*):")


def _inert_output(output: dict) -> dict:
    data = output.get("data")
    if not isinstance(data, dict):
        return output
    dropped = sorted(kind for kind in data if kind not in SAFE_TYPES)
    if not dropped:
        return output
    kept = {kind: value for kind, value in data.items() if kind in SAFE_TYPES}
    if "text/plain" not in kept:
        kept["text/plain"] = REMOVED.format(kind=", ".join(dropped))
    return {**output, "data": kept, "metadata": {}}


def _safe_target(match: re.Match) -> str:
    bang, text, target = match.group(1), match.group(2), match.group(3).strip()
    if _unsafe(target):
        return f"[{text}](#removed-link)"
    if bang and _SCHEME.match(target.strip("<")):
        # A remote image loads by itself when the notebook opens (a beacon): as a link it waits for a click.
        return f"[{text}]({target})"
    return match.group(0)


def clean_markdown(source: str) -> str:
    """Markdown with its raw HTML sanitised and its links made harmless; plain text comes back unchanged."""
    source = _INLINE_LINK.sub(_safe_target, source)
    source = _REFERENCE.sub(lambda m: m.group(1) + ("#removed-link" if _unsafe(m.group(2)) else m.group(2)), source)
    if not _TAG.search(source):  # "a < b" is text, not HTML: leave it alone
        return source
    return nh3.clean(source, tags=MARKDOWN_TAGS, url_schemes={"http", "https", "mailto"})


def _unsafe(target: str) -> bool:
    scheme = _SCHEME.match(target.strip().strip("<"))
    return scheme is not None and scheme.group(1).lower() not in ("http", "https", "mailto")


def make_inert(nb: NotebookNode) -> NotebookNode:
    """``nb`` with no active content (changed in place, and returned)."""
    nb.metadata.pop("widgets", None)
    for cell in nb.cells:
        if cell.get("cell_type") == "markdown":
            cell.source = clean_markdown(cell.source)
            if isinstance(cell.get("attachments"), dict):  # pasted images: an SVG one could carry a script
                cell.attachments = {name: {kind: value for kind, value in files.items() if kind in SAFE_TYPES}
                                    for name, files in cell.attachments.items() if isinstance(files, dict)}
        elif cell.get("cell_type") == "code":
            cell.outputs = [from_dict(_inert_output(dict(output))) for output in cell.get("outputs", [])]
        elif cell.get("cell_type") == "raw":
            cell.metadata.pop("format", None)  # a raw cell marked text/html would be rendered as HTML
    return nb
