"""The tests' voice: what a failing check says, in the notebook's language, and hint().

Every test cell starts with ``checking("its grade id")``. A check that fails raises an
``AssertionError`` whose message says what is wrong, why it matters and which notebook section
explains it (`lesson`); the concrete fix waits until the same check has failed twice, and then
``hint("ex1")`` prints it. The failures are counted per kernel: the setup cell calls
`forget_failures` so that rerunning it starts afresh.

    >>> forget_failures(); checking("ex1_forward")
    >>> try:
    ...     expect(1 + 1 == 3, "1 + 1 is not 3.", "stale")
    ... except AssertionError as error:
    ...     print(error)
    1 + 1 is not 3. Stuck after your next try? Run hint("ex1") in a new cell.
"""
import collections
import contextlib
import io
import warnings

import torch

from d2lblocks.exercises._fixes import FIXES
from d2lblocks.i18n import N_, Message, gettext, translate

CHAPTER = "notebooks/01-layers-and-blocks.ipynb"
PITFALLS = "notebooks/02-pitfalls.ipynb"
# The sections the messages point at; their titles are messages too, so each edition names its own headings.
SEQUENTIAL_BLOCK = N_("The Sequential block")
CUSTOM_BLOCK = N_("A custom block")
LAYER_AND_BLOCK = N_("A layer and a block: `nn.Sequential`")
TWO_INSTANCES = N_("Two instances, two sets of parameters")
FORWARD_CODE = N_("Executing code in the forward propagation method")
LIST_PITFALL = N_("1. Blocks stored in a Python list")
KEY_PITFALL = N_("2. The module used as its own key")
REPEAT_PITFALL = N_("3. `[block] * n` repeats one block, not n blocks")
CONSTANT_PITFALL = N_("4. A constant that is not a buffer")
SEE = N_("See {notebook}, section '{section}'.")
_state = {"test": None, "hints": True}
_failures: collections.Counter = collections.Counter()  # (test, fix) -> how often that check has failed in this kernel
_latest: dict = {}  # exercise -> (message, fix, failures) of its latest failing check


def forget_failures():
    """Start counting failures afresh (the setup cell calls it): hint() then knows only what fails from now on."""
    _state.update(test=None, hints=True)
    _failures.clear()
    _latest.clear()


def checking(test, hints=True):
    """Every test cell starts with checking("its grade id"); the grader's hidden tests offer no hint()."""
    _state.update(test=test, hints=hints)


def say(message, /, **fields):
    """A message in the language in force: a Message, or a msgid (or plain text) with its {fields} filled in."""
    if isinstance(message, Message):
        return message.render()
    if not message:
        return ""
    if fields:
        return translate(message, **{name: say(value) if isinstance(value, Message) else value
                                     for name, value in fields.items()})
    return gettext(message)  # plain text is shown as it is: its braces are not placeholders


def at(section, notebook=CHAPTER):
    """The fields of a message that ends "See {notebook}, section '{section}'."."""
    return {"notebook": notebook, "section": Message(section)}


def see(section, notebook=CHAPTER):
    return say(SEE, **at(section, notebook))


STUCK = N_("{message} Stuck after your next try? Run hint(\"{exercise}\") in a new cell.")
FAILED_AGAIN = N_("{message} This check has failed {count} times now: run hint(\"{exercise}\") in a new cell for the "
                  "concrete fix.")


def lesson(message, fix=None, /, **fields):
    """A failure message: what is wrong, why it matters, where to read. The concrete fix waits for hint()."""
    message = say(message, **fields).strip()
    test = _state["test"]
    if not (fix and test and _state["hints"]):
        return message
    exercise = test.split("_")[0]
    _failures[test, fix] += 1
    count = _failures[test, fix]
    _latest[exercise] = (message, fix, count)
    if count == 1:
        return say(STUCK, message=message, exercise=exercise)
    return say(FAILED_AGAIN, message=message, count=count, exercise=exercise)


def fail(message, fix=None, /, **fields):
    raise AssertionError(lesson(message, fix, **fields))


