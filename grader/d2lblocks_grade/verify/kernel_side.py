"""What runs inside the kernel in trusted mode: the course's probes, and the way their responses leave.

The runtime cell (`d2lblocks_grade.verify.plan`) calls `install` with the sources
of the course's ``probes/`` package; each test cell then calls the returned
function with its test id, its probe (``"module.function"``), a nonce and the
challenge. A probe is called as ``probe(challenge, answers)``, where ``answers``
is the notebook's namespace; the grader calls the same probe on the course's
reference answers to know what a correct answer sends. The probe's result, or the error the
student's code raised, is published as one display output of type `MIME` holding
JSON text (`d2lblocks_grade.verify.wire`). Nothing here decides anything:
everything the kernel does can be changed by the code it runs, so the grader
judges only what comes out. Imports only the standard library, torch and IPython.
"""
from __future__ import annotations

import contextlib
import io
import json
import sys
import types
import warnings

from d2lblocks_grade.verify.wire import dumps, from_json

MIME = "application/vnd.d2lblocks.response"  # kernel.notebook_client gives these a budget of their own
PACKAGE = "course_probes"


def error_of(error: BaseException) -> dict:
    """A student's exception as plain data: its type's name and the first line of its message."""
    try:
        text = str(error)
    except Exception:  # a message that cannot even be shown
        text = ""
    lines = text.strip().splitlines()
    return {"type": type(error).__name__, "message": (lines[0] if lines else "")[:300]}


def find_probe(package: types.ModuleType, path: str):
    module, _, function = path.partition(".")
    return getattr(sys.modules[f"{package.__name__}.{module}"], function)


def respond_with(package: types.ModuleType, test_id: str, probe_path: str, nonce: str, challenge_text: str) -> None:
    from IPython import get_ipython
    from IPython.display import publish_display_data

    try:
        probe = find_probe(package, probe_path)
        challenge = from_json(json.loads(challenge_text))
        with warnings.catch_warnings(), contextlib.redirect_stderr(io.StringIO()), \
                contextlib.redirect_stdout(io.StringIO()):
            warnings.simplefilter("ignore")
            body = {"response": probe(challenge, get_ipython().user_ns)}
    except BaseException as error:  # noqa: BLE001 - the student's error is data for the judge
        body = {"probe_raised": error_of(error)}
    try:
        text = dumps({"nonce": nonce, "test": test_id, **body})
    except Exception as error:  # noqa: BLE001
        text = dumps({"nonce": nonce, "test": test_id, "probe_raised": error_of(error)})
    publish_display_data({MIME: text})


def load_package(sources: dict[str, str], name: str = PACKAGE) -> types.ModuleType:
    """The probes as a package ``name`` with one submodule per source, run in the given order
    (``from .common import x`` works between them). Used in the kernel and by the grader alike."""
    package = types.ModuleType(name)
    package.__path__ = []
    sys.modules[name] = package
    for module_name, source in sources.items():
        module = types.ModuleType(f"{name}.{module_name}")
        module.__package__ = name
        sys.modules[module.__name__] = module
        exec(compile(source, f"<course probes: {module_name}>", "exec"), module.__dict__)  # noqa: S102
        setattr(package, module_name, module)
    return package


def install(sources: dict[str, str]):
    """Load the course's probes; return ``respond(test_id, probe_path, nonce, challenge_text)``."""
    package = load_package(sources)

    def respond(test_id: str, probe_path: str, nonce: str, challenge_text: str) -> None:
        respond_with(package, test_id, probe_path, nonce, challenge_text)

    return respond
