"""Execute the course notebooks in a real Jupyter kernel, and optionally render them as HTML.

Each notebook runs top to bottom in a fresh ``python3`` kernel with its own folder
(``notebooks/``, or ``notebooks/ja/`` for the Japanese edition) as its working directory,
exactly as a student would run it; any error stops with the failing cell and its traceback.
The kernel gets ``D2LBLOCKS_LANGUAGE`` from the notebook's metadata (``{"d2lblocks":
{"language": "ja"}}``), so the library prints in the edition's language; ``LANG`` is left
as it is. ::

    python notebooks/run_notebooks.py              # execute all; print the time each took
    python notebooks/run_notebooks.py --html OUT   # also write OUT/<name>.html and OUT/<name>.ipynb,
                                                   # the Japanese edition under OUT/ja/

Example::

    >>> runs = execute_all()                       # doctest: +SKIP
    >>> print(timing_table(runs))                  # doctest: +SKIP
"""
from __future__ import annotations

import argparse
import copy
import dataclasses
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbclient import NotebookClient

try:  # run as a script: python notebooks/run_notebooks.py
    from clean_notebooks import NO_SUCH_NOTEBOOK, NOTEBOOK_DIR, course_notebooks, notebook_language
except ImportError:  # imported from the repository root: from notebooks.run_notebooks import execute_all
    from .clean_notebooks import NO_SUCH_NOTEBOOK, NOTEBOOK_DIR, course_notebooks, notebook_language

REPO_ROOT = NOTEBOOK_DIR.parent
CELL_TIMEOUT_S = 300  # torch.compile's first call on a cold cache takes tens of seconds on a small CPU
KERNEL_NAME = "python3"
LANGUAGE_VARIABLE = "D2LBLOCKS_LANGUAGE"  # read by d2lblocks to choose the language of what it prints

HTML_NEEDS_OUT_DIR = (
    "render_html=True needs a folder to write the HTML into; pass out_dir too, "
    "e.g. execute_all(out_dir='demo-out/notebooks', render_html=True)."
)
BAD_TIMEOUT = "timeout must be a positive number of seconds per cell, e.g. 300; got {timeout!r}."


@dataclass(frozen=True)
class NotebookRun:
    """One executed notebook: its name, times in seconds, the executed notebook and any files written.

    ``name`` is the notebook's path under ``notebooks/`` without ``.ipynb`` (``ja/01-layers-and-blocks`` for
    the Japanese edition), so the two editions of a notebook never share one. ``seconds`` is wall-clock time;
    ``cpu_seconds`` is the CPU time its kernel and the kernel's own subprocesses (the C compiler behind
    ``torch.compile``) used, which other jobs on the machine do not inflate (``None`` where the system cannot tell).
    """

    name: str
    seconds: float
    notebook: nbformat.NotebookNode
    written: tuple[Path, ...] = ()
    cpu_seconds: float | None = None


def _kernel_env(language: str | None = None) -> dict[str, str]:
    """The kernel's environment: this checkout importable, the edition's language, and settings that keep a
    small machine fast.

    ``language`` (the notebook's own, from its metadata) sets ``D2LBLOCKS_LANGUAGE``; every other setting is a
    default: a variable already set in the environment wins. ``LANG`` and the locale are left alone.
    """
    env = dict(os.environ)
    if language is not None:
        env[LANGUAGE_VARIABLE] = language  # d2lblocks imports from this checkout even where it is not installed:
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO_ROOT), env.get("PYTHONPATH", "")) if p)
    env.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")  # silences a debugger notice on Python 3.11+
    # The course's models are tiny: extra threads cannot speed their operations up, but on a machine shared
    # with other jobs OpenMP's waiting threads slow each one down many times over and swamp the timings
    # of the efficiency section. A student's own Jupyter keeps PyTorch's default.
    env.setdefault("OMP_NUM_THREADS", "1")
    # torch.compile's C++ kernels build in a pool of worker processes; on a machine with few cores starting
    # that pool costs more than it saves (the efficiency section compiles a dozen small kernels).
    if (os.cpu_count() or 1) <= 4:
        env.setdefault("TORCHINDUCTOR_COMPILE_THREADS", "1")
    if sys.platform == "linux":
        # On an empty compile cache inductor first builds a test program per SIMD instruction set the CPU
        # lists, to learn whether the compiler can target it: about ten seconds of the course's run on
        # two cores. Current GCC and Clang target every x86 set inductor uses, so the CPU's own list is trusted.
        env.setdefault("TORCHINDUCTOR_VEC_ISA_OK", "1")
    # torch.compile keeps what it builds in a cache on disk shared by every kernel of this user (torch's default
    # folder, or TORCHINDUCTOR_CACHE_DIR where that is set), keyed by the graph, not by the notebook. The
    # Japanese 01 has the English 01's code cells, so its compile cells load the C++ kernels the English one
    # built instead of building them again: about a third of notebook 01's CPU time on a cold cache. Stated
    # here so that the course's run time does not hang on torch's defaults.
    env.setdefault("TORCHINDUCTOR_FX_GRAPH_CACHE", "1")
    env.setdefault("TORCHINDUCTOR_AUTOGRAD_CACHE", "1")
    return env


