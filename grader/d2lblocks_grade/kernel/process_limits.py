"""Process-level protections: what every kernel gets, and all an unsandboxed one gets.

Every kernel, sandboxed or not, gets `scrub_environment` (and is driven by
`d2lblocks_grade.kernel.notebook_client.CappedNotebookClient`).
With ``--unsafe-no-sandbox`` (no `d2lblocks_grade.kernel.jail`) the kernel runs in a
scratch folder on the host, leading its own process group, and the rest of this
module is all that stands between it and the machine:

* `scrub_environment`: an allow-list of variables, so database URLs, tokens and
  passwords of the grader never reach student code; a per-run marker variable
  lets `kill_stragglers` find the kernel's descendants later.
* `limit_prefix`: a launcher that sets `RLIMIT_AS` (memory), `RLIMIT_FSIZE`
  (largest file), `RLIMIT_NPROC` (processes, for a non-root grader) and no core
  dumps, then execs the kernel; the caps hold for everything the kernel starts.
* `kill_stragglers`: after grading, SIGKILL every process that carries the run's
  marker or sits in the kernel's session, including double-forked daemons.

Example::

    >>> env = scrub_environment({"PATH": "/usr/bin", "DATABASE_URL": "postgres://..."}, marker="m1")
    >>> sorted(env)
    ['D2LBLOCKS_SANDBOX', 'PATH']
"""

from __future__ import annotations

import os
import re
import secrets
import signal
import sys
import time
from pathlib import Path

from d2lblocks_grade.datatypes import GiB, Limits, MiB

MARKER_VARIABLE = "D2LBLOCKS_SANDBOX"
# Exactly these reach student code; anything else (secrets included) is dropped.
ALLOWED_VARIABLES = frozenset({
    "PATH", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "TERM", "PYTHONPATH", "PYTHONUNBUFFERED",
    "PYTHONHASHSEED", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS",
    "TORCH_NUM_THREADS", "CUDA_VISIBLE_DEVICES", "VIRTUAL_ENV", "JPY_PARENT_PID",
})
# Even an allowed name is dropped when its value looks like a credential.
SECRET_NAME = re.compile(r"(URL|URI|TOKEN|SECRET|PASSW|KEY|CREDENTIAL|AUTH|DSN|DATABASE|"
                         r"^AWS_|^GCP_|^AZURE_|^NBGRADER_|^PG)", re.IGNORECASE)
MAX_FILE_BYTES = 256 * MiB
MAX_PROCESSES = 4096  # counts all of the user's threads, so generous
BAD_ENVIRONMENT = "scrub_environment() needs a mapping of variable names to strings, got {!r}"
BAD_MARKER = "the sandbox marker must be a non-empty word of letters and digits, got {!r}"

# Runs before the kernel: set the caps, then become the kernel (same pid, same group).
# RLIMIT_NPROC is not enforced for root: run graders as an ordinary user (see README).
_LAUNCHER = """\
import os, resource, sys
memory, fsize, nproc = (int(v) for v in sys.argv[1:4])
if memory:
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))
resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
resource.setrlimit(resource.RLIMIT_NPROC, (nproc, nproc))
os.execv(sys.argv[5], sys.argv[5:])
"""


def new_marker() -> str:
    """A fresh marker naming one sandbox run."""
    return secrets.token_hex(12)


def scrub_environment(environ, marker: str, home: str | os.PathLike | None = None) -> dict:
    """The kernel's environment: allowed, non-secret variables, the marker, HOME if given."""
    if not hasattr(environ, "items"):
        raise TypeError(BAD_ENVIRONMENT.format(environ))
    if not isinstance(marker, str) or not marker.isalnum():
        raise ValueError(BAD_MARKER.format(marker))
    env = {k: v for k, v in environ.items()
           if k in ALLOWED_VARIABLES and isinstance(v, str) and not SECRET_NAME.search(k)}
    env[MARKER_VARIABLE] = marker
    if home is not None:
        env["HOME"] = str(home)
    return env


def limit_prefix(limits: Limits) -> list[str]:
    """argv to put before the kernel command so it starts under `limits`'s caps."""
    if not isinstance(limits, Limits):
        raise TypeError(f"limit_prefix() needs a d2lblocks_grade.datatypes.Limits, got {limits!r}")
    fsize = max(MAX_FILE_BYTES, limits.output_bytes)
    memory = 0 if has_gpu() else int(limits.memory_bytes)
    return [sys.executable, "-c", _LAUNCHER, str(memory), str(fsize),
            str(MAX_PROCESSES), "--"]


