"""Build a :class:`ParamTree` from a module, without running or changing it.

Two passes: ``_Walker`` visits every path (registered children, then what
``find_unregistered`` reports) and records, by identity, every path that reaches
each module and tensor; ``_Finisher`` then freezes the nodes bottom up, now that
it knows which objects are shared, and sums counts once per object.
"""
from __future__ import annotations

import gc
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import torch
from torch import nn
from torch.nn.parameter import is_lazy

from ..i18n import N_, translate
from ._model import Repeat, TensorInfo, TreeNode
from ._totals import Totals
from ._tree import ParamTree

if TYPE_CHECKING:
    from .._unregistered import UnregisteredReport


@dataclass
class _Draft:
    path: str
    name: str
    module: nn.Module
    module_path: str | None
    unregistered: bool
    consequence: str = ""
    fix: str = ""
    tensors: list = field(default_factory=list)  # (name, path, tensor, role, persistent, consequence, fix)
    children: list = field(default_factory=list)


def child_path(parent: str, name: str) -> str:
    """``net`` + ``0`` -> ``net[0]``; ``net`` + ``blocks`` -> ``net.blocks``."""
    return f"{parent}[{name}]" if name.isdigit() else f"{parent}.{name}"


NON_STRING_KEY = N_(
    "param_tree(): a {owner} registers a child under the key {key!r} of type {key_type}, not under a string "
    "name, so parameters(), state_dict() and print() fail with TypeError. Register children with "
    "self.add_module(str(index), block) or self._modules[str(index)] = block."
)


def _check_names(model: nn.Module) -> None:
    stack, seen = [model], set()
    while stack:
        module = stack.pop()
        if id(module) in seen:
            continue
        seen.add(id(module))
        for key, child in module._modules.items():
            if not isinstance(key, str):
                raise TypeError(translate(NON_STRING_KEY, owner=type(module).__name__, key=key,
                                          key_type=type(key).__name__))
            if child is not None:
                stack.append(child)


class _Walker:
    """Pass one: every path to every object, keeping each object alive (no recycled ids)."""

    def __init__(self, model: nn.Module):
        self.objects: dict[int, Any] = {}
        self.module_paths: dict[int, list[str]] = {}
        self.tensor_paths: dict[int, list[str]] = {}
        self.registered_modules: set[int] = set()
        self.report: UnregisteredReport | None = None
        self._unregistered: dict[int, list] = {}
        self._scanned: set[int] = set()
        self._scan(model, top=True)

    def _scan(self, module: nn.Module, top: bool = False) -> None:
        if id(module) in self._scanned:
            return
        self._scanned.add(id(module))
        self.objects[id(module)] = module
        from .._unregistered import find_unregistered

        try:
            report = find_unregistered(module)
        except TypeError:
            _check_names(module)  # children keyed by objects break named_modules(): say so plainly
            raise
        if top:
            self.report = report
        owners = dict(module.named_modules()) if report else {}
        for entry in report:
            owner = owners.get(entry.module_path)
            if owner is None:
                continue
            seen = self._unregistered.setdefault(id(owner), [])
            if all(e.accessor != entry.accessor for e in seen):
                seen.append(entry)

    def walk(self, module: nn.Module, path: str, name: str, module_path: str | None,
             unregistered: bool, ancestors: frozenset = frozenset()) -> _Draft:
        draft = _Draft(path, name, module, module_path, unregistered)
        self.objects[id(module)] = module
        self.module_paths.setdefault(id(module), []).append(path)
        if not unregistered:
            self.registered_modules.add(id(module))
        if id(module) in ancestors:  # a module containing itself: show it, do not recurse forever
            return draft
        ancestors = ancestors | {id(module)}
        for pname, p in module._parameters.items():
            if p is not None:
                self._tensor(draft, pname, p, "parameter", True)
        for bname, b in module._buffers.items():
            if b is not None:
                self._tensor(draft, bname, b, "buffer", bname not in module._non_persistent_buffers_set)
        for cname, child in module._modules.items():
            if child is not None:
                sub = None if module_path is None else (f"{module_path}.{cname}" if module_path else cname)
                draft.children.append(self.walk(child, child_path(path, cname), cname, sub, unregistered, ancestors))
        for entry in self._unregistered.get(id(module), ()):
            self._attach(draft, entry, ancestors)
        return draft

    def _attach(self, draft: _Draft, entry, ancestors: frozenset) -> None:
        path = f"{draft.path}.{entry.accessor}"
        if entry.kind == "module":
            self._scan(entry.obj)
            child = self.walk(entry.obj, path, entry.accessor, None, True, ancestors)
            child.consequence, child.fix = entry.consequence, entry.fix
            draft.children.append(child)
        elif isinstance(entry.obj, torch.Tensor):
            self._tensor(draft, entry.accessor, entry.obj, "unregistered", False, entry.consequence, entry.fix)

    def _tensor(self, draft, name, tensor, role, persistent, consequence="", fix=""):
        path = child_path(draft.path, name) if role != "unregistered" else f"{draft.path}.{name}"
        self.objects[id(tensor)] = tensor
        self.tensor_paths.setdefault(id(tensor), []).append(path)
        draft.tensors.append((name, path, tensor, role, persistent, consequence, fix))


