"""Exercise 4, FixedHiddenMLP: challenges, and judges that compare with the course's FixedHiddenMLP.

Each challenge carries a random rand_weight, linear weight and bias, an input X and a
learning rate; the probe puts those numbers into the student's model and the course's
model alike, so every output is fixed by the challenge. Points come from the numbers
only: the output on X (ex4_forward); the outputs of a second model loaded from the
first's state_dict (ex4_state_dict: equal only when rand_weight is saved); after
.to(torch.float64) the output on X.double() (ex4_device: float64 only when .to()
reaches rand_weight); the outputs of two calls on X (ex4_training). In ex4_state_dict
and ex4_training the model then takes one SGD step on model.parameters(): its
rand_weight, linear weight and bias after the step, and its output on X, must equal
the course's after the same step, which holds only when rand_weight stayed fixed and
linear was trained. How rand_weight is stored, its dtype, device and gradient, as the
kernel reports them, only choose the message or add a failure.
"""
from __future__ import annotations

import torch

from d2lblocks.i18n import N_, Message
from d2lblocks_grade.verify.checks import Check, passed

from ..probes import ex4 as probes
from ..reference import ANSWERS
from .common import PITFALLS, expect, linear, maybe_tensor, ran_ok, rand, same, see, stop, tensor_of

CONSTANT_PITFALL = N_("4. A constant that is not a buffer")
FORWARD_SECTION = N_("Executing code in the forward propagation method")

# --- what the tests were doing when the answer's code raised ---------------------------------------------------
MAKE_ADVICE = N_("__init__ must make the constant and the layer. See {notebook}, section '{section}'.")
REGISTERED_ADVICE = N_("forward must use self.rand_weight, the tensor __init__ registered.")
KEEP_FORWARD = N_("Keep forward as given: it ends with return X.sum().")
RELOADING = N_("second.load_state_dict(first.state_dict()) and running both on X")
OWN_TENSORS_DTYPE = N_("forward must compute with the model's own tensors, self.linear and self.rand_weight, and the "
                       "constant must have the model's dtype. See {notebook}, section '{section}'.")
CONVERTED_ADVICE = N_("forward must use self.rand_weight, the registered tensor that .to() converts, not a copy kept "
                      "elsewhere.")
CALLING_TWICE = N_("Calling FixedHiddenMLP() twice on the same X")
OWN_TENSORS = N_("forward must compute with the model's own tensors, self.linear and self.rand_weight.")
SGD_STEP = N_("One SGD step on model.parameters()")
GRAPH_ADVICE = N_("forward must keep the computation graph through self.linear.")

# --- ex4_forward -----------------------------------------------------------------------------------------------
NO_WEIGHT = N_("FixedHiddenMLP must keep its constant as model.rand_weight, a 20 x 20 tensor, as in the chapter: the "
               "tests and forward look it up under that name. See {notebook}, section '{section}'.")
NO_LINEAR = N_("FixedHiddenMLP must keep its layer as model.linear = nn.Linear(20, 20), as given: forward uses it "
               "twice. See {notebook}, section '{section}'.")
DTYPE = N_("rand_weight is {dtype} but the layer's weights are {linear_dtype}, so X @ rand_weight fails: a constant "
           "must have the model's default dtype; .to() converts it together with the model later.")
CHANGED_IN_FORWARD = N_("Calling the model changed rand_weight: forward must only read the constant, never redraw or "
                        "modify it (no self.rand_weight = ... and no in-place mul_ or += in forward), or every call "
                        "computes a different function. See {notebook}, section '{section}'.")
NOT_SCALAR = N_("FixedHiddenMLP()(X) has shape {shape}: the chapter's model returns a single number, X.sum(). Keep "
                "forward as given.")
DIFFERS = N_("FixedHiddenMLP()(X) differs from the chapter's model with the same weights: the exercise changes only "
             "how __init__ stores the constant, so forward must stay as given. See {notebook}, section '{section}'.")

# --- ex4_state_dict --------------------------------------------------------------------------------------------
NOT_SAVED = N_("FixedHiddenMLP().state_dict() has no 'rand_weight': saving the model loses the constant, and a "
               "reloaded model draws a new one, so it computes something else. {why}See {notebook}, section "
               "'{section}'.")
PLAIN_TENSOR = N_("It is a plain tensor attribute, which PyTorch cannot see. ")
NOT_PERSISTENT = N_("Non-persistent buffers (persistent=False) are not saved. ")
TRAINABLE = N_("rand_weight requires a gradient, so an optimizer given model.parameters() would train it: the "
               "constant must stay fixed. State that is saved and moved but never trained is a buffer. "
               "See {notebook}, section '{section}'.")
RELOADED_DIFFERS = N_("After second.load_state_dict(first.state_dict()) the two models still compute different "
                      "results: forward must use exactly the saved rand_weight, drawn once in __init__. "
                      "See {notebook}, section '{section}'.")

# --- ex4_device ------------------------------------------------------------------------------------------------
NOT_CONVERTED = N_("After model.to(torch.float64) rand_weight is still {dtype}: .to() (and .cuda()) only convert "
                   "tensors registered with the model, so on a GPU the constant would stay on the CPU and forward "
                   "would crash. See {notebook}, section '{section}'.")
