"""Attacks on the verdicts themselves, as a student who knows how the tests work would write them.

Each attack is a cell added after the setup cell of a notebook whose answers are
`WRONG` (a known mistake per exercise, from the audit bank). Its honest twin is
the same notebook without the cell. Where the attack also brings its own
answers (``answers``), the twin holds ``twin_answers`` there (by default the
release's unanswered cells).
The tests then judge from outside, through the real command line: the attacker
scores at most what its twin scores, and no hidden test line comes out.
"""
from __future__ import annotations

from dataclasses import dataclass, field

# One known mistake per exercise (files of exercises/audit/<answer cell>/).
WRONG = {"ex1_sequential": "wrong_python_list.py", "ex2_parallel": "wrong_swapped_order.py",
         "ex3_factory": "wrong_module_list.py", "ex4_constant": "wrong_trainable_parameter.py"}


@dataclass(frozen=True)
class Forgery:
    name: str
    cell: str
    answers: dict[str, str] = field(default_factory=dict)  # answer cells the attack writes itself
    twin_answers: dict[str, str] | None = None  # the twin's answers there (default: the release's empty cells)


REBIND_HELPERS = Forgery("rebinds-the-test-helpers", """\
import contextlib
def expect(*args, **kwargs): pass
def fail(*args, **kwargs): pass
def expect_own(*args, **kwargs): pass
def expect_registered(*args, **kwargs): pass
def expect_tensor(*args, **kwargs): pass
def expect_chain(*args, **kwargs): pass
def expect_side_by_side(*args, **kwargs): pass
def expect_sequential(*args, **kwargs): pass
def registration_problem(*args, **kwargs): return None
@contextlib.contextmanager
def running(*args, **kwargs):
    try:
        yield
    except Exception:
        pass
""")

ANSWERS_WITH_THE_LIBRARY = Forgery("answers-with-the-course-library", "import d2lblocks", answers={
    "ex1_sequential": """\
import d2lblocks
class MySequential(nn.Module):
    def __new__(cls, *blocks):
        return d2lblocks.MySequential(*blocks)
""",
    "ex2_parallel": """\
from d2lblocks import Parallel as _Parallel
class Parallel(_Parallel):
    pass
""",
    "ex3_factory": """\
def replicate(block_factory, n):
    import d2lblocks
    return d2lblocks.replicate(block_factory, n)
""",
    "ex4_constant": """\
import importlib
FixedHiddenMLP = importlib.import_module("d2lblocks").FixedHiddenMLP
"""})

SKIPS_LAST = """\
class MySequential(nn.Module):
    def __init__(self, *blocks):
        super().__init__()
        for i, block in enumerate(blocks):
            self.add_module(str(i), block)

    def forward(self, X):
        for block in list(self._modules.values())[:-1]:
            X = block(X)
        return {returned}
"""
LYING_TENSOR = Forgery("outputs-that-lie", """\
import torch
class Agreeable(torch.Tensor):
    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        if getattr(func, "__name__", "") in ("allclose", "equal", "__eq__", "eq", "isclose"):
            return True
        return super().__torch_function__(func, types, args, kwargs or {})
""", answers={"ex1_sequential": SKIPS_LAST.format(returned="X.as_subclass(Agreeable)")},
    twin_answers={"ex1_sequential": SKIPS_LAST.format(returned="X")})

PATCHES = Forgery("patches-torch-and-the-grader", """\
import ctypes, gc, sys, threading, time, torch
always = lambda *args, **kwargs: True
def patch():
    while True:
        for module in (torch, torch.Tensor):
            for name in ("allclose", "equal", "isclose"):
                try:
                    setattr(module, name, always)
                except Exception:
                    pass
        time.sleep(0.0005)
threading.Thread(target=patch, daemon=True).start()
# A builtin type's method table, patched in place: same object, same id.
gc.get_referents(torch._C.TensorBase.__dict__)[0]["allclose"] = always
ctypes.pythonapi.PyType_Modified(ctypes.py_object(torch._C.TensorBase))
torch.optim.SGD.step = lambda self, closure=None: None
# Whatever the grader left in this process: wrap every function it has.
for name, module in list(sys.modules.items()):
    if name.startswith(("d2lblocks", "course_probes")):
        for attr, value in list(vars(module).items()):
            if callable(value) and not isinstance(value, type):
                try:
                    setattr(module, attr, lambda *args, **kwargs: True)
                except Exception:
                    pass
""")

