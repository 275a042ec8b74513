"""A fork server for kernels: torch is imported once, and every submission's kernel is forked from it.

Starting a kernel the ordinary way costs seconds of CPU per submission (the
interpreter, ipykernel, `import torch`, and torch's first optimizer pulling in
`torch._dynamo`). The zygote process pays that once; each kernel is then a
fresh `fork()` of it — its own process, its own session (process group),
used for exactly one submission and killed afterwards — so the pages stay
shared and a kernel is ready in milliseconds.

The zygote never runs student code and never starts threads, so forking it is
safe. A forked child joins its submission's sandbox before it becomes the kernel
(`d2lblocks_grade.kernel.enter`). Coordinator side, `d2lblocks_grade.kernel.launch`
plugs it into jupyter_client in place of `Popen`.

Example::

    >>> zygote = Zygote(["torch", "torch._dynamo"])           # doctest: +SKIP
    >>> kernel = start_kernel(zygote=zygote, jail=Jail())     # d2lblocks_grade.kernel.execute  # doctest: +SKIP
"""

from __future__ import annotations

import importlib
import json
import os
import select
import signal
import subprocess
import sys
import threading
import time

from d2lblocks_grade.kernel.enter import become_kernel, join
from d2lblocks_grade.kernel.process_limits import cap_this_process, new_marker, scrub_environment
from d2lblocks_grade.kernel.runtime import HIDDEN_PACKAGES
from d2lblocks_grade.kernel.warm_up import warm

OWNER_POLL_S = 0.5  # how soon the server notices that the process which started it is gone
OWNER_FLAG = "--owner="
ZYGOTE_FAILED = ("the kernel fork server stopped unexpectedly ({detail}); grading falls back to starting "
                 "each kernel as a new process")


# ----------------------------------------------------------------------------- server side

def _reap(signum, frame) -> None:
    try:
        while os.waitpid(-1, os.WNOHANG)[0] > 0:
            pass
    except ChildProcessError:
        pass


def _fork_kernel(request: dict) -> int:
    """Fork the kernel for ``request``; returns its pid (in this server's PID namespace) or raises OSError."""
    jail = request.get("jail")
    report_r, report_w = os.pipe()
    launcher = os.fork()
    if launcher == 0:
        try:
            os.close(report_r)
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            if jail:
                join(jail, report_w)  # returns in the kernel, inside the sandbox, privileges dropped
            else:  # --unsafe-no-sandbox: only rlimits, an environment without secrets, and the sweeps
                os.write(report_w, f"{os.getpid()}\n".encode())
                cap_this_process(request.get("memory_bytes"))
                # ipykernel exits when this parent goes away: the server ends when the coordinator dies.
                request["env"]["JPY_PARENT_PID"] = str(os.getppid())
                request["argv"] = [*request["argv"], f"--IPKernelApp.parent_handle={os.getppid()}"]
        except BaseException as error:
            os.write(report_w, f"error {type(error).__name__}: {error}\n".encode())
            os._exit(1)
        become_kernel(request)
    os.close(report_w)
    with os.fdopen(report_r, "rb") as report:
        answer = report.readline().decode().strip()
    if not answer.isdigit():
        raise OSError(answer.removeprefix("error ") or "the kernel's launcher exited before it started the kernel")
    return int(answer)


def _hidden(name: str) -> bool:
    return name.split(".")[0] in HIDDEN_PACKAGES


def serve(modules: list[str], owner: int | None = None) -> None:
    """Import `modules`, then fork one kernel per JSON request line on stdin; answer with its pid.

    Never the course library (`runtime.HIDDEN_PACKAGES`): a module in this process's memory is in every
    kernel's, whatever the sandbox shadows on disk. If importing something else pulled it in, the server
    stops, and grading falls back to cold kernels. It also stops when `owner` (default: its parent) ends.
    """
    owner = os.getppid() if owner is None else owner
    for name in modules:
        if _hidden(name):
            continue
        try:
            importlib.import_module(name)
        except Exception:  # a module the course imports but this machine lacks: the kernel will say so
            pass
    import ipykernel.kernelapp  # noqa: F401  (the kernel's own code, imported once for all)
    if "torch" in sys.modules:
        warm()  # torch's one-off first calls, paid here once instead of in every kernel
    loaded = sorted(name for name in sys.modules if _hidden(name))
    if loaded:
        sys.stderr.write(f"fork server: refusing to fork kernels with the course library loaded ({loaded[0]})\n")
        sys.exit(3)
    signal.signal(signal.SIGCHLD, _reap)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C on the grader must not kill the server first
    out = sys.stdout
    out.write("ready\n")
    out.flush()
    for line in _requests(owner):
        answer: dict[str, object]
        try:
            answer = {"pid": _fork_kernel(json.loads(line))}
        except OSError as error:
            answer = {"error": str(error)}
        out.write(json.dumps(answer) + "\n")
        out.flush()
    # stdin closed, or the process that started this server is gone: so is this server


