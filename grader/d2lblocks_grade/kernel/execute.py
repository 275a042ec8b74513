"""Run one notebook in one fresh kernel, with a per-cell timeout and a wall clock.

`start_kernel` launches an IPython kernel in its own process group and, by
default, has it import torch while it boots, so a pre-started kernel is ready
to grade at once. Each kernel runs exactly one submission and is then killed
with its whole process group. The isolation layer can wrap the launch by
passing `launch_prefix` (e.g. a sandbox command) and a scrubbed `env`.

Example::

    >>> kernel = start_kernel(Path("/tmp/scratch"))          # doctest: +SKIP
    >>> run = execute_notebook(nb, kernel, Limits())         # doctest: +SKIP
    >>> run.timed_out, run.crashed                           # doctest: +SKIP
    (False, False)
"""

from __future__ import annotations

import atexit
import os
import queue
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from jupyter_client import AsyncKernelManager
from jupyter_core.utils import run_sync
from nbclient.exceptions import DeadKernelError

from d2lblocks_grade.datatypes import Limits
from d2lblocks_grade.kernel import process_limits
from d2lblocks_grade.kernel.jail import WORKDIR, Jail, JailLimits
from d2lblocks_grade.kernel.launch import SandboxProvisioner
from d2lblocks_grade.kernel.notebook_client import CappedNotebookClient

# Imported while the kernel boots and then unbound, so `torch` is not a free
# name a student could rely on without importing it (stock nbgrader parity).
WARM_IMPORTS = ("torch",)
TIMEOUT_ENAME = "CellTimeoutError"
REPLY_TEXT = 2000  # characters of an error's text taken from the kernel's reply (its output may have been dropped)
INTERRUPT_GRACE_S = 5.0  # how long an interrupted cell may take to stop before the kernel is killed


@dataclass
class Kernel:
    """A started kernel (possibly still importing torch) and the scratch folder it runs in."""

    manager: AsyncKernelManager
    workdir: Path
    started_at: float = field(default_factory=time.monotonic)
    owns_workdir: bool = True
    marker: str = ""  # unsafe mode: a marker in the kernel's environment that finds its descendants
    start_ticks: int = -1  # unsafe mode: when the kernel started; orphans it left started later
    jail: Jail | None = None  # the kernel's sandbox; killing it kills everything inside

    @property
    def pid(self) -> int | None:
        proc = getattr(self.manager.provisioner, "process", None)
        return proc.pid if proc is not None else None

    def kill(self) -> None:
        """SIGKILL the kernel and everything it started, then remove its folders. Each step runs even if an
        earlier one fails, so a submission cannot leave anything behind by breaking one of them."""
        pid = self.pid
        try:
            if self.jail is not None:
                self.jail.kill()  # its PID namespace ends with it: setsid, double forks, CLONE_PARENT included
        finally:
            try:
                if pid:
                    os.killpg(pid, signal.SIGKILL)  # the kernel leads its own session
            except (ProcessLookupError, PermissionError):
                pass
            if self.marker:  # unsafe mode: processes that left the group (setsid, double fork, daemons)
                process_limits.kill_stragglers(self.marker, session=pid, since=self.start_ticks, kernel_pid=pid)
            try:  # the process is gone; only wait for it and remove the connection files
                run_sync(self.manager.shutdown_kernel)(now=True)
            except Exception:
                pass
            if self.owns_workdir:
                remove_tree(self.workdir)


