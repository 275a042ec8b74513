"""The bank of hostile submissions: each tries to earn points it did not earn, or to hurt the grader.

A `HostileCase` builds a student notebook for the fixture course
(`hostile.course`) and says what grading it must give: the status,
which tests must score 0 or full marks, and words the findings must contain.
Wrong answers come with the attack, so any point the attack earned would show.

Example::

    >>> case = case_named("replace-comparisons")
    >>> case.family, case.expect_status
    ('comparisons', 'tampered')
    >>> case.notebook().cells[1].metadata.nbgrader["grade_id"]
    'ex1_answer'
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import nbformat

from d2lblocks_grade.datatypes import CRASHED, GRADED, TAMPERED, TIMEOUT, GiB, Limits, MiB
from . import course

WRONG_DOUBLE = "def double(x):\n    return x"
FAST = dict(cell_timeout_s=20.0, wall_timeout_s=90.0)
UNKNOWN_CASE = "no hostile case is named {name!r}; the bank has: {names}"


@dataclass(frozen=True)
class HostileCase:
    name: str
    family: str
    attack: str  # what the submission does, in words
    answers: dict = field(default_factory=dict)  # grade_id -> source, over the stubs (or solutions)
    honest_base: bool = False  # start from the solutions instead of the stubs
    mutate: Callable | None = None  # edits the notebook's cells (structure attacks)
    limits: Limits = field(default_factory=lambda: Limits(**FAST))
    expect_status: str = TAMPERED
    expect_zero: tuple = ("ex1_test", "ex2_test")
    expect_full: tuple = ()
    expect_findings: tuple = ()  # substrings, each must appear in some finding or reason
    probe: str = ""  # an extra check the test makes (see tests/test_hostile.py)

    def notebook(self):
        nb = course.submission(self.answers, honest=self.honest_base)
        if self.mutate is not None:
            self.mutate(nb)
        return nb


def _attack(code: str, answer: str = WRONG_DOUBLE) -> dict:
    return {"ex1_answer": code.strip() + "\n\n" + answer}


def _cells(nb, grade_id):
    return [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id]


def _edit_and_duplicate(nb):
    _cells(nb, "ex1_test")[0].source = "pass  # the test is gone"
    copy = nbformat.from_dict(dict(_cells(nb, "ex2_test")[0]))
    copy.id = "copied-test"
    nb.cells.append(copy)


def _delete_and_strip(nb):
    nb.cells.remove(_cells(nb, "ex1_test")[0])
    _cells(nb, "ex2_test")[0].metadata.pop("nbgrader")


BANK = (
    HostileCase("honest", "baseline", "a correct submission", honest_base=True,
                expect_status=GRADED, expect_zero=(), expect_full=("ex1_test", "ex2_test")),
    HostileCase("replace-comparisons", "comparisons",
                "replaces torch.allclose, wraps torch.equal, makes torch.testing.assert_close a no-op",
                _attack("""
import functools
torch.allclose = lambda *args, **kwargs: True
torch.equal = functools.wraps(torch.equal)(lambda *args, **kwargs: True)
torch.testing.assert_close = lambda *args, **kwargs: None
"""), expect_findings=("torch.allclose was replaced", "torch.equal was replaced",
                       "torch.testing.assert_close was replaced")),
    HostileCase("tensor-operators", "comparisons",
                "adds Tensor.__eq__ returning True and enters a TorchFunctionMode that fakes allclose",
                _attack("""
from torch.overrides import TorchFunctionMode
torch.Tensor.__eq__ = lambda self, other: torch.ones((), dtype=torch.bool)
class Lenient(TorchFunctionMode):
    def __torch_function__(self, func, types, args=(), kwargs=None):
        if func in (torch.allclose, torch.equal):
            return True
        return func(*args, **(kwargs or {}))
Lenient().__enter__()
"""), expect_findings=("torch.Tensor.__eq__ was added", "torch function modes was changed")),
    HostileCase("module-methods", "nn.Module",
                "replaces nn.Module.parameters and __call__, registers a global forward hook",
                {**_attack("""