def _requests(owner: int, poll_s: float = OWNER_POLL_S):
    """Request lines from stdin until it closes or `owner` (the process that started this server) is gone.

    End of file alone is not enough: a process forked from the owner (a Dask worker's helpers) can hold the
    pipe's write end open after the owner died, and the server would live on, reparented, holding torch.
    """
    buffer = b""
    while True:
        if os.getppid() != owner:
            return
        try:
            ready, _, _ = select.select([0], [], [], poll_s)
        except InterruptedError:  # SIGCHLD from a kernel launcher
            continue
        if not ready:
            continue
        chunk = os.read(0, 65536)
        if not chunk:
            return
        buffer += chunk
        while b"\n" in buffer:
            line, buffer = buffer.split(b"\n", 1)
            yield line.decode()


# ----------------------------------------------------------------------------- coordinator side

def is_alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as handle:
            state = handle.read().rsplit(")", 1)[1].split()[0]
        return state not in ("Z", "X")
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False


class ForkedProcess:
    """What jupyter_client expects of a `Popen`, for a kernel forked by the zygote."""

    stdin = stdout = stderr = None

    def __init__(self, pid: int):
        self.pid = pid
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None and not is_alive(self.pid):
            self.returncode = -signal.SIGKILL
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(str(self.pid), timeout or 0.0)
            time.sleep(0.02)
        return self.returncode if self.returncode is not None else -signal.SIGKILL

    def send_signal(self, signum: int) -> None:
        try:
            os.kill(self.pid, signum)
        except ProcessLookupError:
            pass

    def kill(self) -> None:
        try:
            os.killpg(self.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)


def _server_environment() -> dict:
    """No secret of the grader's in the server: its forks show this block in /proc/self/environ."""
    return scrub_environment(os.environ, new_marker())


class Zygote:
    """The coordinator's handle on one fork server (thread-safe; one fork at a time)."""

    def __init__(self, modules=("torch", "torch._dynamo")):
        self.modules = list(modules)
        self._lock = threading.Lock()
        # `python -m` puts its working folder first on sys.path: started in the instructor's folder, a
        # `grader/` or `d2lblocks_grade/` folder there would be imported instead of this package. -P (3.11+) puts
        # nothing there; before it, the interpreter's own bin folder. No folder of our own: none to strand.
        safe_start = ["-P"] if sys.version_info >= (3, 11) else []
        self._proc = subprocess.Popen([sys.executable, *safe_start, "-m", "d2lblocks_grade.kernel.fork_server",
                                       f"{OWNER_FLAG}{os.getpid()}", *self.modules],
                                      stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                      cwd="/" if safe_start else os.path.dirname(sys.executable),
                                      stderr=subprocess.DEVNULL, text=True, start_new_session=True,
                                      env=_server_environment())
        self._ready = False

    def fork(self, request: dict) -> int:
        """Start the kernel ``request`` describes (argv, cwd, env, and jail or memory_bytes); returns its pid.

        RuntimeError: the server itself is gone (start kernels cold). OSError: this kernel could not start.
        """
        line = json.dumps(request)
        with self._lock:
            if not self._ready:
                if self._proc.stdout.readline().strip() != "ready":
                    raise RuntimeError(ZYGOTE_FAILED.format(detail="it did not start"))
                self._ready = True
            try:
                self._proc.stdin.write(line + "\n")
                self._proc.stdin.flush()
                answer = self._proc.stdout.readline()
            except (BrokenPipeError, OSError) as err:
                raise RuntimeError(ZYGOTE_FAILED.format(detail=err)) from None
            if not answer:
                raise RuntimeError(ZYGOTE_FAILED.format(detail=f"exit code {self._proc.poll()}"))
            reply = json.loads(answer)
            if "error" in reply:
                raise OSError(f"the kernel could not start: {reply['error']}")
            return reply["pid"]

    def close(self) -> None:
        try:
            self._proc.stdin.close()
            self._proc.wait(timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            self._proc.kill()
            self._proc.wait()
        if self._proc.stdout is not None:
            self._proc.stdout.close()


def main(argv: list[str]) -> None:
    owners = [int(a[len(OWNER_FLAG):]) for a in argv if a.startswith(OWNER_FLAG)]
    serve([a for a in argv if not a.startswith(OWNER_FLAG)], owners[0] if owners else None)


if __name__ == "__main__":
    main(sys.argv[1:])