OUTPUT_DTYPE = N_("After model.to(torch.float64) the output is {dtype}: forward must compute with self.rand_weight, "
                  "the tensor .to() converted.")
NOT_MOVED = N_("model.to('meta') left rand_weight on {device}: a registered constant follows the model to any "
               "device. See {notebook}, section '{section}'.")

# --- ex4_training ----------------------------------------------------------------------------------------------
CHANGED_BY_CALLS = N_("Calling the model changed rand_weight: forward must only read the constant, never redraw or "
                      "modify it, or every call computes a different function. See {notebook}, section '{section}'.")
REDRAWN = N_("Two calls of the model on the same X give different results: the constant is drawn anew on every call. "
             "A constant is drawn once, in __init__. See {notebook}, section '{section}'.")
TRAINED = N_("One optimizer step changed rand_weight: the constant is being trained, because it is a parameter that "
             "requires a gradient. See {notebook}, section '{section}'.")
NO_GRADIENT = N_("model.linear got no gradient: forward must use self.linear (twice), so that training reaches it. "
                 "See {notebook}, section '{section}'.")
STEP_DIFFERS = N_("After one SGD step on model.parameters() FixedHiddenMLP()(X) differs from the chapter's model after "
                  "the same step: the step must train model.linear, and only it, with the gradient of forward as "
                  "given. See {notebook}, section '{section}'.")

CALL = "FixedHiddenMLP()(X)"


def _dict(value) -> dict:
    return value if isinstance(value, dict) else {}


LIVELY = 0.25  # the least share of hidden ReLU units a challenge keeps active on X


def _draw(g: torch.Generator) -> dict:
    """Numbers for the model and its input; drawn again while fewer than a quarter of the hidden ReLU units are
    active on X: where the ReLU is off everywhere, rand_weight changes neither the output nor any gradient, so no
    number could tell a wrong constant (a trained one, a copy) from the right one."""
    while True:
        challenge = {"rand_weight": rand(g, 20, 20), "linear": linear(g, 20, 20), "X": rand(g, 2, 20),
                     "lr": round(0.1 + 0.9 * float(rand(g, 1)), 4)}
        hidden = challenge["X"] @ challenge["linear"]["weight"].T + challenge["linear"]["bias"]
        if float(((hidden @ challenge["rand_weight"] + 1) > 0).float().mean()) >= LIVELY:
            return challenge


def _reference(probe, challenge: dict) -> dict:
    with torch.random.fork_rng(devices=[]):
        return probe(challenge, ANSWERS)


def _built(report: dict, what, advice) -> None:
    """The model was made, has a 20 x 20 rand_weight and a linear layer, and took the challenge's numbers."""
    ran_ok(report.get("made"), what, advice)
    described = _dict(report.get("describe"))
    expect(described.get("weight") is True and described.get("shape") == [20, 20], NO_WEIGHT, **see(FORWARD_SECTION))
    expect(described.get("linear") is True, NO_LINEAR, **see(FORWARD_SECTION))
    ran_ok(report.get("loaded"), what, advice)


def _expect_dtype(report: dict) -> None:
    described = _dict(report.get("describe"))
    expect(described.get("dtype") == described.get("linear_dtype"), DTYPE, dtype=str(described.get("dtype")),
           linear_dtype=str(described.get("linear_dtype")))


def _make_advice() -> Message:
    return Message(MAKE_ADVICE, see(CONSTANT_PITFALL, PITFALLS))


def _close(a, b) -> bool:
    """Same shape, dtype and numbers within a tolerance far below what one SGD step changes."""
    return isinstance(a, torch.Tensor) and isinstance(b, torch.Tensor) and a.shape == b.shape and \
        a.dtype == b.dtype and bool(torch.allclose(a, b, rtol=1e-5, atol=1e-7))


def _after_step(challenge: dict, got: dict, want: dict, trained_report: bool, grad_report: bool) -> None:
    """After one SGD step: rand_weight as before and linear trained as the course's, then the same output on X.
    The kernel's own reports (``trained_report``, ``grad_report``) may add a failure, never pass one; a layer
    whose weights did not move at all got no gradient."""
    ran_ok(got.get("step"), Message(SGD_STEP), Message(GRAPH_ADVICE))
    ran_ok(got.get("tensors"), Message(SGD_STEP), Message(OWN_TENSORS))
    tensors, wanted = _dict(_dict(got.get("tensors")).get("value")), want["tensors"]["value"]

    def kept(name: str) -> bool:
        return _close(maybe_tensor({"value": tensors.get(name)}), wanted[name]["tensor"])

    expect(trained_report and kept("rand_weight"), TRAINED, **see(CONSTANT_PITFALL, PITFALLS))
    weight = maybe_tensor({"value": tensors.get("weight")})
    expect(grad_report and not _close(weight, challenge["linear"]["weight"]), NO_GRADIENT, **see(FORWARD_SECTION))
    expect(kept("weight") and kept("bias"), STEP_DIFFERS, **see(FORWARD_SECTION))
    after = tensor_of(got.get("after"), CALL, Message(KEEP_FORWARD))
    expect(same(after, maybe_tensor(want["after"])), STEP_DIFFERS, **see(FORWARD_SECTION))


