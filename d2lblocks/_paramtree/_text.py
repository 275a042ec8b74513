"""The text view: a tree for terminals, doctests and unit tests."""
from __future__ import annotations

from ..i18n import N_, gettext, translate
from . import _format as fmt
from ._model import TensorInfo, TreeData, TreeNode, child_groups

_HIDDEN_PARAMS = N_("{params} PyTorch cannot see")
_NEVER_CALLED = N_("never called")
_CALLED = N_("called {count}×")
_BUFFER = N_("buffer")
_PLAIN_TENSOR = N_("plain tensor")
_UNKNOWN_PARAMS = N_("? params")
_NOT_SAVED = N_("(not in state_dict)")
ALSO_AT = N_("also at {paths}")
FIX_LINE = N_("fix: {fix}")
PARAMS_EACH = N_("{count} params each")
_BUFFERS = N_("{size} buffers")
_UNSEEN_NOTE = N_("PyTorch cannot see {count} parameters (marked [{badge}]): they are not trained, saved or moved to the "
                  "GPU.")
_LAZY_NOTE = N_("{count} lazy parameters are uninitialised: one forward pass gives them shapes.")
_NOTE = N_("Note: {note}.")


def node_summary(node: TreeNode) -> str:
    """``'Linear  1,344 params  called 2×'``: everything on a module's line after its path."""
    parts = [node.type_name]
    if node.num_params:
        parts.append(fmt.params(node.num_params))
    if node.num_unregistered_params:
        parts.append(translate(_HIDDEN_PARAMS, params=fmt.params(node.num_unregistered_params)))
    if node.calls == 0:
        parts.append(translate(_NEVER_CALLED))
    elif node.calls is not None and node.calls > 1:
        parts.append(translate(_CALLED, count=node.calls))
    return "  ".join(parts)


def tensor_summary(t: TensorInfo) -> str:
    """``(64, 20) float32  1,280 params``; ``buffer`` or ``plain tensor`` for non-parameters."""
    if t.role == "buffer":
        size = translate(_BUFFER)
    elif "constant" in t.badges:
        size = translate(_PLAIN_TENSOR)
    else:
        size = translate(_UNKNOWN_PARAMS) if t.shape is None else fmt.params(t.numel)
    if t.role == "buffer" and not t.persistent:
        size += " " + translate(_NOT_SAVED)
    return f"{fmt.shape(t.shape)} {t.dtype}  {size}"


def badge_text(badges, shared_paths=()) -> str:
    text = "".join(f"  [{fmt.badge_label(b)}]" for b in fmt.ordered(badges))
    if shared_paths:
        text += "  " + translate(ALSO_AT, paths=", ".join(shared_paths))
    return text


def render_text(tree: TreeData, *, tensors: bool = True, expand_repeats: bool = False,
                max_depth: int | None = None) -> str:
    root = tree.root
    head = f"{root.path}: {node_summary(root)}"
    if root.param_bytes:
        head += f"  {fmt.bytes_by_dtype(root.param_bytes)}"
    if root.buffer_bytes:
        head += " + " + translate(_BUFFERS, size=fmt.nbytes(root.buffer_bytes))
    lines = [head + badge_text(root.badges)]
    _children(root, "", lines, tensors, expand_repeats, max_depth, 1)
    lines += [("! " if warning else "") + note for warning, note in tree_notes(tree)]
    return "\n".join(lines)


def tree_notes(tree: TreeData) -> list[tuple[bool, str]]:
    """``(is_warning, text)`` for what the whole tree needs to say under its totals."""
    notes = []
    if tree.num_unregistered_params:
        notes.append((True, translate(_UNSEEN_NOTE, count=fmt.count(tree.num_unregistered_params),
                                      badge=fmt.badge_label("unregistered"))))
    if tree.num_lazy:
        notes.append((True, translate(_LAZY_NOTE, count=tree.num_lazy)))
    if tree.calls_note:  # a msgid (CALLS_NOTE), so it is said in the language in force now
        notes.append((False, translate(_NOTE, note=gettext(tree.calls_note))))
    return notes


def _children(node, prefix, lines, tensors, expand_repeats, max_depth, depth):
    items: list = list(node.tensors) if tensors else []
    items += list(child_groups(node))
    for i, item in enumerate(items):
        last = i == len(items) - 1
        branch, extend = ("└─ ", "   ") if last else ("├─ ", "│  ")
        if isinstance(item, TensorInfo):
            lines.append(f"{prefix}{branch}{item.name} {tensor_summary(item)}{badge_text(item.badges, item.shared_paths)}")
            _explain(item, prefix + extend, lines)
        elif isinstance(item, TreeNode):
            _node(item, prefix, branch, extend, lines, tensors, expand_repeats, max_depth, depth)
        else:
            run, members, span = item
            first = members[0]
            lines.append(f"{prefix}{branch}{span}: {run.count} × {run.type_name}  "
                         f"{translate(PARAMS_EACH, count=fmt.short_count(run.params_each))}{badge_text(first.badges)}")
            if expand_repeats:
                for j, member in enumerate(members):
                    sub_branch, sub_extend = ("└─ ", "   ") if j == len(members) - 1 else ("├─ ", "│  ")
                    _node(member, prefix + extend, sub_branch, sub_extend, lines, tensors, expand_repeats,
                          max_depth, depth + 1)


def _node(node, prefix, branch, extend, lines, tensors, expand_repeats, max_depth, depth):
    more = "  …" if max_depth is not None and depth >= max_depth and (node.children or node.tensors) else ""
    lines.append(f"{prefix}{branch}{node.path}: {node_summary(node)}{badge_text(node.badges, node.shared_paths)}{more}")
    _explain(node, prefix + extend, lines)
    if not more:
        _children(node, prefix + extend, lines, tensors, expand_repeats, max_depth, depth + 1)


def _explain(item, prefix, lines):
    if item.consequence:
        lines.append(f"{prefix}!  {item.consequence}")
    if item.fix:
        lines.append(f"{prefix}!  {translate(FIX_LINE, fix=item.fix)}")