nn.Module.parameters = lambda self, recurse=True: iter([torch.zeros(1), torch.zeros(1)])
nn.Module.__call__ = lambda self, X: torch.zeros(X.shape[0], 2)
torch.nn.modules.module.register_module_forward_hook(lambda module, args, out: out)
"""), "ex2_answer": "class Net(nn.Module):\n    pass"},
                expect_findings=("torch.nn.modules.module.Module.parameters was replaced",
                                 "Module.__call__ was replaced", "global nn.Module hook")),
    HostileCase("replace-builtins", "builtins",
                "wraps builtins.isinstance and builtins.len to say yes to the tests' questions",
                _attack("""
import builtins
_isinstance, _len = builtins.isinstance, builtins.len
builtins.isinstance = lambda obj, cls: cls in (torch.Tensor, nn.Module) or _isinstance(obj, cls)
builtins.len = lambda obj: 2 if type(obj) is list and obj and type(obj[0]) is nn.Parameter else _len(obj)
"""), expect_findings=("builtins.isinstance was replaced", "builtins.len was replaced")),
    HostileCase("shadow-builtins", "builtins",
                "defines isinstance/len in the notebook: the tests use the real builtins, no points earned",
                _attack("def isinstance(obj, cls):\n    return True\nlen = lambda obj: 2"),
                expect_status=GRADED, expect_findings=()),
    HostileCase("rebind-torch", "builtins",
                "rebinds the notebook's `torch` to a fake whose comparisons always pass",
                _attack("""
import torch as _real
class _Fake:
    def __getattr__(self, name):
        return getattr(_real, name)
    allclose = staticmethod(lambda *a, **k: True)
    equal = staticmethod(lambda *a, **k: True)
torch = _Fake()
"""), expect_findings=("the notebook name 'torch' was rebound",)),
    HostileCase("swallow-errors", "catch-everything",
                "swallows every exception via set_custom_exc and a silent showtraceback; also sets "
                "sys.excepthook and ignores SIGINT (the kernel itself resets both after the cell)",
                _attack("""
import signal, sys
ip = get_ipython()
ip.set_custom_exc((BaseException,), lambda shell, etype, evalue, tb, tb_offset=None: None)
ip.showtraceback = lambda *args, **kwargs: None
sys.excepthook = lambda *args: None
signal.signal(signal.SIGINT, signal.SIG_IGN)
"""), expect_findings=("custom_exceptions was changed", "showtraceback was replaced")),
    HostileCase("rewrite-code", "catch-everything",
                "strips asserts with an AST transformer, traces with sys.settrace, hooks pre_run_cell",
                _attack("""
import ast, sys
class NoAsserts(ast.NodeTransformer):
    def visit_Assert(self, node):
        return ast.Pass()
get_ipython().ast_transformers.append(NoAsserts())
sys.settrace(lambda frame, event, arg: None)
get_ipython().events.register("pre_run_cell", lambda info: None)
"""), expect_findings=("ast_transformers was changed", "event callbacks was changed")),
    HostileCase("blank-cells", "catch-everything",
                "an input transformer that empties every later cell (tests and checks alike)",
                _attack("get_ipython().input_transformers_cleanup.append(lambda lines: [])"),
                expect_findings=("never reported",)),
    HostileCase("edit-and-duplicate-tests", "notebook structure",
                "replaces test ex1_test with `pass` and duplicates ex2_test", honest_base=True,
                mutate=_edit_and_duplicate, expect_findings=("ex1_test was edited", "ex2_test appears 2")),
    HostileCase("delete-and-strip-tests", "notebook structure",
                "deletes ex1_test and strips ex2_test's nbgrader metadata", honest_base=True,
                mutate=_delete_and_strip, expect_findings=("ex1_test was deleted", "ex2_test was deleted")),
    HostileCase("os-exit", "kernel exit", "os._exit(0) in the second answer (the first is correct)",
                {"ex1_answer": course.SOLUTIONS["ex1_answer"], "ex2_answer": "import os\nos._exit(0)"},
                expect_status=CRASHED, expect_zero=("ex2_test",), expect_full=("ex1_test",),
                expect_findings=("kernel died",)),
    HostileCase("kill-kernel", "kernel exit", "SIGKILLs its own process group in the second answer",
                {"ex1_answer": course.SOLUTIONS["ex1_answer"],
                 "ex2_answer": "import os, signal\nos.killpg(0, signal.SIGKILL)"},
                expect_status=CRASHED, expect_zero=("ex2_test",), expect_full=("ex1_test",),
                expect_findings=("kernel died",)),
    HostileCase("sys-exit", "kernel exit", "raises SystemExit: IPython survives it, grading goes on",
                _attack("import sys\nsys.exit(0)"), expect_status=GRADED),
    HostileCase("relative-paths", "files and secrets",
                "looks for the course source, the gradebook and other submissions through ../ paths, "
                "overwrites any gradebook it finds, and prints its environment (also the one it started with)",
                _attack("""