# --- ex4_forward ---------------------------------------------------------------------------------------------------
def judge_forward(challenge: dict, response):
    want = _reference(probes.forward, challenge)
    got = _dict(response)
    _built(got, "FixedHiddenMLP()", _make_advice())
    _expect_dtype(got)
    output = got.get("output")
    ran_ok(output, CALL, Message(REGISTERED_ADVICE))
    expect(got.get("changed") is False, CHANGED_IN_FORWARD, **see(FORWARD_SECTION))
    out = tensor_of(output, CALL, Message(KEEP_FORWARD))
    expect(tuple(out.shape) == (), NOT_SCALAR, shape=tuple(out.shape))
    expect(same(out, maybe_tensor(want["output"])), DIFFERS, **see(FORWARD_SECTION))
    return passed()


# --- ex4_state_dict ------------------------------------------------------------------------------------------------
def judge_state_dict(challenge: dict, response):
    want = _reference(probes.state_dict, challenge)
    got = _dict(response)
    _built(got, "FixedHiddenMLP()", _make_advice())
    described = _dict(got.get("describe"))
    if "rand_weight" not in (got.get("keys") or []):
        why = PLAIN_TENSOR if described.get("kind") in ("tensor", "missing") else NOT_PERSISTENT
        stop(NOT_SAVED, why=Message(why), **see(CONSTANT_PITFALL, PITFALLS))
    expect(described.get("requires_grad") is False, TRAINABLE, **see(CONSTANT_PITFALL, PITFALLS))
    ran_ok(got.get("both"), Message(RELOADING), Message(OWN_TENSORS_DTYPE, see(CONSTANT_PITFALL, PITFALLS)))
    first = tensor_of(got.get("first"), CALL, Message(KEEP_FORWARD))
    second = tensor_of(got.get("second"), CALL, Message(KEEP_FORWARD))
    expect(same(first, second), RELOADED_DIFFERS, **see(CONSTANT_PITFALL, PITFALLS))
    expected = maybe_tensor(want["first"])
    expect(same(first, expected), DIFFERS, **see(FORWARD_SECTION))
    expect(same(second, expected), RELOADED_DIFFERS, **see(CONSTANT_PITFALL, PITFALLS))
    _after_step(challenge, got, want, True, True)
    return passed()


# --- ex4_device ----------------------------------------------------------------------------------------------------
def judge_device(challenge: dict, response):
    want = _reference(probes.device, challenge)
    got = _dict(response)
    _built(got, "FixedHiddenMLP().to(torch.float64)", "")
    dtype = str(got.get("dtype"))
    expect(dtype == "torch.float64", NOT_CONVERTED, dtype=dtype, **see(CONSTANT_PITFALL, PITFALLS))
    output = got.get("output")
    out = tensor_of(output, "FixedHiddenMLP().to(torch.float64)(X.double())", Message(CONVERTED_ADVICE)) \
        if _dict(output).get("raised") else tensor_of(output, CALL, Message(KEEP_FORWARD))
    expect(out.dtype == torch.float64, OUTPUT_DTYPE, dtype=str(out.dtype))
    meta = got.get("meta")
    ran_ok(meta, "FixedHiddenMLP().to('meta')")
    device = str(_dict(meta).get("value"))
    expect(device == "meta", NOT_MOVED, device=device, **see(CONSTANT_PITFALL, PITFALLS))
    expect(same(out, maybe_tensor(want["output"])), DIFFERS, **see(FORWARD_SECTION))
    return passed()


# --- ex4_training --------------------------------------------------------------------------------------------------
def judge_training(challenge: dict, response):
    want = _reference(probes.training, challenge)
    got = _dict(response)
    calling = Message(CALLING_TWICE)
    _built(got, calling, Message(OWN_TENSORS))
    ran_ok(got.get("twice"), calling, Message(OWN_TENSORS))
    expect(got.get("changed") is False, CHANGED_BY_CALLS, **see(FORWARD_SECTION))
    out1 = tensor_of(got.get("out1"), CALL, Message(KEEP_FORWARD))
    out2 = tensor_of(got.get("out2"), CALL, Message(KEEP_FORWARD))
    expect(same(out1, out2), REDRAWN, **see(FORWARD_SECTION))
    expected = maybe_tensor(want["out1"])
    expect(same(out1, expected) and same(out2, expected), DIFFERS, **see(FORWARD_SECTION))
    _after_step(challenge, got, want, got.get("trained") is False, got.get("grad") is True)
    return passed()


CHECKS = {
    "ex4_forward": Check(probe="ex4.forward", draw=_draw, judge=judge_forward),
    "ex4_state_dict": Check(probe="ex4.state_dict", draw=_draw, judge=judge_state_dict),
    "ex4_device": Check(probe="ex4.device", draw=_draw, judge=judge_device),
    "ex4_training": Check(probe="ex4.training", draw=_draw, judge=judge_training),
}
