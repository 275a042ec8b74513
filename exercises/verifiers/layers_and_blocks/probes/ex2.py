"""Exercise 2, Parallel: build it from the challenge's networks and report what it does.

A case holds ``nets`` (the two block specs given to Parallel; a spec of kind
``"parallel"`` is a Parallel of its ``blocks``, built with the answer's class) and ``X``.
"""
import torch
from torch import nn

from .common import Calls, after_training, answer, attempt, build, parameters_of, plain, registry, run


def _net(spec, Parallel):
    if spec["kind"] == "parallel":
        return Parallel(*[_net(inner, Parallel) for inner in spec["blocks"]])
    return build(spec)


def _registry(par, nets) -> dict:
    """``registry``'s report; where even listing the modules fails (a name that is not a string), the names' types."""
    try:
        return registry(par, nets)
    except Exception:
        return {"key_types": [type(key).__name__ for key in par._modules.keys()]}


def _made(case, Parallel):
    """``{"value": (parallel, nets)}``, or ``{"raised": ...}`` when building them failed."""
    def make():
        nets = [_net(spec, Parallel) for spec in case["nets"]]
        return Parallel(*nets), nets
    return attempt(make)


def _side_by_side(case, Parallel):
    """Parallel(net1, net2)(X): its output, what it registers and which networks ran."""
    made = _made(case, Parallel)
    if "raised" in made:
        return {"made": made}
    par, nets = made["value"]
    with Calls(nets, case["X"]) as order:
        output = run(par, case["X"])
    return {"registry": _registry(par, nets), "ran": list(order), "output": output,
            "again": after_training(par, case["X"], nets)}


def shape(challenge, answers):
    Parallel = answer(answers, "Parallel")
    return {"cases": [_side_by_side(case, Parallel) for case in challenge["cases"]]}


def values(challenge, answers):
    Parallel = answer(answers, "Parallel")
    return {"cases": [_side_by_side(case, Parallel) for case in challenge["cases"]]}


def _trained(case, Parallel):
    """Parallel's parameters(), and the caller's networks after one SGD step on them."""
    made = _made(case, Parallel)
    if "raised" in made:
        return {"made": made}
    par, nets = made["value"]
    result = {"registry": _registry(par, nets), "parameters": attempt(parameters_of, par, nets)}

    def step():
        optimizer = torch.optim.SGD(par.parameters(), lr=case["lr"])
        optimizer.zero_grad()
        loss = sum(net(case["X"]).square().sum() for net in nets)
        loss.backward()
        optimizer.step(closure=None)
        return True

    result["step"] = attempt(step)
    with torch.no_grad():
        result["after"] = [run(net, case["X"]) for net in nets]
    return result


def _saved_and_moved(case, Parallel):
    """Parallel after .eval(), copied through state_dict(), and moved by .to(torch.float64)."""
    made = _made(case, Parallel)
    if "raised" in made:
        return {"made": made}
    par, nets = made["value"]
    X = case["X"]
    result = {"registry": _registry(par, nets), "parameters": attempt(parameters_of, par, nets)}
    dropout = next(m for net in nets for m in net.modules() if isinstance(m, nn.Dropout))
    evaluated = attempt(lambda: (par.eval(), par(X), par(X))[1:])
    if "raised" in evaluated:
        result["eval"] = evaluated
        return result
    result["eval"] = {"value": True}
    result["out1"], result["out2"] = ({"value": plain(out)} for out in evaluated["value"])
    result["dropout_off"] = not dropout.training

    def load():
        other = Parallel(*[_net(spec, Parallel) for spec in case["other"]])
        other.load_state_dict(dict(par.state_dict()))
        other.eval()
        return other(X)

    result["loaded"] = run(load)
    state = attempt(lambda: [tensor.data_ptr() for tensor in par.state_dict().values()])
    if "value" in state:
        saved = set(state["value"])
        result["unsaved"] = sum(p.data_ptr() not in saved for net in nets for p in net.parameters())
    result["out64"] = run(lambda: (par.to(dtype=torch.float64), par(X.double()))[1])
    result["dtypes"] = [str(p.dtype) for net in nets for p in net.parameters()]
    return result


def registration(challenge, answers):
    Parallel = answer(answers, "Parallel")
    return {"trained": _trained(challenge["trained"], Parallel),
            "saved": _saved_and_moved(challenge["saved"], Parallel)}


def gradients(challenge, answers):
    Parallel = answer(answers, "Parallel")
    made = _made(challenge, Parallel)
    if "raised" in made:
        return {"made": made}
    par, nets = made["value"]
    X = challenge["X"]
    with Calls(nets, X) as order:
        out = attempt(par, X)
    result = {"registry": _registry(par, nets), "ran": list(order)}
    if "raised" in out or not isinstance(out["value"], torch.Tensor):
        result["output"] = out if "raised" in out else {"value": plain(out["value"])}
        return result
    result["output"] = {"value": plain(out["value"])}
    backward = attempt(lambda: out["value"].sum().backward())
    result["backward"] = backward if "raised" in backward else {"value": True}
    result["grads"] = [[i, name, plain(p.grad)] for i, net in enumerate(nets) for name, p in net.named_parameters()]
    return result
