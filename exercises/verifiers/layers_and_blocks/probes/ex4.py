"""Exercise 4, FixedHiddenMLP: give the model the challenge's numbers, run it, save, move and train it.

Every model built here gets the challenge's rand_weight, linear weight and bias
(copied into its attributes, which reaches a buffer, a parameter and a plain tensor
alike), so its outputs, and its tensors after one SGD step, are fixed by the
challenge: the judges compare them with the course's FixedHiddenMLP given the same
numbers. How rand_weight is stored, its dtype, device and gradient only choose the
message.
"""
import torch
from torch import nn

from .common import answer, attempt, plain, run


def _kind(model) -> str:
    """How the model holds rand_weight: parameter, buffer, non-persistent buffer, plain tensor (message only)."""
    if "rand_weight" in getattr(model, "_parameters", {}):
        return "parameter"
    if "rand_weight" in getattr(model, "_buffers", {}):
        return "non_persistent" if "rand_weight" in getattr(model, "_non_persistent_buffers_set", ()) else "buffer"
    return "tensor" if isinstance(getattr(model, "rand_weight", None), torch.Tensor) else "missing"


def _describe(model) -> dict:
    weight, linear = getattr(model, "rand_weight", None), getattr(model, "linear", None)
    report = {"kind": _kind(model), "weight": isinstance(weight, torch.Tensor), "linear": isinstance(linear, nn.Linear)}
    if report["weight"]:
        report.update(shape=list(weight.shape), dtype=str(weight.dtype), requires_grad=bool(weight.requires_grad))
    if report["linear"]:
        report["linear_dtype"] = str(linear.weight.dtype)
    return report


def _usable(report) -> bool:
    return report.get("weight") is True and report.get("shape") == [20, 20] and report.get("linear") is True


def _load(model, challenge) -> None:
    """The challenge's numbers into the model's own tensors, in place."""
    with torch.no_grad():
        model.linear.weight.copy_(challenge["linear"]["weight"])
        model.linear.bias.copy_(challenge["linear"]["bias"])
        model.rand_weight.copy_(challenge["rand_weight"])


def _made(FixedHiddenMLP, challenge) -> dict:
    """A FixedHiddenMLP holding the challenge's numbers: ``{"model", "report"}``, or what stopped it."""
    made = attempt(FixedHiddenMLP)
    if "raised" in made:
        return {"report": {"made": made}}
    model = made["value"]
    described = attempt(_describe, model)
    if "raised" in described:
        return {"report": {"made": described}}
    report = {"made": {"value": True}, "describe": described["value"]}
    if not _usable(report["describe"]):
        return {"report": report}
    loaded = attempt(_load, model, challenge)
    report["loaded"] = {"raised": loaded["raised"]} if "raised" in loaded else {"value": True}
    return {"model": model, "report": report}


def _snapshot(model):
    weight = getattr(model, "rand_weight", None)
    return torch.Tensor.clone(torch.Tensor.detach(weight)) if isinstance(weight, torch.Tensor) else None


def _unchanged(model, before) -> bool:
    now = getattr(model, "rand_weight", None)
    return isinstance(now, torch.Tensor) and before is not None and now.shape == before.shape and \
        now.dtype == before.dtype and bool(torch.equal(torch.Tensor.detach(now).to("cpu"), before.to("cpu")))


def forward(challenge, answers):
    """FixedHiddenMLP() with the challenge's numbers, on X."""
    made = _made(answer(answers, "FixedHiddenMLP"), challenge)
    report, model = made["report"], made.get("model")
    if model is None:
        return report
    before = _snapshot(model)
    report["output"] = run(model, challenge["X"])
    report["changed"] = not _unchanged(model, before)
    return report


def state_dict(challenge, answers):
    """A second FixedHiddenMLP() loaded from the first's state_dict(), both run on X; then one SGD step on the first."""
    FixedHiddenMLP = answer(answers, "FixedHiddenMLP")
    made = _made(FixedHiddenMLP, challenge)
    report, first = made["report"], made.get("model")
    if first is None:
        return report
    second = attempt(FixedHiddenMLP)
    if "raised" in second:
        return {**report, "made": second}
    state = attempt(lambda: dict(first.state_dict()))
    if "raised" in state:
        return {**report, "made": state}
    report["keys"] = [str(key) for key in state["value"]]
    X = challenge["X"]
    both = attempt(lambda: (second["value"].load_state_dict(state["value"]), first(X), second["value"](X)))
    if "raised" in both:
        report["both"] = both
        return report
    report["both"] = {"value": True}
    report["first"], report["second"] = {"value": plain(both["value"][1])}, {"value": plain(both["value"][2])}
    if all(isinstance(out, torch.Tensor) for out in both["value"][1:]) and _trained(first, X, challenge["lr"], report):
        report["after"] = run(first, X)
    return report


def device(challenge, answers):
    """FixedHiddenMLP() with the challenge's numbers, .to(torch.float64), on X.double(); another one .to('meta')."""
    FixedHiddenMLP = answer(answers, "FixedHiddenMLP")
    made = _made(FixedHiddenMLP, challenge)
    report, model = made["report"], made.get("model")
    if model is None:
        return report
    moved = attempt(lambda: model.to(dtype=torch.float64))
    if "raised" in moved:
        return {**report, "made": moved}
    weight = getattr(model, "rand_weight", None)
    report["dtype"] = str(weight.dtype) if isinstance(weight, torch.Tensor) else "missing"
    report["output"] = run(model, challenge["X"].double())
    meta = attempt(lambda: FixedHiddenMLP().to("meta"))
    if "raised" in meta:
        report["meta"] = meta
    else:
        weight = getattr(meta["value"], "rand_weight", None)
        report["meta"] = {"value": str(weight.device) if isinstance(weight, torch.Tensor) else "missing"}
    return report


def _step(model, X, lr) -> None:
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    model(X).sum().backward()
    optimizer.step(closure=None)


def _tensors(model) -> dict:
    """rand_weight and the layer's weight and bias, as they are now (numbers the judges compare)."""
    return {"rand_weight": plain(model.rand_weight), "weight": plain(model.linear.weight),
            "bias": plain(model.linear.bias)}


def _trained(model, X, lr, report) -> bool:
    """One SGD step on model.parameters(); into ``report``: whether it ran and the model's tensors after it."""
    step = attempt(_step, model, X, lr)
    report["step"] = {"raised": step["raised"]} if "raised" in step else {"value": True}
    if "raised" in step:
        return False
    report["tensors"] = attempt(_tensors, model)
    return True


def training(challenge, answers):
    """Two calls of FixedHiddenMLP() with the challenge's numbers on X, one SGD step, and a call after it."""
    made = _made(answer(answers, "FixedHiddenMLP"), challenge)
    report, model = made["report"], made.get("model")
    if model is None:
        return report
    X, before = challenge["X"], _snapshot(model)
    twice = attempt(lambda: (model(X), model(X)))
    if "raised" in twice:
        report["twice"] = twice
        return report
    report["twice"] = {"value": True}
    report["out1"], report["out2"] = {"value": plain(twice["value"][0])}, {"value": plain(twice["value"][1])}
    report["changed"] = not _unchanged(model, before)
    if not all(isinstance(out, torch.Tensor) for out in twice["value"]):
        return report
    if not _trained(model, X, challenge["lr"], report):
        return report
    report["trained"] = not _unchanged(model, before)
    linear = getattr(model, "linear", None)
    report["grad"] = isinstance(linear, nn.Linear) and linear.weight.grad is not None
    report["after"] = run(model, X)
    return report