def remove_tree(path: Path) -> None:
    """Delete a folder however deep a submission nested it (shutil.rmtree recurses, and would give up)."""
    subprocess.run(["rm", "-rf", "--one-file-system", "--", str(path)], check=False,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def kernel_arguments(warm_imports=WARM_IMPORTS) -> list[str]:
    lines = [f"import {m} as _warm; del _warm" for m in warm_imports]
    return ["--HistoryManager.hist_file=:memory:"] + [f"--IPKernelApp.exec_lines={line}" for line in lines]


def start_kernel(workdir: Path | None = None, *, warm_imports=WARM_IMPORTS, env: dict | None = None,
                 launch_prefix: list[str] | None = None, zygote=None, memory_bytes: int | None = None,
                 sandboxed: bool = True) -> Kernel:
    """Launch a kernel for one submission; returns without waiting for it to be ready.

    ``sandboxed`` (the default): in a sandbox of its own (`d2lblocks_grade.kernel.jail`), forked from
    ``zygote`` (a warm `d2lblocks_grade.kernel.fork_server.Zygote`) when given, else a fresh interpreter.
    Its folder is the sandbox's private ``/scratch``; ``kernel.workdir`` reaches it from outside.
    ``sandboxed=False`` is the unsafe mode for trusted classes: a scratch folder on the host, rlimits
    (`d2lblocks_grade.kernel.process_limits`) and sweeps for the processes it leaves.
    """
    memory_bytes = memory_bytes or Limits().memory_bytes
    km = AsyncKernelManager(kernel_name="python3")
    km.kernel_id = str(uuid.uuid4())
    provisioner = SandboxProvisioner(kernel_id=km.kernel_id, kernel_spec=km.kernel_spec, parent=km)
    provisioner.zygote, provisioner.memory_bytes = zygote, memory_bytes
    km.provisioner = provisioner
    if sandboxed:
        jail = Jail(JailLimits(memory_bytes=memory_bytes)).start()
        provisioner.jail = jail
        # Unix sockets in the sandbox's own folder: the kernel has no network to listen on.
        km.transport, km.ip = "ipc", str(jail.comm_dir / "k")  # the sandbox's own tmpfs, reached from outside
        km.connection_file = str(jail.comm_dir / "kernel.json")
        kernel_env = process_limits.scrub_environment(os.environ if env is None else env, "sandboxed", home=WORKDIR)
        kernel_env.update(USER="student", LOGNAME="student", TMPDIR="/tmp")
        try:
            run_sync(km.start_kernel)(cwd=WORKDIR, env=kernel_env, extra_arguments=kernel_arguments(warm_imports))
        except BaseException:
            jail.kill()
            raise
        return Kernel(km, Path(f"/proc/{provisioner.pid}/cwd"), owns_workdir=False, jail=jail)
    marker = process_limits.new_marker()
    process_limits.enable_subreaper()  # double-forked daemons become our children, so they can be killed
    owns = workdir is None
    workdir = Path(tempfile.mkdtemp(prefix="d2lblocks-grade-")) if workdir is None else Path(workdir)
    if zygote is None:
        spec = km.kernel_spec
        if spec is None:
            raise RuntimeError("no python3 kernel spec is installed (pip install ipykernel)")
        prefix = process_limits.limit_prefix(Limits(memory_bytes=memory_bytes)) if launch_prefix is None else launch_prefix
        spec.argv = list(prefix) + [sys.executable if a == "python" else a for a in spec.argv]
    kernel_env = process_limits.scrub_environment(os.environ if env is None else env, marker, home=workdir)
    kernel_env.setdefault("PYTHONUNBUFFERED", "1")
    # The kernel's own log (e.g. its TCP warning) would garble the progress bar.
    run_sync(km.start_kernel)(cwd=str(workdir), env=kernel_env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, extra_arguments=kernel_arguments(warm_imports))
    kernel = Kernel(km, workdir, owns_workdir=owns, marker=marker)
    kernel.start_ticks = process_limits.start_ticks(kernel.pid)
    process_limits.register_kernel(kernel.pid)
    return kernel


@dataclass
class Execution:
    """What happened while running a notebook; the notebook's cells now hold their outputs."""

    timed_out: bool = False  # the wall clock fired
    crashed: str = ""  # why the kernel died, if it did
    timed_out_cells: set = field(default_factory=set)  # ids of cells that hit the cell timeout
    ran: set = field(default_factory=set)  # ids of the cells that finished (ids survive removing harness cells)
    last_cell: int = -1  # index of the last cell that finished
    stuck_cell: int | None = None  # a cell that ignored the interrupt at its timeout; the kernel was killed
    dropped_output: str = ""  # what the output budget turned away, e.g. "3 stream messages (2.0 MiB)"


def execute_notebook(nb, kernel: Kernel, limits: Limits) -> Execution:
    """Execute `nb` in place in `kernel`; never raises for anything the notebook does."""
    result = Execution()
    timer = threading.Timer(limits.wall_timeout_s, _wall_clock_fired, args=(kernel, result))
    timer.daemon = True

    async def on_cell_executed(cell, cell_index, execute_reply):
        result.last_cell = cell_index
        result.ran.add(cell.get("id"))
        content = execute_reply.get("content", {})
        if content.get("status") == "error" and not any(
                o.get("output_type") == "error" for o in cell.get("outputs", [])):
            # a timeout leaves no error output of its own; add one so the cell scores 0
            # Its text comes from the reply, which no output budget saw: kept short.
            cell.outputs.append(nbformat.v4.new_output("error", ename=str(content.get("ename", "Error"))[:200],
                                                       evalue=str(content.get("evalue", ""))[:REPLY_TEXT], traceback=[]))
        if content.get("ename") == TIMEOUT_ENAME:
            result.timed_out_cells.add(cell.get("id"))
            if not await _responds(client.kc, min(INTERRUPT_GRACE_S, limits.cell_timeout_s)):
                # The cell ignored the interrupt (e.g. it blocks SIGINT): waiting for the wall
                # clock would only waste time, and every later cell would queue behind it.
                result.stuck_cell = cell_index
                _wall_clock_fired(kernel, result)

    client = CappedNotebookClient(
        nb, output_bytes=limits.output_bytes, total_output_bytes=limits.total_output_bytes, km=kernel.manager,
        timeout=int(max(1, limits.cell_timeout_s)), allow_errors=True,
        interrupt_on_timeout=True, raise_on_iopub_timeout=False, startup_timeout=120,
        error_on_timeout={"ename": TIMEOUT_ENAME, "evalue":
                          f"the cell ran longer than {limits.cell_timeout_s:g} s and was stopped",
                          "traceback": []},
        on_cell_executed=on_cell_executed, record_timing=False,
        # The wall clock starts once the kernel is ready: its boot (importing torch) is not the student's time.
        on_notebook_start=lambda notebook: timer.start(),
        resources={"metadata": {"path": str(kernel.workdir)}})
    try:
        # The kernel is killed by its owner, not shut down politely: that wait costs a second.
        client.execute(cleanup_kc=False)
    except DeadKernelError as err:
        if not result.timed_out:
            result.crashed = f"the kernel died while running the notebook ({err}); " \
                             "code such as os._exit(), a crash in native code, or running out of memory does this"
    except Exception as err:  # the kernel stopped answering, a protocol error, the wall clock...
        if not result.timed_out:
            result.crashed = f"{type(err).__name__}: {err}"
    finally:
        timer.cancel()
        result.dropped_output = client.budget.dropped.describe()
        atexit.unregister(client._cleanup_kernel)
        if client.kc is not None:
            client.kc.stop_channels()
        client.close_context()
    return result


async def _responds(kc, grace_s: float) -> bool:
    """Whether the kernel answers a kernel_info request within `grace_s` (it is idle again)."""
    msg_id = kc.kernel_info()
    deadline = time.monotonic() + grace_s
    while (left := deadline - time.monotonic()) > 0:
        try:
            reply = await kc.get_shell_msg(timeout=left)
        except queue.Empty:
            return False
        if reply.get("parent_header", {}).get("msg_id") == msg_id:
            return True
    return False


def _wall_clock_fired(kernel: Kernel, result: Execution) -> None:
    result.timed_out = True
    pid = kernel.pid
    if pid:
        try:
            os.killpg(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
