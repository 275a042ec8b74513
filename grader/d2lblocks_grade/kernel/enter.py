"""Become a submission's kernel: join its sandbox, drop every privilege, then run ipykernel.

Runs in a process that belongs to no one yet: a fork of the warm fork server,
or ``python -m d2lblocks_grade.kernel.enter`` when there is none. `join`
moves that process into the sandbox's cgroup and namespaces (``setns``), forks
once more so the kernel is inside the sandbox's PID namespace, and reports the
kernel's pid; the kernel then caps itself, drops to the sandbox's user with
``no_new_privs``, closes every inherited file, and `become_kernel` starts
ipykernel. No student code runs before all of this is done.

Example::

    $ echo '{"jail": {...}, "argv": ["-f", "/tmp/d2lg-x/kernel.json"], "env": {...}}' \\
        | python -m d2lblocks_grade.kernel.enter          # prints the kernel's pid, then exits
"""
from __future__ import annotations

import ctypes
import fcntl
import json
import os
import random
import resource
import signal
import sys

from d2lblocks_grade.kernel import seccomp

MAX_FILE_BYTES = 256 << 20  # the largest file a submission may write
PR_SET_NO_NEW_PRIVS, PR_SET_DUMPABLE, PR_CAPBSET_DROP, PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL = 38, 4, 24, 47, 4
LAST_CAPABILITY = 63
NS_GET_USERNS = 0xB701  # ioctl: the user namespace that owns a namespace
_LINUX_CAPABILITY_VERSION_3 = 0x20080522

_libc = ctypes.CDLL(None, use_errno=True)


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32), ("inheritable", ctypes.c_uint32)]


def _check(result: int, what: str) -> None:
    if result != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"{what}: {os.strerror(errno)}")


def join(jail: dict, report_fd: int) -> None:
    """Enter the sandbox described by ``jail`` (`Jail.join_request`). Returns only in the kernel process;
    the calling process writes the kernel's pid to ``report_fd`` and exits."""
    for procs in jail["cgroup_procs"]:  # first: the host's cgroup files are out of sight once inside
        with open(procs, "w") as handle:
            handle.write(str(os.getpid()))
    names = [name for name in jail["namespaces"] if name != "user"]
    files = [(os.open(f"/proc/{jail['init_pid']}/ns/{name}", os.O_RDONLY | os.O_CLOEXEC), name) for name in names]
    if "user" in jail["namespaces"]:
        # Unprivileged bubblewrap makes the namespaces inside one user namespace, then moves its child into a
        # nested one. Joining needs rights over each namespace's owner: the outer one first, the nested one last.
        owner = fcntl.ioctl(files[0][0], NS_GET_USERNS)
        owner_inode = os.fstat(owner).st_ino
        files.insert(0, (owner, "user (outer)"))
        files.append((os.open(f"/proc/{jail['init_pid']}/ns/user", os.O_RDONLY | os.O_CLOEXEC), "user"))
    for fd, name in files:
        if name != "user" or os.fstat(fd).st_ino != owner_inode:  # one user namespace only: joined already
            _check(_libc.setns(fd, 0), f"joining the sandbox's {name} namespace")
        os.close(fd)
    os.chdir(jail["workdir"])
    kernel = os.fork()  # the PID namespace applies to children only
    if kernel:
        os.write(report_fd, f"{kernel}\n".encode())
        os._exit(0)
    drop_privileges(jail)


def drop_privileges(jail: dict) -> None:
    """Caps first (while allowed), then the sandbox's user, no capabilities, no way to regain any."""
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_FSIZE, (MAX_FILE_BYTES, MAX_FILE_BYTES))
    resource.setrlimit(resource.RLIMIT_NPROC, (jail["max_processes"], jail["max_processes"]))
    if jail.get("memory_bytes"):
        resource.setrlimit(resource.RLIMIT_AS, (jail["memory_bytes"], jail["memory_bytes"]))
    _check(_libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "setting no_new_privs")
    for capability in range(LAST_CAPABILITY + 1):
        _libc.prctl(PR_CAPBSET_DROP, capability, 0, 0, 0)  # EINVAL past the kernel's last one: fine
    _libc.prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0)
    uid, gid = jail["uid"], jail["gid"]
    if os.getuid() == 0 or os.geteuid() == 0:
        os.chown(jail["workdir"], uid, gid)  # bwrap made it as root; from now on it is the student's
        os.setgroups([])
    os.setresgid(gid, gid, gid)
    os.setresuid(uid, uid, uid)
    header, data = _CapHeader(_LINUX_CAPABILITY_VERSION_3, 0), (_CapData * 2)()
    _check(_libc.capset(ctypes.byref(header), data), "clearing capabilities")
    # Changing uid made the process undumpable (its /proc files root-owned); the student's own tools expect
    # otherwise, and nothing outside the sandbox can see it anyway.
    _libc.prctl(PR_SET_DUMPABLE, 1, 0, 0, 0)
    if os.getuid() != uid or os.geteuid() != uid:
        raise OSError(f"the kernel still runs as uid {os.geteuid()}, not the sandbox's {uid}")
    if seccomp.supported():
        seccomp.install()  # last: from here on no new namespaces, mounts or keyrings, for good


def become_kernel(request: dict) -> None:
    """In the kernel's process: a clean slate (no inherited files, its own session), then ipykernel. Never returns."""
    code = 0
    try:
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        if os.getsid(0) != os.getpid():
            os.setsid()  # its own session and process group: killpg() reaches everything it starts
        null = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(null, fd)
        os.closerange(3, 65536)  # the server's pipes and anything else it held stay out of reach
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        sys.path[0] = request["cwd"]  # as for `python -m`: the kernel's folder, not the server's
        random.seed()  # a fresh process would seed itself from the OS; forked ones must not share a stream
        if "numpy" in sys.modules:
            sys.modules["numpy"].random.seed()
        sys.argv = ["ipykernel_launcher", *request["argv"]]
        from ipykernel import kernelapp

        kernelapp.launch_new_instance()
    except BaseException:
        code = 1
    finally:
        os._exit(code)


def main() -> None:
    """The cold path: one fresh interpreter per kernel, for when there is no fork server."""
    request = json.loads(sys.stdin.readline())
    report_fd = os.dup(1)
    if request.get("jail"):
        join(request["jail"], report_fd)
    else:
        os.write(report_fd, f"{os.getpid()}\n".encode())
    os.close(report_fd)
    become_kernel(request)


if __name__ == "__main__":
    main()