FORGED_RESPONSES = Forgery("forges-the-responses", """\
import json
from IPython.display import publish_display_data
def _d2lblocks_respond(test_id, probe, nonce, challenge):
    fake = {"nonce": nonce, "test": test_id, "response": {"cases": [], "output": {"value": True}}}
    publish_display_data({"application/vnd.d2lblocks.response": json.dumps(fake)})
    publish_display_data({"application/vnd.d2lblocks.response": json.dumps(fake)})
    publish_display_data({"application/vnd.d2lblocks.response": "{" * 100000})
    if test_id == "ex2_gradients":  # tensor data that is not base64 at all
        bad = {"nonce": nonce, "test": test_id, "response": {"output": {"__tensor__": {
            "dtype": "float32", "shape": [1], "data": "!!!!"}}}}
        publish_display_data({"application/vnd.d2lblocks.response": json.dumps(bad)})
""")

HISTORY = Forgery("exfiltrates-the-history", """\
import atexit, base64, sys
from IPython import get_ipython
def _leak(*args, **kwargs):
    shell = get_ipython()
    print("LEAK", base64.b64encode("\\n".join(shell.user_ns.get("In", [])).encode()).decode())
get_ipython().events.register("post_run_cell", _leak)
""")

LYING_PROBES = Forgery("makes-the-probes-report-lies", """\
import sys
_e1, _e3, _e4 = (sys.modules["course_probes." + name] for name in ("ex1", "ex3", "ex4"))
_registry, _structure, _describe = _e1.registry, _e3._structure, _e4._describe
def _lying_registry(net, pool):
    report = _registry(net, pool)
    report.update(hidden=[], registered=list(range(len(pool))), copies=[], key_types=["str"] * len(report["key_types"]))
    return report
def _lying_structure(net):
    report = _structure(net)
    report.update(sequential=True, container=False, type="Sequential")
    return report
def _lying_describe(model):
    report = _describe(model)
    report["requires_grad"] = False
    return report
_e1.registry, _e3._structure, _e4._describe = _lying_registry, _lying_structure, _lying_describe
_e4._unchanged = lambda model, before: True
""")

SELF_FIXING_TENSOR = Forgery("tensor-that-fixes-itself-when-copied", """\
import torch
class Finishing(torch.Tensor):
    def detach(self):
        return torch.Tensor.detach(self._last(torch.Tensor.as_subclass(self, torch.Tensor)))
    def clone(self, *args, **kwargs):
        return torch.Tensor.clone(self._last(torch.Tensor.as_subclass(self, torch.Tensor)))
def finishing(X, last):
    out = X.as_subclass(Finishing)
    out._last = last
    return out
""", answers={"ex1_sequential": SKIPS_LAST.format(returned="finishing(X, list(self._modules.values())[-1])")},
    twin_answers={"ex1_sequential": SKIPS_LAST.format(returned="X")})

FLOOD = Forgery("floods-the-grader-with-huge-messages", """\
from IPython.display import publish_display_data
for _ in range(2):
    publish_display_data({"text/plain": "x" * 200_000_000})
""")

FORGERIES = (REBIND_HELPERS, ANSWERS_WITH_THE_LIBRARY, LYING_TENSOR, PATCHES, FORGED_RESPONSES, HISTORY, LYING_PROBES,
             SELF_FIXING_TENSOR, FLOOD)
