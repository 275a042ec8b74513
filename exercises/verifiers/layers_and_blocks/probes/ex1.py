"""Exercise 1, MySequential: build it from the challenge's blocks and report what it does."""
import torch

from .common import Calls, after_training, answer, attempt, build, parameters_of, plain, registry, run


def _registry(net, pool) -> dict:
    """`registry`, or as much of it as a model whose registry PyTorch cannot walk still tells: a model that keys
    ``_modules`` by something other than a string makes ``modules()`` itself raise."""
    try:
        return registry(net, pool)
    except Exception:
        pass
    try:
        keys = [type(key).__name__ for key in net._modules.keys()]
    except Exception:
        keys = []
    return {"key_types": keys, "entries": [], "registered": [], "copies": [], "hidden": [],
            "bases": [cls.__module__ + "." + cls.__qualname__ for cls in type(net).__mro__]}


def _blocks(case, MySequential):
    """The case's distinct blocks (``pool``) and the arguments, in order (a block may repeat)."""
    pool = []
    for spec in case["pool"]:
        if spec["kind"] == "nested":  # a MySequential of earlier pool blocks
            pool.append(MySequential(*[pool[i] for i in spec["order"]]))
        else:
            pool.append(build(spec))
    return pool, [pool[i] for i in case["order"]]


def _chain(case, MySequential):
    built = attempt(_blocks, case, MySequential)
    if "raised" in built:
        return {"built": built}
    pool, args = built["value"]
    made = attempt(MySequential, *args)
    if "raised" in made:
        return {"made": made}
    net = made["value"]
    with Calls(pool, case["X"]) as order:
        output = run(net, case["X"])
    return {"registry": _registry(net, pool), "ran": list(order), "output": output,
            "again": after_training(net, case["X"], _held(case, pool))}


def forward(challenge, answers):
    MySequential = answer(answers, "MySequential")
    return {"cases": [_chain(case, MySequential) for case in challenge["cases"]]}


def _held(case, pool) -> list:
    """The blocks the caller made itself and still holds (not the MySequentials among them)."""
    return [block for spec, block in zip(case["pool"], pool) if spec["kind"] != "nested"]


def _train(net, held, lr):
    """One SGD step on ``net.parameters()`` with a loss made of the held blocks' own weights; their values after.

    Only the blocks' own parameters, reached through ``net.parameters()``, get the step: a container
    that hands out copies, or nothing, leaves the held blocks as they were."""
    optimizer = torch.optim.SGD(net.parameters(), lr=lr)
    optimizer.zero_grad()
    loss = sum((p * p).sum() for block in held for p in block.parameters())
    loss.backward()
    optimizer.step(closure=None)
    return [plain(p) for block in held for p in block.parameters()]


def parameters(challenge, answers):
    MySequential = answer(answers, "MySequential")
    results = []
    for case in challenge["cases"]:
        built = attempt(_blocks, case, MySequential)
        if "raised" in built:
            results.append({"built": built})
            continue
        pool, args = built["value"]
        made = attempt(MySequential, *args)
        if "raised" in made:
            results.append({"made": made})
            continue
        net = made["value"]
        result = {"registry": _registry(net, pool), "parameters": attempt(parameters_of, net, pool)}
        result["names"] = attempt(lambda net=net: [str(name) for name, _ in net.named_parameters()])
        result["trained"] = attempt(_train, net, _held(case, pool), challenge["lr"])
        results.append(result)
    return {"cases": results}


def _set(pool, specs) -> None:
    """Give the Linear blocks of ``pool`` the weights of ``specs``, as training the caller's blocks would."""
    with torch.no_grad():
        for block, spec in zip(pool, specs):
            if spec["kind"] == "linear":
                block.weight.copy_(spec["weight"])
                block.bias.copy_(spec["bias"])


def state_dict(challenge, answers):
    MySequential = answer(answers, "MySequential")
    first_pool = [build(spec) for spec in challenge["first"]]
    second_pool = [build(spec) for spec in challenge["second"]]
    made = attempt(lambda: (MySequential(*first_pool), MySequential(*second_pool)))
    if "raised" in made:
        return {"made": made}
    first, second = made["value"]
    report = _registry(first, first_pool)
    _set(first_pool, challenge["retrained"])  # the caller's blocks change after the model was built
    state = attempt(lambda: dict(first.state_dict()))
    other = attempt(lambda: [str(key) for key in second.state_dict()])
    if "raised" in state:
        return {"registry": report, "state": state, "other_names": other}
    saved = {tensor.data_ptr() for tensor in state["value"].values() if isinstance(tensor, torch.Tensor)}
    unsaved = sum(p.data_ptr() not in saved for block in first_pool for p in block.parameters())
    loaded = attempt(second.load_state_dict, state["value"])
    return {"registry": report, "names": [str(k) for k in state["value"]],
            "other_names": other, "unsaved": unsaved,
            "loaded": {"raised": loaded["raised"]} if "raised" in loaded else {"value": True},
            "first": run(first, challenge["X"]), "second": run(second, challenge["X"])}


def _applied(pool, X):
    """The caller's own blocks applied in turn, without the student's container."""
    for block in pool:
        X = block(X)
    return X


def to_eval(challenge, answers):
    MySequential = answer(answers, "MySequential")
    pool = [build(spec) for spec in challenge["pool"]]
    made = attempt(MySequential, *pool)
    if "raised" in made:
        return {"made": made}
    net, X = made["value"], challenge["X"]
    dropout = next(block for block in pool if isinstance(block, torch.nn.Dropout))
    result = {"registry": _registry(net, pool)}
    result["eval"] = attempt(net.eval)
    result["dropout_off"] = not dropout.training
    result["out1"], result["out2"] = run(net, X), run(net, X)
    result["held_eval"] = run(_applied, pool, X)
    result["train"] = attempt(net.train)
    result["dropout_on"] = dropout.training
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(challenge["seed"])  # the same dropout mask as nn.Sequential's with this seed
        result["out_train"] = run(net, X)
    result["to"] = attempt(lambda: net.to(dtype=torch.float64).eval())
    result["dtypes"] = [str(p.dtype) for block in pool for p in block.parameters()]
    result["out64"] = run(net, X.double())
    result["held64"] = run(_applied, pool, X.double())
    return result


def gradients(challenge, answers):
    MySequential = answer(answers, "MySequential")
    pool = [build(spec) for spec in challenge["pool"]]
    made = attempt(MySequential, *pool)
    if "raised" in made:
        return {"made": made}
    net = made["value"]
    with Calls(pool, challenge["X"]) as order:
        out = attempt(net, challenge["X"])
    if "raised" in out:
        return {"registry": _registry(net, pool), "output": out}
    if not isinstance(out["value"], torch.Tensor):
        return {"registry": _registry(net, pool), "output": {"value": plain(out["value"])}}
    backward = attempt(lambda: out["value"].sum().backward())
    grads = [[i, name, plain(p.grad)] for i, block in enumerate(pool) for name, p in block.named_parameters()]
    return {"registry": _registry(net, pool), "ran": list(order), "output": {"value": plain(out["value"])},
            "backward": backward if "raised" in backward else {"value": True}, "grads": grads}
