"""What every judge uses: challenge drawing, comparisons of plain results, shared teaching messages."""
from __future__ import annotations

import math

import torch

from d2lblocks.i18n import N_, Message
from d2lblocks_grade.verify.checks import Failure, failed

# The notebooks messages send students to: messages too, so each language names its own edition's file.
CHAPTER = N_("notebooks/01-layers-and-blocks.ipynb")
PITFALLS = N_("notebooks/02-pitfalls.ipynb")

NOT_WRITTEN = N_("{what}: this part is not written yet; replace `raise NotImplementedError()` with your code.")
RECURSION = N_("{what} never finished: something calls itself again and again (RecursionError), e.g. a forward that "
               "runs every block of self.modules(), which yields the block itself first. {advice}")
RAISED = N_("{what} raised {error}.{none} {advice}")
NONE_HINT = N_(" Something returned None where a tensor was expected: a forward or function without `return` "
               "gives None.")
RETURNED_NONE = N_("{what} returned None: a forward (or function) without a `return` statement gives None, so the "
                   "caller has nothing to compute with. {advice}")
NO_RESULT = N_("{what} gave the grader nothing to check: its result was missing or unreadable. Run the exercise "
               "cell again and check that it finishes without an error.")
NOT_A_TENSOR = N_("{what} returned a {type}, not a tensor. {advice}")


def see(section: str, notebook: str = CHAPTER) -> dict:
    """Fields naming a notebook section (messages end "See {notebook}, section '{section}'."); the section
    title is a message of its own, so a page in another language names that edition's heading."""
    return {"notebook": Message(notebook), "section": Message(section)}


def rand(generator: torch.Generator, *shape: int) -> torch.Tensor:
    return torch.rand(*shape, generator=generator)


def linear(generator: torch.Generator, inputs: int, outputs: int) -> dict:
    """A Linear layer's spec with weights drawn like nn.Linear's (uniform in ±1/sqrt(inputs))."""
    bound = 1 / math.sqrt(inputs)
    return {"kind": "linear", "weight": (torch.rand(outputs, inputs, generator=generator) * 2 - 1) * bound,
            "bias": (torch.rand(outputs, generator=generator) * 2 - 1) * bound}


def error_text(raised: dict) -> str:
    message = str(raised.get("message", "")).rstrip(".")
    return f"{raised.get('type', 'Error')}: {message}" if message else str(raised.get("type", "Error"))


def stop(msgid: str, **fields):
    raise Failure(failed(msgid, **fields))


def expect(condition: bool, msgid: str, **fields) -> None:
    if not condition:
        stop(msgid, **fields)


def ran_ok(result: dict | None, what: str, advice: str = "") -> None:
    """Stop with the right message when the student's code raised (``{"raised": ...}``)."""
    if not isinstance(result, dict):
        stop(NO_RESULT, what=what)
    raised = result.get("raised")
    if not raised:
        return
    if raised.get("type") == "NotImplementedError":
        stop(NOT_WRITTEN, what=what)
    if raised.get("type") == "RecursionError":
        stop(RECURSION, what=what, advice=advice)
    none = Message(NONE_HINT) if "NoneType" in str(raised.get("message", "")) else ""
    stop(RAISED, what=what, error=error_text(raised), none=none, advice=advice)


def tensor_of(result: dict, what: str, advice: str = "") -> torch.Tensor:
    """The tensor a ``run`` result holds; stops with the matching message when there is none."""
    ran_ok(result, what, advice)
    value = result.get("value")
    if isinstance(value, dict) and isinstance(value.get("tensor"), torch.Tensor):
        return value["tensor"]
    kind = value.get("not_tensor") if isinstance(value, dict) else None
    if kind == "NoneType":
        stop(RETURNED_NONE, what=what, advice=advice)
    stop(NOT_A_TENSOR, what=what, type=str(kind or "object"), advice=advice)
    raise AssertionError  # unreachable: stop raised


def maybe_tensor(result) -> torch.Tensor | None:
    """The tensor of a ``run`` result, or None (raised, not a tensor, malformed)."""
    if isinstance(result, dict) and isinstance(result.get("value"), dict):
        value = result["value"].get("tensor")
        return value if isinstance(value, torch.Tensor) else None
    return None


def same(a: torch.Tensor | None, b: torch.Tensor | None, exact: bool = False) -> bool:
    """Same shape, dtype and numbers (within float tolerance unless exact)."""
    if not isinstance(a, torch.Tensor) or not isinstance(b, torch.Tensor):
        return False
    if a.shape != b.shape or a.dtype != b.dtype:
        return False
    return bool(torch.equal(a, b)) if exact else bool(torch.allclose(a, b, rtol=1e-4, atol=1e-6, equal_nan=False))


STALE = N_("{what} returned the same output as before after a training step changed its weights, as if it gave back "
           "a result it had stored from an earlier call: the output of a block must follow its parameters, or "
           "training (and load_state_dict, and .to()) would change nothing it computes. Compute the output in "
           "forward on every call; do not keep outputs in a cache. See {notebook}, section '{section}'.")
STALE_LATER = N_("{what} is right the first time, but after a training step changed its weights it no longer computes "
                 "what the same blocks compute: forward must run the registered blocks on every call, with the "
                 "weights they hold now. See {notebook}, section '{section}'.")


def judge_after_training(got: dict | None, want: dict, first: torch.Tensor | None, what: str, section: dict) -> None:
    """Stop when the answer, right on its first call, is wrong once its weights changed (see probes'
    ``after_training``): the same output again teaches about stored results, anything else that forward must
    use the weights it holds now."""
    got = got if isinstance(got, dict) else {}
    for key in ("same_input", "equal_input"):
        output, expected = maybe_tensor(got.get(key)), maybe_tensor(want[key])
        if same(output, expected):
            continue
        ran_ok(got.get(key), what)
        expect(not same(output, first), STALE, what=what, **section)
        stop(STALE_LATER, what=what, **section)
