"""Helpers every probe uses: building challenge blocks, running student code, describing objects.

A block spec is plain data: ``{"kind": "linear", "weight": T, "bias": T}``,
``{"kind": "relu"}``, ``{"kind": "tanh"}``, ``{"kind": "identity"}``,
``{"kind": "dropout", "p": 0.5}``, ``{"kind": "sequential", "blocks": [spec, ...]}``.
"""
import torch
from torch import nn

from d2lblocks_grade.verify.kernel_side import error_of  # the one way a student's error becomes data

SIMPLE = {"relu": nn.ReLU, "tanh": nn.Tanh, "identity": nn.Identity}


class Missing(Exception):
    """The notebook does not define a name the exercise asks for."""


def build(spec) -> nn.Module:
    kind = spec["kind"]
    if kind == "linear":
        out_features, in_features = spec["weight"].shape
        layer = nn.Linear(in_features, out_features)
        with torch.no_grad():
            layer.weight.copy_(spec["weight"])
            layer.bias.copy_(spec["bias"])
        return layer
    if kind == "dropout":
        return nn.Dropout(spec["p"])
    if kind == "sequential":
        return nn.Sequential(*[build(inner) for inner in spec["blocks"]])
    return SIMPLE[kind]()


def answer(answers, name):
    if name not in answers:
        raise Missing(name)
    return answers[name]


def attempt(function, *args):
    """``{"value": ...}`` or ``{"raised": {"type", "message"}}``; a missing answer name propagates."""
    try:
        return {"value": function(*args)}
    except Missing:
        raise
    except RecursionError:
        return {"raised": {"type": "RecursionError", "message": ""}}
    except Exception as error:
        return {"raised": error_of(error)}


def plain(value):
    """A result as plain data: a detached CPU copy of a tensor, else a description of what it was."""
    if isinstance(value, torch.Tensor):
        # torch.Tensor's own methods, with subclass hooks off: a subclass cannot choose what is sent.
        with torch._C.DisableTorchFunctionSubclass():
            copy = torch.Tensor.clone(torch.Tensor.to(torch.Tensor.detach(value), "cpu"))
            return {"tensor": torch.Tensor.as_subclass(copy, torch.Tensor)}
    return {"not_tensor": "NoneType" if value is None else type(value).__name__}


def run(function, *args):
    """Call student code and describe its result as plain data."""
    result = attempt(function, *args)
    if "value" in result:
        result["value"] = plain(result["value"])
    return result


def index_in(obj, pool) -> int:
    return next((i for i, block in enumerate(pool) if block is obj), -1)


def same_state(copy, block) -> bool:
    """A different object with the same numbers as ``block`` (copy.deepcopy, a rebuilt network)."""
    if copy is block or type(copy) is not type(block):
        return False
    mine, theirs = copy.state_dict(), block.state_dict()
    return mine.keys() == theirs.keys() and all(torch.equal(mine[key], theirs[key]) for key in mine)


def all_modules(model) -> list:
    """model.modules() without its names, so a block registered under a key that is not a string
    (which makes modules() itself crash) is still found."""
    found, stack, seen = [], [model], set()
    while stack:
        module = stack.pop(0)
        if id(module) in seen:
            continue
        seen.add(id(module))
        found.append(module)
        stack.extend(child for child in module._modules.values() if child is not None)
    return found


def registry(model, pool) -> dict:
    """What ``model`` registers, described by position in ``pool`` (the blocks the test made).

    ``entries``: one pool index per registered position (an nn.ModuleList, ModuleDict or
    Sequential the model made is opened); ``registered``: pool indices among
    ``model.modules()``; ``copies``: pool indices that have a registered copy.
    """
    entries = []
    for child in model._modules.values():
        if index_in(child, pool) < 0 and type(child) in (nn.ModuleList, nn.ModuleDict, nn.Sequential):
            entries.extend(index_in(inner, pool) for inner in child._modules.values())
        else:
            entries.append(index_in(child, pool))
    modules = all_modules(model)
    registered = sorted({i for module in modules if (i := index_in(module, pool)) >= 0})
    strangers = [module for module in modules if module is not model and index_in(module, pool) < 0]
    copies = sorted({i for i, block in enumerate(pool) if any(same_state(m, block) for m in strangers)})
    return {
        "key_types": [type(key).__name__ for key in model._modules.keys()],
        "entries": entries,
        "registered": registered,
        "copies": copies,
        "hidden": hidden_containers(model),
        "bases": [cls.__module__ + "." + cls.__qualname__ for cls in type(model).__mro__],
    }


def hidden_containers(model) -> list:
    """Attributes holding modules where PyTorch cannot see them: plain lists, tuples, dicts, sets."""
    found = []
    for name, value in vars(model).items():
        if name.startswith("_") and name in ("_modules", "_parameters", "_buffers"):
            continue
        if isinstance(value, (list, tuple, set, dict)):
            items = value.values() if isinstance(value, dict) else value
            if any(isinstance(item, nn.Module) for item in items):
                found.append({"name": str(name), "container": type(value).__name__})
        elif isinstance(value, nn.Module) and name not in model._modules:
            found.append({"name": str(name), "container": "attribute"})
    return found


def parameters_of(model, pool) -> list:
    """model.parameters(): for each, (index of the pool block that owns it or -1, its values)."""
    owners = {id(p): i for i, block in enumerate(pool) for p in block.parameters()}
    return [{"owner": owners.get(id(p), -1), "values": plain(p)} for p in model.parameters()]


class Calls:
    """Records which pool blocks run, in order (forward pre-hooks), and whether each got the original X."""

    def __init__(self, pool, X=None):
        self.order, self.handles = [], []
        for i, block in enumerate(pool):
            self.handles.append(block.register_forward_pre_hook(
                lambda module, args, i=i: self.order.append([i, bool(args) and args[0] is X])))

    def __enter__(self):
        return self.order

    def __exit__(self, *exc):
        for handle in self.handles:
            handle.remove()


def _parameters_of(blocks) -> list:
    """The distinct parameters of ``blocks`` (a block passed twice, or nested, is counted once)."""
    found = {}
    for block in blocks:
        try:
            parameters = list(block.parameters())
        except Exception:  # a student's block PyTorch cannot walk: other checks say why
            continue
        for parameter in parameters:
            found.setdefault(id(parameter), parameter)
    return list(found.values())


def after_training(model, X, blocks) -> dict:
    """``model`` run again once its blocks' weights changed, as one training step changes them: on the very same
    X and on an equal copy of it. Every answer gets the same change, so a right one computes what the course's
    does; one that stores an earlier output returns it again. The weights are put back afterwards."""
    parameters = _parameters_of(blocks)
    saved = [parameter.detach().clone() for parameter in parameters]
    with torch.no_grad():
        for parameter in parameters:
            parameter.mul_(-0.5).add_(0.125)
    try:
        return {"same_input": run(model, X), "equal_input": run(model, X.clone())}
    finally:
        with torch.no_grad():
            for parameter, value in zip(parameters, saved):
                parameter.copy_(value)
