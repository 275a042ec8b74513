"""A seccomp filter for a submission's kernel: no new namespaces, no mounts, no kernel keyrings.

Inside its sandbox a submission has no use for these system calls, and each
widens what it could reach: new user namespaces hand it capabilities over
fresh namespaces (a large kernel attack surface), ``setns``/``mount`` poke at
the sandbox's own walls, and the kernel keyring is shared by every process of a
uid (an ordinary-user grader's own keys included) and outlives the sandbox.
The filter is a short classic-BPF program installed with ``prctl`` after
``no_new_privs``; it is inherited by everything the kernel starts and cannot be
removed. Calls from another architecture's ABI (32-bit calls on x86-64) are
refused outright, since their numbers differ.

Example::

    >>> install()   # in the kernel, after no_new_privs  # doctest: +SKIP
"""
from __future__ import annotations

import ctypes
import errno
import platform

PR_SET_SECCOMP, SECCOMP_MODE_FILTER = 22, 2
LD_W_ABS, JEQ_K, JGE_K, JSET_K, RET_K = 0x20, 0x15, 0x35, 0x45, 0x06
X32_BIT = 0x40000000  # x86-64's second ABI: same architecture id, numbers with this bit set
RET_ALLOW = 0x7FFF0000
RET_ERRNO = 0x00050000
NEW_NAMESPACES = 0x7E020080  # CLONE_NEWNS|NEWCGROUP|NEWUTS|NEWIPC|NEWUSER|NEWPID|NEWNET|NEWTIME
OFFSET_NR, OFFSET_ARCH, OFFSET_ARG0 = 0, 4, 16

# arch id, clone, clone3, and the calls refused outright
TABLES = {
    "x86_64": (0xC000003E, 56, 435, {"unshare": 272, "setns": 308, "mount": 165, "umount2": 166, "pivot_root": 155,
                                     "add_key": 248, "request_key": 249, "keyctl": 250, "fsopen": 430,
                                     "fsmount": 432, "move_mount": 429, "open_tree": 428}),
    "aarch64": (0xC00000B7, 220, 435, {"unshare": 97, "setns": 268, "mount": 40, "umount2": 39, "pivot_root": 41,
                                       "add_key": 217, "request_key": 218, "keyctl": 219, "fsopen": 430,
                                       "fsmount": 432, "move_mount": 429, "open_tree": 428}),
}


class _Instruction(ctypes.Structure):
    _fields_ = [("code", ctypes.c_uint16), ("jt", ctypes.c_uint8), ("jf", ctypes.c_uint8), ("k", ctypes.c_uint32)]


class _Program(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.POINTER(_Instruction))]


def program(machine: str | None = None) -> list[tuple[int, int, int, int]]:
    """The filter as (code, jt, jf, k) instructions for ``machine`` (default: this one)."""
    arch, clone, clone3, refused = TABLES[machine or platform.machine()]
    denied = sorted(refused.values())
    deny = RET_ERRNO | errno.EPERM
    code = [(LD_W_ABS, 0, 0, OFFSET_ARCH), (JEQ_K, 1, 0, arch), (RET_K, 0, 0, deny), (LD_W_ABS, 0, 0, OFFSET_NR),
            (JGE_K, 0, 1, X32_BIT), (RET_K, 0, 0, deny)]
    for number in denied:
        code += [(JEQ_K, 0, 1, number), (RET_K, 0, 0, deny)]
    # clone3 hides its flags in memory a filter cannot read: refuse it so the C library falls back to clone.
    code += [(JEQ_K, 0, 1, clone3), (RET_K, 0, 0, RET_ERRNO | errno.ENOSYS)]
    code += [(JEQ_K, 0, 3, clone), (LD_W_ABS, 0, 0, OFFSET_ARG0), (JSET_K, 0, 1, NEW_NAMESPACES), (RET_K, 0, 0, deny)]
    return code + [(RET_K, 0, 0, RET_ALLOW)]


def supported() -> bool:
    return platform.machine() in TABLES


def install() -> None:
    """Install the filter in this process (needs no_new_privs first); raises OSError if the kernel refuses."""
    code = program()
    instructions = (_Instruction * len(code))(*[_Instruction(*op) for op in code])
    prog = _Program(len(code), instructions)
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(prog), 0, 0) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"installing the seccomp filter: {errno.errorcode.get(err, err)}")