class _Finisher:
    """Pass two: frozen nodes with counts by identity, badges, structure ids and repeat runs."""

    def __init__(self, walker: _Walker, calls: dict[int, int] | None):
        self.w = walker
        self.calls = calls
        self.structures: dict[tuple, int] = {}
        self.index: dict[str, Any] = {}
        self.lazy = 0

    def finish(self, d: _Draft, inside_unregistered: bool = False) -> tuple[TreeNode, Totals]:
        """The frozen node, and its subtree's sums with shared tensors still unresolved."""
        hidden = inside_unregistered or d.unregistered
        tensors = [self._tensor_info(name, path, t, "unregistered" if hidden else role, persistent, consequence, fix)
                   for name, path, t, role, persistent, consequence, fix in d.tensors]
        sums = Totals()
        for info in tensors:
            sums.add(info)
        own = sums.resolved()
        children = []
        for c in d.children:
            node, sub = self.finish(c, hidden)
            children.append(node)
            sums.merge(sub)
        total = sums.resolved()
        badges = set()
        paths = self.w.module_paths[id(d.module)]
        if len(paths) > 1:
            badges.add("shared")
        if hidden:
            badges.add("unregistered")
        if any("lazy" in x.badges for x in tensors) or any("lazy" in x.badges for x in children):
            badges.add("lazy")
        if total.param_tensors and not total.trainable:
            badges.add("frozen")
        calls = None if self.calls is None else self.calls.get(id(d.module), 0)
        if calls and calls > 1:
            badges.add("reused")
        structure = self.structures.setdefault((
            type(d.module).__qualname__, tuple([(t.name, t.role, t.shape, t.dtype, t.requires_grad) for t in tensors]),
            tuple([(c.name, c.structure, c.badges, c.calls) for c in children])), len(self.structures))
        node = TreeNode(
            path=d.path, name=d.name, type_name=type(d.module).__name__, module_path=d.module_path,
            key=id(d.module), tensors=tuple(tensors), children=tuple(children),
            repeats=_repeats(children) if len(children) > 1 else (),
            num_params=total.params, own_params=own.params, num_unregistered_params=total.unregistered,
            param_bytes=total.param_bytes, buffer_bytes=total.buffer_bytes,
            structure=structure, badges=frozenset(badges),
            shared_paths=tuple([p for p in paths if p != d.path]) if len(paths) > 1 else (),
            calls=calls, consequence=d.consequence, fix=d.fix)
        self.index[node.path] = node
        return node, sums

    def _tensor_info(self, name, path, t, role, persistent, consequence, fix) -> TensorInfo:
        # Called once per tensor of the model: kept lean, with names and badge sets memoised.
        paths = self.w.tensor_paths[id(t)]
        lazy = is_lazy(t)
        if lazy:
            self.lazy += path == paths[0]
        is_parameter = type(t) is nn.Parameter or isinstance(t, nn.Parameter)
        requires_grad = t.requires_grad
        badges = _badge_set(len(paths) > 1, lazy, role == "unregistered", not is_parameter,
                            is_parameter and not requires_grad)
        numel = 0 if lazy else t.numel()
        info = TensorInfo(
            name, path, role, None if lazy else tuple(t.shape), _name(t.dtype), _name(t.device), numel,
            0 if lazy else numel * t.element_size(), requires_grad, persistent, id(t), path == paths[0],
            tuple([p for p in paths if p != path]) if len(paths) > 1 else (), badges, consequence, fix)
        self.index[path] = info
        return info


_BADGE_SETS: dict[tuple, frozenset] = {}
_TENSOR_BADGES = ("shared", "lazy", "unregistered", "constant", "frozen")


def _badge_set(*flags: bool) -> frozenset[str]:
    badges = _BADGE_SETS.get(flags)
    if badges is None:
        badges = _BADGE_SETS[flags] = frozenset(b for b, on in zip(_TENSOR_BADGES, flags) if on)
    return badges


_NAMES: dict[Any, str] = {}


def _name(dtype_or_device) -> str:
    """``torch.float32`` -> ``float32``, ``device('cpu')`` -> ``cpu``, memoised (asked for every tensor)."""
    name = _NAMES.get(dtype_or_device)
    if name is None:
        name = _NAMES[dtype_or_device] = str(dtype_or_device).removeprefix("torch.")
    return name


def _repeats(children: list[TreeNode]) -> tuple[Repeat, ...]:
    """Runs of two or more consecutive siblings with the same structure, badges and call count."""
    runs, i = [], 0
    while i < len(children):
        j = i + 1
        key = (children[i].structure, children[i].badges, children[i].calls)
        while j < len(children) and (children[j].structure, children[j].badges, children[j].calls) == key:
            j += 1
        if j - i >= 2:
            runs.append(Repeat(i, j - i, children[i].type_name, children[i].num_params))
        i = j
    return tuple(runs)


def build_tree(model: nn.Module, name: str = "net", calls: dict[int, int] | None = None,
               calls_note: str | None = None, keep_alive: Any = None) -> ParamTree:
    """The snapshot for ``model``; ``calls`` maps ``id(module)`` to its forward count."""
    # Building allocates many small objects and no garbage cycles; pausing the cyclic
    # collector avoids repeated full scans of a large model's live objects.
    collecting = gc.isenabled()
    gc.disable()
    try:
        walker = _Walker(model)
        draft = walker.walk(model, name, name, "", False)
        finisher = _Finisher(walker, calls)
        root, _ = finisher.finish(draft)
    finally:
        if collecting:
            gc.enable()
    if keep_alive is not None:
        walker.objects[id(keep_alive)] = keep_alive
    return ParamTree(
        root=root, num_params=root.num_params,
        num_unregistered_params=root.num_unregistered_params,
        num_modules=len(walker.registered_modules), num_lazy=finisher.lazy, calls_note=calls_note,
        unregistered=walker.report, _objects=walker.objects, _index=finisher.index)