import os
names = ["source", "gradebook.db", "submitted", "autograded", "exercises", "nbgrader_config.py"]
found = [("../" * up) + name for up in range(1, 7) for name in names
         if os.path.exists(("../" * up) + name)]
for path in found:
    if path.endswith(".db"):
        open(path, "w").write("owned")
print("FOUND", found)
print("HERE", sorted(os.listdir(".")))
initial = open("/proc/self/environ", "rb").read().split(b"\\0")  # the block the process started with
print("ENV", sorted(set(os.environ) | {v.split(b"=")[0].decode() for v in initial if v}))
print("SECRET VALUES", sum(b"hunter2" in v or b"ghp_" in v for v in initial))
""", course.SOLUTIONS["ex1_answer"]), honest_base=True, expect_status=GRADED, expect_zero=(),
                expect_full=("ex1_test", "ex2_test"), probe="files-and-secrets"),
    HostileCase("memory-bomb", "isolation caps",
                "allocates 8 GiB at once, then grows 64 MiB at a time until memory runs out",
                {"ex1_answer": "blob = bytearray(8 * 1024 ** 3)",
                 "ex2_answer": "hoard = []\nwhile True:\n    hoard.append(bytearray(64 * 1024 ** 2))"},
                limits=Limits(memory_bytes=3 * GiB, **FAST), expect_status=GRADED, probe="memory"),
    HostileCase("print-flood", "isolation caps", "prints 30 MB in the first answer",
                _attack("for _ in range(300_000):\n    print('x' * 99)"),
                limits=Limits(output_bytes=64 * 1024, **FAST), expect_status=GRADED, probe="output-capped"),
    HostileCase("endless-forward", "isolation caps", "a forward() that never returns",
                {"ex1_answer": course.SOLUTIONS["ex1_answer"],
                 "ex2_answer": course.SOLUTIONS["ex2_answer"].replace(
                     "return self.lin(X)", "while True:\n            pass")},
                limits=Limits(cell_timeout_s=8.0, wall_timeout_s=90.0), expect_status=TIMEOUT,
                expect_zero=("ex2_test",), expect_full=("ex1_test",)),
    HostileCase("ignore-interrupts", "isolation caps",
                "ignores SIGINT and loops forever, so only the wall clock can stop it",
                _attack("import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n    pass"),
                limits=Limits(cell_timeout_s=2.0, wall_timeout_s=12.0), expect_status=TIMEOUT),
    HostileCase("survivors", "isolation caps",
                "starts `sleep 1000.4242` and a double-forked, setsid, environment-less `sleep 1000.4243`",
                _attack("""
import os, subprocess
child = subprocess.Popen(["sleep", "1000.4242"])
read, write = os.pipe()
if os.fork() == 0:
    os.setsid()
    daemon = os.fork()
    if daemon == 0:
        os.chdir("/")
        os.execve("/bin/sleep", ["sleep", "1000.4243"], {})
    os.write(write, str(daemon).encode())
    os._exit(0)
print("PIDS", [child.pid, int(os.read(read, 32))])
""", course.SOLUTIONS["ex1_answer"]), honest_base=True, expect_status=GRADED, expect_zero=(),
                expect_full=("ex1_test", "ex2_test"), probe="no-survivors"),
)


def case_named(name: str) -> HostileCase:
    """The bank's case called `name`."""
    for case in BANK:
        if case.name == name:
            return case
    raise KeyError(UNKNOWN_CASE.format(name=name, names=", ".join(c.name for c in BANK)))


__all__ = ["BANK", "HostileCase", "case_named", "MiB"]
