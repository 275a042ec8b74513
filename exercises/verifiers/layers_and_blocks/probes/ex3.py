"""Exercise 3, replicate and deep_net: run them on the challenge and report what they built.

The numbers sent back (outputs on the challenge's X, the values of every state_dict
entry in order) are what the judges compare with the course's replicate; the rest
(types, counts, identities, shared storage) only chooses the message.
"""
import torch
from torch import nn

from .common import after_training, answer, attempt, hidden_containers, index_in, plain, run

LARGEST_STATE = 100_000  # numbers of a deep_net's state_dict worth sending back (the exercise's holds 377)


def _named(function, name: str):
    """``function`` as errors about it name the test's own factory (``__main__.<lambda>``, ``__main__.factory``)."""
    function.__name__ = function.__qualname__ = name
    function.__module__ = "__main__"
    return function


def _hidden_paths(net) -> list:
    """Where ``net`` keeps blocks PyTorch cannot see, as paths like ``net.blocks[0]`` (message only)."""
    paths = []
    for found in hidden_containers(net):
        name, container = found["name"], found["container"]
        value = getattr(net, name, None)
        if container in ("list", "tuple"):
            where = next((i for i, item in enumerate(value) if isinstance(item, nn.Module)), 0)
            paths.append(f"net.{name}[{where}]")
        elif container == "dict":
            where = next((key for key, item in value.items() if isinstance(item, nn.Module)), "")
            paths.append(f"net.{name}[{where!r}]")
        else:
            paths.append(f"net.{name}")
    return paths


def _structure(net) -> dict:
    """What replicate returned: its type, whether it is a chain, unseen blocks, its length (message only)."""
    report = {"type": "NoneType" if net is None else type(net).__name__,
              "sequential": isinstance(net, nn.Sequential),
              "container": isinstance(net, (list, tuple, nn.ModuleList))}
    hidden = attempt(_hidden_paths, net) if isinstance(net, nn.Module) else {"value": []}
    report["hidden"] = hidden.get("value", [])
    length = attempt(len, net)
    report["length"] = length["value"] if type(length.get("value")) is int else None
    return report


def _state(net) -> dict:
    """The values of ``net.state_dict()``, in order (names differ between right answers, values do not)."""
    if not isinstance(net, nn.Module):
        return {"value": []}
    return attempt(lambda: [plain(value) for value in net.state_dict().values()])


def _shared(net) -> list:
    """Groups of parameter names that are one tensor (message only)."""
    groups = {}
    for name, parameter in net.named_parameters(remove_duplicate=False):
        groups.setdefault(id(parameter), []).append(str(name))
    return [names for names in groups.values() if len(names) > 1]


def sequential(challenge, answers):
    """replicate(factory, n) for each n, the factory building an nn.Linear(4, 4) with the challenge's weights."""
    replicate = answer(answers, "replicate")
    spec = challenge["block"]

    def factory():
        layer = nn.Linear(4, 4)
        with torch.no_grad():
            layer.weight.copy_(spec["weight"])
            layer.bias.copy_(spec["bias"])
        return layer

    factory = _named(factory, "<lambda>")
    cases = []
    for n in challenge["ns"]:
        made = attempt(replicate, factory, n)
        if "raised" in made:
            cases.append({"made": made})
            continue
        net = made["value"]
        cases.append({"made": {"value": True}, "structure": _structure(net), "state": _state(net),
                      "output": run(net, challenge["X"])})
    return {"cases": cases}


def _first_weight(block):
    """The first weight of a copy: its own for a layer, its first layer's for a small network."""
    return next(block.parameters()).detach()


def _replicated(replicate, make, seed, name, X) -> dict:
    """replicate(factory, 3) right after torch.manual_seed(seed), the factory recording every block it makes;
    its state and its output on X (only a chain of the copies computes the course's)."""
    made = []

    def factory():
        block = make()
        made.append(block)
        return block

    factory = _named(factory, name)
    torch.manual_seed(seed)
    result = attempt(replicate, factory, 3)
    if "raised" in result:
        return {"made": result}
    net = result["value"]
    report = {"made": {"value": True}, "structure": _structure(net), "calls": len(made), "state": _state(net)}
    report["output"] = run(net, X)
    report["again"] = after_training(net, X, made)
    blocks = attempt(list, net)
    if "value" in blocks:
        blocks = blocks["value"]
        report["objects"] = len(blocks)
        report["distinct"] = len({id(block) for block in blocks})
        report["order"] = [index_in(block, made) for block in blocks]
        weights = attempt(lambda: [_first_weight(block) for block in blocks])
        if "value" in weights and weights["value"]:
            first = weights["value"][0]
            report["identical"] = any(torch.equal(first, weight) for weight in weights["value"][1:])
    if isinstance(net, nn.Module):
        shared = attempt(_shared, net)
        report["shared"] = shared.get("value", [])
        count = attempt(lambda: len(list(net.parameters())))
        report["parameters"] = count.get("value")
    return report


def independent(challenge, answers):
    """replicate of a counting factory of nn.Linear(4, 4), then of nn.Sequential(nn.Linear(4, 4), nn.Tanh())."""
    replicate = answer(answers, "replicate")
    (first, second), X = challenge["seeds"], challenge["X"]
    return {"counting": _replicated(replicate, lambda: nn.Linear(4, 4), first, "counting_factory", X),
            "sequential": _replicated(replicate, lambda: nn.Sequential(nn.Linear(4, 4), nn.Tanh()), second, "factory",
                                      X)}


def _storage_groups(state) -> list:
    """Groups of state_dict names whose tensors live in one storage (message only)."""
    groups = {}
    for name, value in state.items():
        if not value.numel():
            continue
        groups.setdefault(value.untyped_storage().data_ptr(), []).append(str(name))
    return [names for names in groups.values() if len(names) > 1]


def deep_net(challenge, answers):
    """deep_net's output on the challenge's X, its state_dict (names and values, in order) and deep_out's shape."""
    for name in ("deep_net", "deep_out"):
        if name not in answers:
            return {"missing": name}
    net, out = answers["deep_net"], answers["deep_out"]
    report = {"module": isinstance(net, nn.Module), "type": type(net).__name__}
    if not report["module"]:
        return report
    report["output"] = run(net, challenge["X"])
    report["again"] = after_training(net, challenge["X"], [net])
    is_tensor = isinstance(out, torch.Tensor)
    report["deep_out"] = {"tensor": is_tensor, "shape": list(out.shape) if is_tensor else None}
    count = attempt(lambda: len(list(net.parameters())))
    report["count"] = count.get("value")
    shared = attempt(_shared, net)
    report["shared"] = shared.get("value", [])
    state = attempt(lambda: dict(net.state_dict()))
    if "value" in state:
        entries = state["value"]
        storage = attempt(_storage_groups, entries)
        report["storage"] = storage.get("value", [])
        report["shapes"] = [[str(name), list(value.shape)] for name, value in entries.items()]
        if sum(value.numel() for value in entries.values()) <= LARGEST_STATE:
            report["state"] = [plain(value) for value in entries.values()]
    return report