def expect(condition, message, fix=None, /, **fields):
    """Stop the test with a message that says what is wrong, why it matters and where to read about it."""
    if not condition:
        fail(message, fix, **fields)


NOT_FAILED = N_("No test of {exercise} has failed in this session. hint() only knows the failures of this kernel: "
                "run {exercise}'s test cells first (again after a kernel restart).")
LATEST = N_("{exercise}, latest failing test: {message}")
FAILED_ONCE = N_("It has failed once. Reread its message and the notebook section it names, change your answer, then "
                 "run your cell and the test again. If the test fails a second time, hint(\"{exercise}\") shows the "
                 "concrete fix.")
CONCRETE_FIX = N_("Concrete fix: {fix}")


def hint(exercise):
    """Print the concrete fix for the exercise's latest failing test, once that test has failed twice."""
    exercise = str(exercise).strip().lower()
    exercise = "ex" + exercise if exercise.isdigit() else exercise
    if exercise not in _latest:
        print(say(NOT_FAILED, exercise=exercise))
        return
    message, fix, count = _latest[exercise]
    print(say(LATEST, exercise=exercise, message=message) + "\n")
    if count < 2:
        print(say(FAILED_ONCE, exercise=exercise))
    else:
        print(say(CONCRETE_FIX, fix=say(FIXES.get(fix, fix))))


@contextlib.contextmanager
def quiet():
    """Keep your code's warnings and stderr out of the test's output (the grader would score them as a failure)."""
    with warnings.catch_warnings(), contextlib.redirect_stderr(io.StringIO()):
        warnings.simplefilter("ignore")
        yield


def said(error):
    text = (str(error).strip().splitlines() or [""])[0].rstrip(".")
    return f"{type(error).__name__}: {text}"


NOT_WRITTEN = N_("{what}: this part is not written yet; replace `raise NotImplementedError()` with your code.")
RECURSION = N_("{what} never finished: something calls itself again and again (RecursionError), e.g. a forward that "
               "runs every block of self.modules(), which yields the block itself first. {advice}")
RAISED = N_("{what} raised {error}.{none} {advice}")
NONE_HINT = N_(" Something returned None where a tensor was expected: a forward or function without `return` "
               "gives None.")
RETURNED_NONE = N_("{what} returned None: a forward (or function) without a `return` statement gives None, so the "
                   "caller has nothing to compute with. {advice}")
NOT_A_TENSOR = N_("{what} returned a {type}, not a tensor. {advice}")


@contextlib.contextmanager
def running(what, advice="", fix=None):
    """Run your code; if it crashes, say what was being done and how to think about the error.

    Your code's warnings and stderr output are kept out of the test's output, so a
    working answer that warns still earns its points.
    """
    what, advice = say(what), say(advice)
    with quiet():
        try:
            yield
        except AssertionError:
            raise
        except NotImplementedError:
            raise AssertionError(say(NOT_WRITTEN, what=what)) from None
        except RecursionError:
            raise AssertionError(lesson(RECURSION, fix, what=what, advice=advice)) from None
        except Exception as error:
            none = Message(NONE_HINT) if "NoneType" in str(error) else ""
            raise AssertionError(lesson(RAISED, fix, what=what, error=said(error), none=none, advice=advice)) from None


def expect_tensor(value, what, advice="", fix=None):
    """A forward must return a tensor; None means a missing `return`."""
    what, advice = say(what), say(advice)
    if value is None:
        fail(RETURNED_NONE, fix, what=what, advice=advice)
    expect(isinstance(value, torch.Tensor), NOT_A_TENSOR, fix, what=what, type=type(value).__name__, advice=advice)


LIBRARY_VERSION = N_("{name} is the course library's version; write your own {name} in the exercise cell instead of "
                     "importing it from d2lblocks.")


def expect_own(name, answer, library_version):
    """Your answer must be your own class or function, not the library's."""
    expect(answer is not library_version and not (isinstance(answer, type) and issubclass(answer, library_version)),
           LIBRARY_VERSION, name=name)

