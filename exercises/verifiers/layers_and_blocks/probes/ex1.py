"""Exercise 1, MySequential: build it from the challenge's blocks and report what it does."""
import torch

from .common import Calls, answer, attempt, build, parameters_of, plain, registry, run


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
    return {"registry": registry(net, pool), "ran": list(order), "output": output}


def forward(challenge, answers):
    MySequential = answer(answers, "MySequential")
    return {"cases": [_chain(case, MySequential) for case in challenge["cases"]]}


def parameters(challenge, answers):
    MySequential = answer(answers, "MySequential")
    results = []
    for case in challenge["cases"]:
        pool, args = _blocks(case, MySequential)
        made = attempt(MySequential, *args)
        if "raised" in made:
            results.append({"made": made})
            continue
        net = made["value"]
        named = attempt(lambda net=net: [name for name, _ in net.named_parameters()])
        results.append({"registry": registry(net, pool), "parameters": attempt(parameters_of, net, pool),
                        "names": named})
    return {"cases": results}


def state_dict(challenge, answers):
    MySequential = answer(answers, "MySequential")
    first_pool, _ = _blocks(challenge["first"], MySequential)
    second_pool, _ = _blocks(challenge["second"], MySequential)
    made = attempt(lambda: (MySequential(*first_pool), MySequential(*second_pool)))
    if "raised" in made:
        return {"made": made}
    first, second = made["value"]
    state = attempt(lambda: dict(first.state_dict()))
    if "raised" in state:
        return {"registry": registry(first, first_pool), "state": state}
    saved = {tensor.data_ptr() for tensor in state["value"].values()}
    unsaved = sum(p.data_ptr() not in saved for block in first_pool for p in block.parameters())
    other = attempt(lambda: list(second.state_dict()))
    loaded = attempt(second.load_state_dict, state["value"])
    return {"registry": registry(first, first_pool), "names": [str(k) for k in state["value"]],
            "other_names": other, "unsaved": unsaved,
            "loaded": {"raised": loaded["raised"]} if "raised" in loaded else {"value": True},
            "first": run(first, challenge["X"]), "second": run(second, challenge["X"])}


def to_eval(challenge, answers):
    MySequential = answer(answers, "MySequential")
    pool = [build(spec) for spec in challenge["pool"]]
    made = attempt(MySequential, *pool)
    if "raised" in made:
        return {"made": made}
    net, X = made["value"], challenge["X"]
    dropout = next(block for block in pool if isinstance(block, torch.nn.Dropout))
    result = {"registry": registry(net, pool)}
    result["eval"] = attempt(net.eval)
    result["dropout_off"] = not dropout.training
    result["out1"], result["out2"] = run(net, X), run(net, X)
    result["train"] = attempt(net.train)
    result["dropout_on"] = dropout.training
    result["to"] = attempt(lambda: net.to(torch.float64).eval())
    result["dtypes"] = [str(p.dtype) for block in pool for p in block.parameters()]
    result["out64"] = run(net, X.double())
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
        return {"registry": registry(net, pool), "output": out}
    if not isinstance(out["value"], torch.Tensor):
        return {"registry": registry(net, pool), "output": {"value": plain(out["value"])}}
    backward = attempt(lambda: out["value"].sum().backward())
    grads = [[i, name, plain(p.grad)] for i, block in enumerate(pool) for name, p in block.named_parameters()]
    return {"registry": registry(net, pool), "ran": list(order), "output": {"value": plain(out["value"])},
            "backward": backward if "raised" in backward else {"value": True}, "grads": grads}
