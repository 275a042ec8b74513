"""One submission's sandbox: namespaces made by bubblewrap, caps by cgroups, joined by its kernel.

`Jail.start()` runs ``bwrap`` with new PID, mount, network, IPC, UTS and cgroup
namespaces around a placeholder process. Inside there is no network at all, a
private ``/proc`` that shows only the sandbox's own processes, and a filesystem
made of the read-only runtime (system libraries, Python, the virtualenv, the
course's importable packages) plus size-capped private ``/scratch``, ``/tmp``
and ``/dev/shm``, and the kernel's own connection folder. The course, the
submissions, OUT, the gradebook and other kernels' folders do not exist inside.

The kernel then *joins* the sandbox (`d2lblocks_grade.kernel.enter`): a
process forked from the warm fork server enters the namespaces with
``setns``, moves into the sandbox's cgroup and drops to the sandbox's user
before any student code runs, so torch stays imported once for every kernel.
Started as root, the student's code runs as a random uid of its own (above 2^20,
never the grader's); started as an ordinary user, bubblewrap adds a user
namespace. `kill()` SIGKILLs the sandbox's PID 1, which takes every process
inside with it, however it forked or detached.

Example::

    >>> jail = Jail(JailLimits(memory_bytes=2 * GiB))           # doctest: +SKIP
    >>> jail.start()                                               # doctest: +SKIP
    >>> jail.join_request()["namespaces"]                          # doctest: +SKIP
    ['ipc', 'uts', 'net', 'cgroup', 'pid', 'mnt']
    >>> jail.kill()                                                # doctest: +SKIP
"""
from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import subprocess
import threading
from dataclasses import dataclass
from pathlib import Path

from d2lblocks_grade.datatypes import GiB, MiB
from d2lblocks_grade.kernel import cgroups, runtime

WORKDIR = "/scratch"  # the kernel's working folder inside the sandbox
# The kernel's sockets and connection file: a tiny tmpfs of the sandbox's own, reached from outside through
# /proc/<init>/root, so nothing of it is on the host's disk and it vanishes with the sandbox.
COMM_DIR = "/run/kernel"
COMM_BYTES = 1 << 20
# As root, each sandbox runs as a uid of its own drawn from here: never the grader's, no account's, and never
# the same for two sandboxes alive at once, even across grader runs (per-uid limits are the kernel's).
SANDBOX_UIDS = range(1 << 20, 1 << 30)
START_TIMEOUT_S = 20
NO_BWRAP = ("bubblewrap (bwrap) is not installed, and grading runs every submission in a bubblewrap "
            "sandbox. Install it (Debian/Ubuntu: apt-get install bubblewrap) or, for a class you trust, "
            "pass --unsafe-no-sandbox.")
BWRAP_FAILED = ("bubblewrap could not create a sandbox on this machine: {error}. It needs Linux namespaces "
                "(as an ordinary user also unprivileged user namespaces: sysctl user.max_user_namespaces > 0 "
                "and, on Ubuntu, kernel.apparmor_restrict_unprivileged_userns=0). For a class you trust, "
                "pass --unsafe-no-sandbox.")

_uid_lock = threading.Lock()
_uids_in_use: set[int] = set()


class SandboxUnavailable(RuntimeError):
    """This machine cannot build the sandbox; the message says what is missing."""


@dataclass(frozen=True)
class JailLimits:
    memory_bytes: int = 4 * GiB  # the kernel and everything it starts, tmpfs pages included
    scratch_bytes: int = 256 * MiB  # /scratch
    tmp_bytes: int = 256 * MiB  # /tmp and /dev/shm each
    max_processes: int = 1024  # processes and threads (torch starts a thread per core)


def _new_uid() -> int:
    with _uid_lock:
        while (uid := secrets.choice(SANDBOX_UIDS)) in _uids_in_use:
            pass
        _uids_in_use.add(uid)
        return uid


