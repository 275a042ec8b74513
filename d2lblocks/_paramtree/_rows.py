"""What the widget shows: visible rows and the details of one row, as plain JSON data.

Pure functions of a :class:`TreeData`, so the widget stays a thin view and its
behaviour is tested without a browser.
"""
from __future__ import annotations

import math

from ..i18n import N_, translate
from . import _format as fmt
from ._model import Repeat, TensorInfo, TreeData, TreeNode, child_groups
from ._stats import tensor_stats
from ._text import PARAMS_EACH, node_summary, tensor_summary

MORE_ROWS = N_("… {n} more rows hidden; type part of a path in the filter to find them")
SOME_MORE_ROWS = N_("… some more rows hidden; type part of a path in the filter to find them")


def _node_row(node: TreeNode, depth: int, open_: bool) -> dict:
    return {"id": node.path, "kind": "module", "depth": depth, "label": node.path,
            "info": node_summary(node).removeprefix(node.type_name).strip(), "type": node.type_name,
            "badges": fmt.ordered(node.badges), "expandable": bool(node.children or node.tensors), "open": open_}


def _tensor_row(t: TensorInfo, depth: int) -> dict:
    return {"id": t.path, "kind": "tensor", "depth": depth, "label": t.name, "info": tensor_summary(t),
            "type": "", "badges": fmt.ordered(t.badges), "expandable": False, "open": False}


def _repeat_row(run: Repeat, members, span: str, depth: int, open_: bool) -> dict:
    return {"id": span, "kind": "repeat", "depth": depth, "label": span, "type": f"{run.count} × {run.type_name}",
            "info": translate(PARAMS_EACH, count=fmt.short_count(run.params_each)), "badges": fmt.ordered(members[0].badges),
            "expandable": True, "open": open_}


def visible_rows(tree: TreeData, expanded, query: str = "", max_rows: int = 400) -> list[dict]:
    """Rows top to bottom: expanded nodes show their tensors and children; a query shows matches."""
    rows: list[dict] = []
    query = query.strip().lower()
    if query:
        rows = _matches(tree.root, query, 0)
    else:
        _expand(tree.root, set(expanded), 0, rows, max_rows + 1)
    if len(rows) > max_rows:
        hidden = (len(rows) - max_rows) if query else None
        rows = rows[:max_rows]
        more = translate(MORE_ROWS, n=hidden) if hidden else translate(SOME_MORE_ROWS)
        rows.append({"id": "", "kind": "more", "depth": 0, "label": more,
                     "info": "", "type": "", "badges": [], "expandable": False, "open": False})
    return rows


def _expand(node: TreeNode, expanded: set, depth: int, rows: list, limit: int) -> None:
    if len(rows) >= limit:
        return
    open_ = node.path in expanded
    rows.append(_node_row(node, depth, open_))
    if not open_:
        return
    rows.extend(_tensor_row(t, depth + 1) for t in node.tensors)
    for item in child_groups(node):
        if isinstance(item, TreeNode):
            _expand(item, expanded, depth + 1, rows, limit)
            continue
        run, members, span = item
        rows.append(_repeat_row(run, members, span, depth + 1, span in expanded))
        if span in expanded:
            for member in members:
                _expand(member, expanded, depth + 2, rows, limit)


def _matches(node: TreeNode, query: str, depth: int) -> list[dict]:
    below = [_tensor_row(t, depth + 1) for t in node.tensors if query in t.path.lower()]
    for child in node.children:
        below += _matches(child, query, depth + 1)
    if below or query in node.path.lower():
        return [_node_row(node, depth, bool(below))] + below
    return []


def details(tree: TreeData, path: str, bins: int = 24) -> dict:
    """Everything about one row; for a tensor also its statistics and histogram, computed now."""
    if not path:
        return {}
    if "…" in path:  # a repeat row's id is its span, not a path in the index
        for node in tree.nodes():
            for group in child_groups(node):
                if isinstance(group, TreeNode):  # a NamedTuple too: test for it, not for tuple
                    continue
                run, members, span = group
                if span == path:
                    return {"kind": "repeat", "path": span, "type": run.type_name, "count": run.count,
                            "params_each": fmt.count(run.params_each), "first": members[0].path}
    try:
        item = tree[path]
    except KeyError as error:
        return {"kind": "missing", "path": path, "error": str(error.args[0])}
    common = {"path": path, "badges": [{"name": b, "label": fmt.badge_label(b), "help": fmt.badge_help(b)}
                                       for b in fmt.ordered(item.badges)],
              "shared_paths": list(item.shared_paths), "consequence": item.consequence, "fix": item.fix}
    if isinstance(item, TreeNode):
        return {**common, "kind": "module", "type": item.type_name, "params": fmt.count(item.num_params),
                "own_params": fmt.count(item.own_params), "bytes": fmt.bytes_by_dtype(item.param_bytes),
                "buffers": fmt.nbytes(item.buffer_bytes), "calls": item.calls,
                "unregistered_params": fmt.count(item.num_unregistered_params),
                "module_path": item.module_path, "children": len(item.children),
                "tensors": [{"name": t.name, "shape": fmt.shape(t.shape), "dtype": t.dtype, "device": t.device,
                             "role": t.role} for t in item.tensors]}
    info = {**common, "kind": "tensor", "name": item.name, "role": item.role, "shape": fmt.shape(item.shape),
            "dtype": item.dtype, "device": item.device, "numel": fmt.count(item.numel),
            "bytes": fmt.nbytes(item.nbytes), "requires_grad": item.requires_grad, "persistent": item.persistent}
    try:
        stats = tensor_stats(item, tree._objects[item.key], bins=bins)
    except ValueError as error:
        return {**info, "stats_error": str(error)}
    numbers = {"mean": stats.mean, "std": stats.std, "min": stats.min, "max": stats.max,
               "zero_fraction": stats.zero_fraction, "grad_norm": stats.grad_norm}
    # JSON has no NaN or infinity: the browser would reject the whole message.
    numbers = {k: v if v is not None and math.isfinite(v) else None for k, v in numbers.items()}
    return {**info, "stats": numbers,
            "hist": {"counts": list(stats.counts), "edges": list(stats.edges)}}
