"""The static HTML view: nested ``<details>`` with inline CSS, no scripts, no network.

It survives nbviewer, GitHub and exported HTML, and is the fallback the widget
carries for notebooks opened without a kernel. Where ``<style>`` is stripped
(GitHub), the structure and the words remain.
"""
from __future__ import annotations

from functools import lru_cache
from html import escape as _escape

from ..i18n import N_, get_language, translate
from . import _format as fmt
from ._model import TensorInfo, TreeData, TreeNode, child_groups
from ._text import ALSO_AT, FIX_LINE, PARAMS_EACH, node_summary, tensor_summary, tree_notes

BADGE_COLORS = {"shared": "#8250df", "reused": "#0969da", "unregistered": "#cf222e",
                "constant": "#6e7781", "lazy": "#9a6700", "frozen": "#1b7c83"}
CSS = (
    ".d2lpt{font:13px/1.5 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;color:#1f2328}"
    ".d2lpt details>*:not(summary){margin-left:1.3em}.d2lpt summary{cursor:pointer}"
    ".d2lpt .p{color:#57606a}.d2lpt .w{color:#cf222e}"
    ".d2lpt .b{display:inline-block;border-radius:8px;padding:0 6px;margin-left:4px;color:#fff;font-size:11px}"
    + "".join(f".d2lpt .b-{name}{{background:{color}}}" for name, color in BADGE_COLORS.items())
)


BAD_MAX_ROWS = N_("max_rows must be a positive whole number such as 3000, got {max_rows!r}")
_TOTALS = N_("{count} parameters (each counted once) in {modules} modules")
_MORE_ROWS = N_("{count} more rows not shown; use d2lblocks.show(model) to browse them.")
_SAME_STRUCTURE = N_("same structure as {path}")

# Names, shapes and summaries repeat across a model's layers: escape each distinct text once.
escape = lru_cache(maxsize=8192)(_escape)


class _Rows:
    """Counts emitted rows so a huge model yields a page of bounded size."""

    def __init__(self, limit: int):
        self.limit, self.used, self.skipped = limit, 0, 0

    def take(self, n: int = 1) -> bool:
        if self.used + n > self.limit:
            self.skipped += n
            return False
        self.used += n
        return True


@lru_cache(maxsize=256)
def _badge_spans(badges: frozenset, lang: str) -> str:  # lang: a cache key, the words depend on it
    return "".join(f'<span class="b b-{b}" title="{escape(fmt.badge_help(b))}">{escape(fmt.badge_label(b))}</span>'
                   for b in fmt.ordered(badges))


def badges_html(badges, shared_paths=()) -> str:
    html = _badge_spans(frozenset(badges), get_language()) if badges else ""
    if shared_paths:
        html += f' <span class="p">{escape(translate(ALSO_AT, paths=", ".join(shared_paths)))}</span>'
    return html


def render_html(tree: TreeData, *, max_rows: int = 3000) -> str:
    if not isinstance(max_rows, int) or max_rows < 1:
        raise ValueError(translate(BAD_MAX_ROWS, max_rows=max_rows))
    rows = _Rows(max_rows)
    root = tree.root
    out = [f'<div class="d2lpt" lang="{get_language()}"><style>{CSS}</style>']
    totals = translate(_TOTALS, count=fmt.count(tree.num_params), modules=tree.num_modules)
    if root.param_bytes:
        totals += f", {fmt.bytes_by_dtype(root.param_bytes)}"
    out.append(f'<div class="p">{escape(totals)}</div>')
    _node(root, out, rows, open_=True)
    notes = [(False, translate(_MORE_ROWS, count=fmt.count(rows.skipped)))] if rows.skipped else []
    out += [f'<div class="{"w" if warning else "p"}">{escape(note)}</div>' for warning, note in notes + tree_notes(tree)]
    out.append("</div>")
    return "".join(out)


def _label(node: TreeNode) -> str:
    return (f"<b>{escape(node.path)}</b>: {escape(node_summary(node))}"
            f"{badges_html(node.badges, node.shared_paths)}")


def _explain(item, out) -> None:
    if item.consequence:
        out.append(f'<div class="t w">{escape(item.consequence)}</div>')
    if item.fix:
        out.append(f'<div class="t w">{escape(translate(FIX_LINE, fix=item.fix))}</div>')


def _node(node: TreeNode, out: list, rows: _Rows, open_: bool = False) -> None:
    if not rows.take():
        return
    if not node.children and not node.tensors:
        out.append(f'<div class="l">{_label(node)}</div>')
        _explain(node, out)
        return
    out.append(f'<details{" open" if open_ else ""}><summary>{_label(node)}</summary>')
    _explain(node, out)
    for t in node.tensors:
        _tensor(t, out, rows)
    for item in child_groups(node):
        if isinstance(item, TreeNode):
            _node(item, out, rows)
            continue
        run, members, span = item
        if not rows.take():
            continue
        out.append(f"<details><summary><b>{escape(span)}</b>: {run.count} × {escape(run.type_name)} "
                   f'<span class="p">{escape(translate(PARAMS_EACH, count=fmt.short_count(run.params_each)))}</span>'
                   f"{badges_html(members[0].badges)}</summary>")
        _node(members[0], out, rows)
        for member in members[1:]:  # identical by construction: one line each keeps big models small
            if rows.take():
                same = escape(translate(_SAME_STRUCTURE, path=members[0].path))
                out.append(f'<div class="l">{_label(member)} <span class="p">{same}</span></div>')
        out.append("</details>")
    out.append("</details>")


def _tensor(t: TensorInfo, out: list, rows: _Rows) -> None:
    if rows.take():
        out.append(f'<div class="t">{escape(t.name)} <span class="p">{escape(tensor_summary(t))}</span>'
                   f"{badges_html(t.badges, t.shared_paths)}</div>")
        _explain(t, out)