class Jail:
    """The sandbox of one kernel; see the module docstring."""

    def __init__(self, limits: JailLimits | None = None, *, extra_readonly: tuple[str, ...] = ()):
        self.limits = limits or JailLimits()
        self.as_root = os.geteuid() == 0
        self.uid = _new_uid() if self.as_root else os.geteuid()
        self.gid = self.uid if self.as_root else os.getegid()
        self.extra_readonly = extra_readonly
        self.init_pid: int | None = None
        self.cgroup: cgroups.Group | None = None
        self._bwrap: subprocess.Popen | None = None

    def bwrap_command(self, status_fd: int) -> list[str]:
        """The ``bwrap`` command line (the placeholder prints ``ready`` once the sandbox is built)."""
        bwrap = shutil.which("bwrap")
        if bwrap is None:
            raise SandboxUnavailable(NO_BWRAP)
        args = [bwrap, "--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try",
                "--die-with-parent", "--new-session", "--hostname", "sandbox"]
        if not self.as_root:  # an ordinary user needs a user namespace to make the others
            args += ["--unshare-user", "--uid", str(self.uid), "--gid", str(self.gid)]
        # The private folders first: the runtime may live below /tmp (a checkout there), and a later
        # tmpfs would hide it. bwrap mounts in the order given.
        small = str(self.limits.tmp_bytes)
        args += ["--proc", "/proc", "--dev", "/dev",
                 "--perms", "1777", "--size", small, "--tmpfs", "/tmp",
                 "--perms", "1777", "--size", small, "--tmpfs", "/dev/shm",
                 "--perms", "0700", "--size", str(self.limits.scratch_bytes), "--tmpfs", WORKDIR,
                 "--perms", "0755", "--dir", "/run",
                 "--perms", "0700", "--size", str(COMM_BYTES), "--tmpfs", COMM_DIR]
        args += runtime.mounts(self.extra_readonly)
        args += runtime.device_mounts()
        # The placeholder is the PID namespace's init (no bwrap reaper): a kernel cannot signal its own
        # namespace's init, so nothing inside can end the sandbox under the kernel's feet.
        args += ["--chdir", WORKDIR, "--json-status-fd", str(status_fd), "--as-pid-1",
                 "--", "/bin/sh", "-c", "echo ready; exec sleep 2147483647"]
        return args

    def start(self) -> Jail:
        """Build the sandbox; raises `SandboxUnavailable` with the reason if this machine cannot."""
        status_r, status_w = os.pipe()
        try:
            self._bwrap = subprocess.Popen(self.bwrap_command(status_w), stdin=subprocess.DEVNULL,
                                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, pass_fds=(status_w,),
                                           start_new_session=True)
        finally:
            os.close(status_w)
        try:
            ready = _read_line(self._bwrap, START_TIMEOUT_S)
            if ready != b"ready":
                error = (self._bwrap.stderr.read() if self._bwrap.poll() is not None and self._bwrap.stderr else b"")
                raise SandboxUnavailable(BWRAP_FAILED.format(error=error.decode(errors="replace").strip()
                                                             or "it did not start"))
            with os.fdopen(status_r, "rb", closefd=True) as status:
                self.init_pid = int(json.loads(status.readline())["child-pid"])
        except BaseException:
            self.kill()
            raise
        self.cgroup = cgroups.Group.create(f"{cgroups.GROUP_PREFIX}{self.init_pid}", self.limits.memory_bytes,
                                           self.limits.max_processes) if self.as_root else None
        if self.as_root:
            os.chown(self.comm_dir, self.uid, self.gid)
        return self

    @property
    def comm_dir(self) -> Path:
        """The kernel's connection folder as the grader reaches it from outside the sandbox."""
        return Path(f"/proc/{self.init_pid}/root{COMM_DIR}")

    def join_request(self) -> dict:
        """What `d2lblocks_grade.kernel.enter.join` needs, as plain data."""
        if self.init_pid is None:
            raise RuntimeError("Jail.start() must run before a kernel can join the sandbox")
        namespaces = ["ipc", "uts", "net", "cgroup", "pid", "mnt"]
        if not self.as_root:
            namespaces.insert(0, "user")
        return {"init_pid": self.init_pid, "namespaces": namespaces, "uid": self.uid, "gid": self.gid,
                "workdir": WORKDIR, "cgroup_procs": self.cgroup.procs_files() if self.cgroup else [],
                "max_processes": self.limits.max_processes,
                # An address-space cap too, so one huge allocation is a MemoryError the student can read
                # rather than a killed kernel; the cgroup still counts what it misses (tmpfs, many processes).
                # Not on GPUs: CUDA reserves far more address space than it uses.
                "memory_bytes": 0 if runtime.has_gpu() else self.limits.memory_bytes}

    def set_memory(self, memory_bytes: int) -> bool:
        """Change the memory cap of a sandbox started earlier; False when this sandbox cannot."""
        if self.cgroup is None or not self.cgroup.caps_memory:
            return memory_bytes == self.limits.memory_bytes
        self.limits = JailLimits(memory_bytes, self.limits.scratch_bytes, self.limits.tmp_bytes,
                                 self.limits.max_processes)
        return self.cgroup.set_memory(memory_bytes)

    def kill(self) -> None:
        """Stop everything inside (the PID namespace dies with its PID 1) and remove what was made.
        Every step runs even if an earlier one fails: nothing of a sandbox may outlive it."""
        try:
            if self.init_pid is not None:
                os.kill(self.init_pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        finally:
            self._stop_bwrap_and_cgroup()
            self.init_pid = None

    def _stop_bwrap_and_cgroup(self) -> None:
        if self._bwrap is not None:
            try:
                self._bwrap.kill()
            except ProcessLookupError:
                pass
            self._bwrap.wait()
            for stream in (self._bwrap.stdout, self._bwrap.stderr):
                if stream is not None:
                    stream.close()
            self._bwrap = None
        if self.cgroup is not None:
            self.cgroup.remove()
            self.cgroup = None
        with _uid_lock:
            _uids_in_use.discard(self.uid)


def _read_line(proc: subprocess.Popen, timeout: float) -> bytes:
    """The first line ``proc`` prints, or b'' if it prints none within ``timeout`` seconds."""
    assert proc.stdout is not None
    line: list[bytes] = []
    reader = threading.Thread(target=lambda: line.append(proc.stdout.readline()), daemon=True)  # type: ignore[union-attr]
    reader.start()
    reader.join(timeout)
    return line[0].strip() if line else b""


_checked: dict[bool, str | None] = {}


def check_host() -> None:
    """Raise `SandboxUnavailable` (saying what is missing) unless this machine can build sandboxes."""
    as_root = os.geteuid() == 0
    if as_root not in _checked:
        cgroups.sweep_stale()  # groups a killed earlier run left behind
        try:
            Jail(JailLimits(memory_bytes=256 * MiB)).start().kill()
            _checked[as_root] = None
        except SandboxUnavailable as error:
            _checked[as_root] = str(error)
    if _checked[as_root]:
        raise SandboxUnavailable(_checked[as_root])
