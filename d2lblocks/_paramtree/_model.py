"""The parameter tree: an immutable snapshot of a module's structure.

Built by :func:`d2lblocks.param_tree`; rendered by the text, HTML and widget views,
which import this module and never the other way round. The snapshot keeps the
tensors it describes alive (``TreeData._objects``), so an
``id()`` recorded here can never be recycled by another object, and statistics can
be computed later, on request, from the very tensors that were inspected.
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Any, Iterator, NamedTuple

from ..i18n import N_, translate

NO_SUCH_PATH = N_(
    "the tree has no node or tensor at path {path!r}. Paths look like 'net[0].net[2].weight' "
    "(root named 'net'); did you mean {suggestion}?"
)
_ONE_OF = N_("one of {paths}")


class TensorInfo(NamedTuple):
    """One tensor held by a module: a parameter, a buffer, or an unregistered tensor.

    Immutable (a named tuple: a large model has thousands, and they are built fast).

    ``role`` is ``"parameter"``, ``"buffer"`` or ``"unregistered"`` (a tensor PyTorch
    cannot see, e.g. a plain ``torch.Tensor`` attribute or a Parameter in a list).
    ``shape`` is ``None`` for an uninitialised lazy parameter. ``counted`` is True on
    the first path that reaches this tensor: totals count it there and only there.
    """

    name: str
    path: str
    role: str
    shape: tuple[int, ...] | None
    dtype: str
    device: str
    numel: int
    nbytes: int
    requires_grad: bool
    persistent: bool
    key: int
    counted: bool
    shared_paths: tuple[str, ...] = ()
    badges: frozenset[str] = frozenset()
    consequence: str = ""
    fix: str = ""


@dataclass(frozen=True)
class Repeat:
    """A run of structurally identical siblings, shown as ``count × type_name``."""

    start: int
    count: int
    type_name: str
    params_each: int


class TreeNode(NamedTuple):
    """One module at one path. A module registered under two names gives two nodes.

    ``num_params`` counts the parameters reachable in this subtree once each (by
    identity), excluding what PyTorch cannot see (``num_unregistered_params``).
    ``calls`` is how often the module ran in one forward pass, or ``None`` when no
    example input was given.
    """

    path: str
    name: str
    type_name: str
    module_path: str | None
    key: int
    tensors: tuple[TensorInfo, ...]
    children: tuple["TreeNode", ...]
    repeats: tuple[Repeat, ...]
    num_params: int
    own_params: int
    num_unregistered_params: int
    param_bytes: dict[str, int]
    buffer_bytes: int
    structure: int
    badges: frozenset[str] = frozenset()
    shared_paths: tuple[str, ...] = ()
    calls: int | None = None
    consequence: str = ""
    fix: str = ""

    def walk(self) -> Iterator["TreeNode"]:
        """This node and all nodes below it, depth first, in registration order."""
        yield self
        for child in self.children:
            yield from child.walk()


@dataclass(frozen=True, eq=False)
class TreeData:
    """The data of a parameter tree: nodes, totals and the index by path (rendered by ``ParamTree``)."""

    root: TreeNode
    num_params: int
    num_unregistered_params: int
    num_modules: int
    num_lazy: int
    calls_note: str | None
    unregistered: Any
    _objects: dict[int, Any] = field(repr=False)
    _index: dict[str, Any] = field(repr=False)

    def __repr__(self) -> str:
        return f"<ParamTree {self.root.path}: {self.root.type_name}, {self.num_params:,} parameters>"

    def __getitem__(self, path: str) -> TreeNode | TensorInfo:
        """The node or tensor at ``path``, e.g. ``tree["net[0].net[2].weight"]``."""
        try:
            return self._index[path]
        except KeyError:
            close = difflib.get_close_matches(str(path), list(self._index), n=1)
            suggestion = repr(close[0]) if close else translate(
                _ONE_OF, paths=", ".join(repr(p) for p in list(self._index)[:3]))
            raise KeyError(translate(NO_SUCH_PATH, path=path, suggestion=suggestion)) from None

    def nodes(self) -> Iterator[TreeNode]:
        """Every module node, depth first."""
        return self.root.walk()


def child_groups(node: TreeNode) -> Iterator[TreeNode | tuple[Repeat, tuple[TreeNode, ...], str]]:
    """The children of ``node``, with each run of repeats given as ``(repeat, members, label_path)``.

    ``label_path`` spells the run, e.g. ``net.layer3[1…35]``.
    """
    starts = {r.start: r for r in node.repeats}
    i = 0
    while i < len(node.children):
        run = starts.get(i)
        if run is None:
            yield node.children[i]
            i += 1
            continue
        members = node.children[i:i + run.count]
        first, last = members[0].path, members[-1].path
        yield run, members, _span(first, last)
        i += run.count


def _span(first: str, last: str) -> str:
    """``net[1]`` and ``net[35]`` -> ``net[1…35]``; other names -> ``net.a … net.c``."""
    head, _, index = first.rpartition("[")
    last_head, _, last_index = last.rpartition("[")
    if head and head == last_head and index[:-1].isdigit() and last_index[:-1].isdigit():
        return f"{head}[{index[:-1]}…{last_index[:-1]}]"
    return f"{first} … {last}"