def has_gpu() -> bool:
    """CUDA reserves far more address space than it uses: on a GPU machine an address-space
    cap would stop torch.cuda from starting, so the memory cap is left to the GPU's own limit."""
    return os.path.exists("/dev/nvidia0")


def cap_this_process(memory_bytes: int | None) -> None:
    """The launcher's caps, for a kernel forked from a warm server rather than exec'd."""
    import resource

    if memory_bytes and not has_gpu():
        resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    resource.setrlimit(resource.RLIMIT_FSIZE, (MAX_FILE_BYTES, MAX_FILE_BYTES))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_NPROC, (MAX_PROCESSES, MAX_PROCESSES))


def apply_limits(pid: int | None, limits: Limits) -> bool:
    """Set `limits`'s memory cap on a kernel started earlier; False if that is not possible
    (no such process, or a higher cap than it started with: start a fresh kernel then)."""
    if not pid:
        return False
    import resource

    try:
        resource.prlimit(pid, resource.RLIMIT_AS, (limits.memory_bytes, limits.memory_bytes))
        return True
    except (OSError, ValueError):
        return False


def _proc_environ_has(pid: int, needle: bytes) -> bool:
    try:
        return needle in Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    except OSError:
        return False


def _session_of(pid: int) -> int | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[1].split()
    return int(fields[3])  # after the name: state, ppid, pgrp, session


def stragglers(marker: str, session: int | None = None) -> list[int]:
    """Pids (not this process) carrying `marker` in their environment or in `session`."""
    needle = f"{MARKER_VARIABLE}={marker}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        pid = int(entry.name)
        if _proc_environ_has(pid, needle) or (session is not None and _session_of(pid) == session):
            found.append(pid)
    return found


_KERNELS: set[int] = set()  # kernels of this process still grading: never orphans


def enable_subreaper() -> bool:
    """Make this process adopt its orphaned descendants (Linux), so a daemon that
    double-forks, calls setsid and clears its environment is still found as our child."""
    try:
        import ctypes

        return ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0) == 0  # PR_SET_CHILD_SUBREAPER
    except (OSError, AttributeError):
        return False


def register_kernel(pid: int | None) -> None:
    if pid:
        _KERNELS.add(pid)


def start_ticks(pid: int | None) -> int:
    """When `pid` started, in clock ticks since boot (-1 if it is gone)."""
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19])
    except (OSError, IndexError, ValueError):
        return -1


def orphans(since: int) -> list[int]:
    """Our adopted children started at or after tick `since` (the kernel's start), not kernels."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) in _KERNELS:
            continue
        try:
            stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(stat[1]) == os.getpid() and stat[0] != "Z" and since >= 0 and int(stat[19]) >= since:
            found.append(int(entry.name))
    return found


def kill_stragglers(marker: str, session: int | None = None, since: int = -1,
                    kernel_pid: int | None = None, rounds: int = 3) -> list[int]:
    """SIGKILL every process of this run; returns the pids killed.

    A process belongs to the run when it carries the marker, sits in the kernel's
    session, or is an orphan this process adopted after the kernel started.
    Several rounds, because a process may fork while the sweep runs.
    """
    if not isinstance(marker, str) or not marker.isalnum():
        raise ValueError(BAD_MARKER.format(marker))
    killed, adopted = [], set()
    for _ in range(rounds):
        found = orphans(since)
        adopted.update(found)
        pids = stragglers(marker, session) + found
        if not pids:
            break
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
                killed.append(pid)
            except (ProcessLookupError, PermissionError):
                pass
        time.sleep(0.05)
    _reap(adopted)
    _KERNELS.discard(kernel_pid)
    return killed


def _reap(adopted: set[int]) -> None:
    """Collect the adopted orphans we killed, so they do not linger as zombies. Only those:
    waiting on a child that a Popen object owns would steal its exit status."""
    for pid in adopted:
        try:
            os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            pass


__all__ = ["scrub_environment", "limit_prefix", "apply_limits", "cap_this_process", "has_gpu",
           "kill_stragglers", "stragglers", "orphans", "start_ticks", "enable_subreaper", "register_kernel", "new_marker",
           "MARKER_VARIABLE", "GiB"]