def execute_notebook(path: str | Path, timeout: float = CELL_TIMEOUT_S) -> NotebookRun:
    """Run the notebook at ``path`` in a fresh kernel; raises ``nbclient``'s ``CellExecutionError`` on an error."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(NO_SUCH_NOTEBOOK.format(path=path, folder=NOTEBOOK_DIR))
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout <= 0:
        raise ValueError(BAD_TIMEOUT.format(timeout=timeout))
    nb = nbformat.read(path, as_version=4)
    env = _kernel_env(notebook_language(nb))
    client = NotebookClient(nb, timeout=timeout, kernel_name=KERNEL_NAME,
                            resources={"metadata": {"path": str(path.parent)}})
    start, cpu_start = time.perf_counter(), _children_cpu_seconds()
    client.execute(env=env)  # starts the kernel, runs every cell, shuts the kernel down
    cpu_end = _children_cpu_seconds()
    cpu = None if cpu_start is None or cpu_end is None else cpu_end - cpu_start
    return NotebookRun(_run_name(path), time.perf_counter() - start, nb, cpu_seconds=cpu)


def _run_name(path: Path) -> str:
    # "01-layers-and-blocks", "ja/01-layers-and-blocks"; a notebook outside notebooks/ goes by its stem.
    try:
        return path.resolve().relative_to(NOTEBOOK_DIR).with_suffix("").as_posix()
    except ValueError:
        return path.stem


def _children_cpu_seconds() -> float | None:
    # CPU time of finished child processes (the kernel, once shut down), descendants included.
    try:
        import resource
    except ImportError:  # Windows
        return None
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _render(run: NotebookRun, out_dir: Path, render_html: bool) -> NotebookRun:
    written = [out_dir / f"{run.name}.ipynb"]
    written[0].parent.mkdir(parents=True, exist_ok=True)  # OUT/ja/ for the Japanese edition
    nbformat.write(run.notebook, written[0])
    if render_html:
        from nbconvert import HTMLExporter  # imported here: rendering is optional and slow to import

        # Without the saved widget state, nbconvert renders each widget's static fallback (the
        # text/html it carries), which reads offline; the live widget needs a kernel anyway.
        static = copy.deepcopy(run.notebook)
        static.metadata.pop("widgets", None)
        language = notebook_language(run.notebook) or "en"  # <html lang="ja">: browsers pick Japanese fonts
        body, _ = HTMLExporter(template_name="lab", language_code=language).from_notebook_node(static)
        written.append(out_dir / f"{run.name}.html")
        written[-1].write_text(body, encoding="utf-8")
    return dataclasses.replace(run, written=tuple(written))


def execute_all(out_dir: str | Path | None = None, render_html: bool = False,
                timeout: float = CELL_TIMEOUT_S) -> list[NotebookRun]:
    """Execute every course notebook in order; with ``out_dir``, save the executed copies (and HTML)."""
    if render_html and out_dir is None:
        raise ValueError(HTML_NEEDS_OUT_DIR)
    runs = []
    for path in course_notebooks():
        run = execute_notebook(path, timeout)
        runs.append(_render(run, Path(out_dir), render_html) if out_dir is not None else run)
    return runs


def timing_table(runs: list[NotebookRun]) -> str:
    """A table of execution times, one row per notebook and a total.

    Example::

        >>> print(timing_table([NotebookRun("01-intro", 12.5, None, cpu_seconds=10.0)]))
        notebook  wall s   CPU s
        01-intro    12.5    10.0
        total       12.5    10.0
    """
    def cpu(value: float | None) -> str:
        return "      ?" if value is None else f"{value:7.1f}"

    width = max([len(r.name) for r in runs] + [len("notebook")])
    cpu_total = None if any(r.cpu_seconds is None for r in runs) else sum(r.cpu_seconds for r in runs)
    lines = [f"{'notebook':<{width}}  wall s   CPU s"]
    lines += [f"{r.name:<{width}}  {r.seconds:6.1f} {cpu(r.cpu_seconds)}" for r in runs]
    lines.append(f"{'total':<{width}}  {sum(r.seconds for r in runs):6.1f} {cpu(cpu_total)}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--html", metavar="OUT_DIR", type=Path,
                        help="write the executed notebooks and their HTML rendering into OUT_DIR")
    parser.add_argument("--timeout", type=float, default=CELL_TIMEOUT_S, help="seconds allowed per cell")
    args = parser.parse_args(argv)
    runs = execute_all(out_dir=args.html, render_html=args.html is not None, timeout=args.timeout)
    print(timing_table(runs))
    for run in runs:
        for path in run.written:
            print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
