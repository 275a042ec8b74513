"""The exercises' checks: what the assignment's test cells call, so that its setup cell is a few imports.

The course's nbgrader assignment (``exercises/``) starts with a read-only setup cell that imports
everything here::

    from d2lblocks.exercises import *

Each test cell then starts with ``checking("its grade id")`` and calls the checks below. A failing
check raises an ``AssertionError`` that teaches: what is wrong, why it matters, which section of the
course's notebooks explains it, in the language in force (``d2lblocks.set_language``). The concrete
fix waits for ``hint("ex1")``, after the same check failed twice in this kernel.

The checks compare a student's blocks with the course library's own (``d2lblocks.MySequential`` and
friends). The sandboxed grader never runs them: it hides this library from the student's kernel and
decides its verdicts outside it, with the course's verifier (``exercises/verifiers/``).

    >>> from torch import nn
    >>> from d2lblocks import MySequential
    >>> forget_failures(); checking("ex1_parameters")
    >>> blocks = [nn.Linear(2, 2), nn.ReLU()]
    >>> expect_registered(MySequential(*blocks), blocks, "MySequential")   # registers them: no error
"""
from d2lblocks.exercises._chain import INIT_SEE, expect_chain
from d2lblocks.exercises._feedback import (
    CONSTANT_PITFALL,
    CUSTOM_BLOCK,
    FORWARD_CODE,
    LAYER_AND_BLOCK,
    LIST_PITFALL,
    PITFALLS,
    REPEAT_PITFALL,
    SEQUENTIAL_BLOCK,
    TWO_INSTANCES,
    at,
    checking,
    expect,
    expect_own,
    expect_tensor,
    fail,
    forget_failures,
    hint,
    quiet,
    running,
    see,
)
from d2lblocks.exercises._fixes import FIXES as FIXES  # for hint() and the release's leak check; not in __all__
from d2lblocks.exercises._joining import expect_side_by_side
from d2lblocks.exercises._registration import Problem, expect_registered, registration_problem, watching
from d2lblocks.exercises._replicas import expect_sequential
from d2lblocks.exercises._training import expect_follows_training
from d2lblocks.i18n import N_, Message

# What `from d2lblocks.exercises import *` gives a notebook: the checks, the sections they point at, hint(),
# and the two message helpers a test cell uses for its own messages.
__all__ = [
    "CONSTANT_PITFALL", "CUSTOM_BLOCK", "FORWARD_CODE", "INIT_SEE", "LAYER_AND_BLOCK", "LIST_PITFALL", "PITFALLS",
    "REPEAT_PITFALL", "SEQUENTIAL_BLOCK", "TWO_INSTANCES", "Message", "N_", "Problem", "at", "checking", "expect",
    "expect_chain", "expect_follows_training", "expect_own", "expect_registered", "expect_sequential",
    "expect_side_by_side", "expect_tensor", "fail", "forget_failures", "hint", "quiet", "registration_problem",
    "running", "see", "watching",
]
