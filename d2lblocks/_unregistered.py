"""``find_unregistered``: everything a model holds that PyTorch cannot see."""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

from ._registration import check_module
from .i18n import N_, translate

# Attributes every nn.Module has; they hold PyTorch's own bookkeeping, not user state.
_MODULE_INTERNALS = frozenset(nn.Module().__dict__)
_MAX_DEPTH = 4  # containers nested deeper than this are not user state worth walking

_CONSEQUENCE = {
    "module": N_(
        "parameters(), state_dict(), .to() and .eval() cannot see this {type_name} ({count:,} "
        "parameters): the optimizer never trains it, saving loses it, .to() leaves it on the old "
        "device and .eval()/.train() do not reach it"
    ),
    "parameter": N_("parameters() and state_dict() cannot see it: the optimizer never updates it and saving loses it"),
    "tensor": N_("state_dict() does not save it and .to() does not move it, so it is lost on save/load and stays "
                 "behind on the old device or dtype"),
}
_FIX = {
    ("module", "list"): N_("store the blocks in nn.ModuleList([...]) (or nn.Sequential) instead of a Python list"),
    ("module", "tuple"): N_("store the blocks in nn.ModuleList([...]) (or nn.Sequential) instead of a tuple"),
    ("module", "set"): N_("store the blocks in nn.ModuleList([...]); a set also loses their order"),
    ("module", "dict"): N_("store the blocks in nn.ModuleDict({{...}}) instead of a Python dict"),
    ("module", "attribute"): N_("assign it normally (self.name = block) after calling super().__init__()"),
    ("parameter", "list"): N_("store them in nn.ParameterList([...])"),
    ("parameter", "tuple"): N_("store them in nn.ParameterList([...])"),
    ("parameter", "set"): N_("store them in nn.ParameterList([...])"),
    ("parameter", "dict"): N_("store them in nn.ParameterDict({{...}})"),
    ("parameter", "attribute"): N_("assign it as self.name = nn.Parameter(...) after super().__init__()"),
    ("tensor", "attribute"): N_("register it with self.register_buffer({name!r}, tensor) "
                                "(persistent=False if it should not be saved)"),
    ("trainable", "attribute"): N_("wrap it in nn.Parameter(...) so it is trained and saved"),
}
_FIX_TENSOR_IN_CONTAINER = N_("register each tensor with self.register_buffer(name, tensor), or stack them into one buffer")
# The words of the printout; kinds are the student's nouns, containers stay Python's names.
_KIND = {"module": N_("module"), "parameter": N_("parameter"), "tensor": N_("tensor")}
_HELD_IN = N_("{path}: {what} held in a {container}")
_HELD_AS_ATTRIBUTE = N_("{path}: {what} held as a plain attribute")
_WHY = N_("why it matters: {consequence}")
FIX_LINE = N_("fix: {fix}")
_NOTHING_HIDDEN = N_("find_unregistered: nothing hidden; PyTorch sees every block and tensor in this model.")
_ONE_HIDDEN = N_("find_unregistered: 1 thing PyTorch cannot see")
_SOME_HIDDEN = N_("find_unregistered: {count} things PyTorch cannot see")


@dataclass(frozen=True)
class Unregistered:
    """One thing a model holds that PyTorch's registry does not know about."""

    path: str          # readable path from the root, e.g. "net.blocks[1]"
    module_path: str   # owner in named_modules() spelling: "" for the root, "0.net"
    attribute: str     # the owner's attribute holding it, e.g. "blocks"
    accessor: str      # how to reach it from the owner, e.g. "blocks[1]"
    kind: str          # "module", "parameter" or "tensor"
    container: str     # "list", "tuple", "dict", "set" or "attribute"
    type_name: str
    consequence: str   # in the language in force when find_unregistered ran
    fix: str
    obj: Any = field(compare=False, repr=False)

    def __str__(self) -> str:
        kind = translate(_KIND[self.kind])
        # "Tensor tensor" says nothing twice: name the kind once when the type is just that kind.
        what = kind if self.type_name.lower() == self.kind else f"{self.type_name} {kind}"
        held = (translate(_HELD_AS_ATTRIBUTE, path=self.path, what=what) if self.container == "attribute"
                else translate(_HELD_IN, path=self.path, what=what, container=self.container))
        return (f"{held}\n    {translate(_WHY, consequence=self.consequence)}\n"
                f"    {translate(FIX_LINE, fix=self.fix)}")


class UnregisteredReport(tuple):
    """A tuple of ``Unregistered`` findings with a readable printout; empty means all is registered."""

    def __repr__(self) -> str:
        if not self:
            return translate(_NOTHING_HIDDEN)
        lines = [translate(_ONE_HIDDEN) if len(self) == 1 else translate(_SOME_HIDDEN, count=len(self))]
        lines += [f"  {finding}" for finding in self]
        return "\n".join(lines)

    __str__ = __repr__


def find_unregistered(model: nn.Module, root_name: str = "net") -> UnregisteredReport:
    """Report every module, parameter or tensor in ``model`` that PyTorch cannot see.

    Registered children, parameters and buffers are found by ``parameters()``,
    ``state_dict()``, ``.to()`` and ``.eval()``. Anything held in a Python
    list, tuple, dict or set, or a tensor kept as a plain attribute, is not.

    Example::

        >>> from d2lblocks import ListSequential
        >>> report = find_unregistered(ListSequential(nn.Linear(2, 2)))
        >>> [(f.path, f.kind, f.container) for f in report]
        [('net.blocks[0]', 'module', 'list')]
    """
    check_module(model, "find_unregistered")
    registered = _registered_objects(model)
    findings: list[Unregistered] = []
    for module_path, module in model.named_modules():
        owner_path = _readable_path(root_name, module_path)
        recomputed = _recomputed_by_hooks(module)
        for attribute, value in vars(module).items():
            if attribute in _MODULE_INTERNALS or attribute in recomputed:
                continue
            for accessor, container, obj in _walk(attribute, value, "attribute", 0):
                if id(obj) in registered:
                    continue
                findings.append(_finding(owner_path, module_path, attribute, accessor, container, obj))
    return UnregisteredReport(findings)


def _recomputed_by_hooks(module: nn.Module) -> set[str]:
    # torch.nn.utils.weight_norm and spectral_norm keep `weight` as a plain tensor
    # that a forward pre-hook rebuilds from registered parameters before every
    # call: derived, not hidden state. Such hooks name the attribute they own.
    return {name for hook in module._forward_pre_hooks.values() if isinstance(name := getattr(hook, "name", None), str)}


def _registered_objects(model: nn.Module) -> dict[int, Any]:
    # Values are the objects themselves: keeping them alive means an id() cannot be reused.
    seen: dict[int, Any] = {}
    for module in model.modules():
        seen[id(module)] = module
        for tensor in [*module._parameters.values(), *module._buffers.values()]:
            if tensor is not None:
                seen[id(tensor)] = tensor
    return seen


_PLAIN_VALUES = (int, float, bool, str, bytes, type(None))


def _walk(accessor: str, value: Any, container: str, depth: int) -> Iterator[tuple[str, str, Any]]:
    # Most attributes are plain settings (in_features, kernel_size=(3, 3)): skip them cheaply.
    if isinstance(value, _PLAIN_VALUES) or (isinstance(value, tuple) and all(isinstance(v, _PLAIN_VALUES) for v in value)):
        return
    if isinstance(value, (nn.Module, torch.Tensor)):
        yield accessor, container, value
        return
    if depth >= _MAX_DEPTH:
        return
    if isinstance(value, (list, tuple)):
        kind = "tuple" if isinstance(value, tuple) else "list"
        for index, item in enumerate(value):
            yield from _walk(f"{accessor}[{index}]", item, kind if depth == 0 else container, depth + 1)
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _walk(f"{accessor}[{key!r}]", item, "dict" if depth == 0 else container, depth + 1)
    elif isinstance(value, (set, frozenset)):
        for index, item in enumerate(value):
            yield from _walk(f"{accessor}{{#{index}}}", item, "set" if depth == 0 else container, depth + 1)


def _finding(owner_path: str, module_path: str, attribute: str, accessor: str, container: str, obj: Any) -> Unregistered:
    if isinstance(obj, nn.Module):
        kind = "module"
        count = sum(p.numel() for p in obj.parameters() if not isinstance(p, nn.parameter.UninitializedParameter))
        consequence = translate(_CONSEQUENCE["module"], type_name=type(obj).__name__, count=count)
    else:
        kind = "parameter" if isinstance(obj, nn.Parameter) else "tensor"
        consequence = translate(_CONSEQUENCE[kind])
    if kind == "tensor" and container != "attribute":
        fix = translate(_FIX_TENSOR_IN_CONTAINER)
    elif kind == "tensor" and obj.requires_grad:
        fix = translate(_FIX[("trainable", "attribute")])
    else:
        fix = translate(_FIX[(kind, container)], name=attribute)
    return Unregistered(
        path=f"{owner_path}.{accessor}",
        module_path=module_path,
        attribute=attribute,
        accessor=accessor,
        kind=kind,
        container=container,
        type_name=type(obj).__name__,
        consequence=consequence,
        fix=fix,
        obj=obj,
    )


def _readable_path(root_name: str, module_path: str) -> str:
    """Turn named_modules() spelling ("0.net.2") into Python access ("net[0].net[2]")."""
    path = root_name
    for part in module_path.split(".") if module_path else []:
        path += f"[{part}]" if part.isdigit() else f".{part}"
    return path
