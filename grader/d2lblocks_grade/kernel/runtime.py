"""The read-only runtime a sandbox sees: system libraries, this Python, its packages, and nothing else.

Everything is bound at the path it has outside, so a kernel forked from the warm
server finds the files its already-imported modules came from. What is left out
matters as much: no home folders, no ``/etc`` beyond what the dynamic linker
and Python need, no course, no checkout, and no course library: the package
that holds the exercises' reference answers (``d2lblocks``) is replaced by
``kernel/unavailable_package``, whose import fails with a message, so an answer
cannot be the reference. A package installed in editable mode
(``pip install -e``) is bound as its own package folder, never the checkout
around it, which also holds the instructor's solutions.

Example::

    >>> "--ro-bind" in mounts()
    True
    >>> parents_of("/tmp/d2lg-x")
    ['--perms', '0755', '--dir', '/tmp']
"""
from __future__ import annotations

import glob
import importlib.util
import os
import sys
import sysconfig
from pathlib import Path

# The few files of /etc that the dynamic linker, Python and its libraries read.
ETC_FILES = ("ld.so.cache", "ld.so.conf", "ld.so.conf.d", "localtime", "alternatives", "nsswitch.conf",
             "mime.types", "fonts", "matplotlibrc")
# Top-level folders that merged-/usr systems keep as symlinks into /usr.
USR_LINKS = ("bin", "sbin", "lib", "lib32", "lib64", "libx32")
# Packages kernels import that may live outside site-packages (editable installs).
KERNEL_PACKAGES = ("ipykernel", "torch", "numpy", "d2lblocks_grade")  # the grader: its kernel side runs there
# Packages that hold the reference answers: shadowed inside every sandbox.
HIDDEN_PACKAGES = ("d2lblocks",)
UNAVAILABLE_PACKAGE = str(Path(__file__).with_name("unavailable_package"))


def has_gpu() -> bool:
    """An NVIDIA device is present: CUDA needs its device files bound and its address space uncapped."""
    return os.path.exists("/dev/nvidia0")


def parents_of(path: str) -> list[str]:
    """bwrap arguments creating ``path``'s parent folders with mode 0755 (bwrap's own default is 0700,
    which the sandbox's user could not cross)."""
    args: list[str] = []
    parent = Path(path).parent
    for ancestor in reversed([parent, *parent.parents]):
        if str(ancestor) != "/":
            args += ["--perms", "0755", "--dir", str(ancestor)]
    return args


def _readonly_roots(extra: tuple[str, ...]) -> list[str]:
    roots = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix,
             *(sysconfig.get_paths()[key] for key in ("stdlib", "platstdlib", "purelib", "platlib")), *extra}
    for name in KERNEL_PACKAGES:
        spec = importlib.util.find_spec(name)
        if spec is not None and spec.submodule_search_locations:
            roots.update(spec.submodule_search_locations)
    # Other entries of sys.path (PYTHONPATH), except the working folder: it may be the checkout.
    cwd = os.getcwd()
    roots.update(p for p in sys.path if p and os.path.isdir(p) and os.path.abspath(p) != cwd
                 and not os.path.abspath(p).startswith(cwd + os.sep))
    ordered = sorted(os.path.realpath(r) for r in roots if os.path.exists(r) and not _holds_a_course(r))
    # A folder inside another bound folder needs no bind of its own.
    return [r for i, r in enumerate(ordered) if not any(r.startswith(o + os.sep) for o in ordered[:i])]


def _holds_a_course(folder: str) -> bool:
    """A folder with an nbgrader course in or just below it (e.g. a checkout on PYTHONPATH): never bound."""
    return bool(glob.glob(os.path.join(folder, "nbgrader_config.py"))
                or glob.glob(os.path.join(folder, "*", "nbgrader_config.py")))


def mounts(extra_readonly: tuple[str, ...] = ()) -> list[str]:
    """bwrap arguments for the read-only runtime."""
    args = ["--ro-bind", "/usr", "/usr"]
    for name in USR_LINKS:
        path = f"/{name}"
        if os.path.islink(path):
            args += ["--symlink", os.readlink(path), path]
        elif os.path.isdir(path):
            args += ["--ro-bind", path, path]
    for name in ETC_FILES:
        if os.path.exists(f"/etc/{name}"):
            args += ["--ro-bind", f"/etc/{name}", f"/etc/{name}"]
    for root in _readonly_roots(extra_readonly):
        if root == "/usr" or root.startswith("/usr/"):
            continue
        args += parents_of(root) + ["--ro-bind", root, root]
    return args + hidden_package_mounts()


def hidden_package_mounts() -> list[str]:
    """Bind `UNAVAILABLE_PACKAGE` over each hidden package's folder (mounted last, over the runtime)."""
    args: list[str] = []
    for name in HIDDEN_PACKAGES:
        spec = importlib.util.find_spec(name)
        for folder in (spec.submodule_search_locations or []) if spec is not None else []:
            real = os.path.realpath(folder)
            args += parents_of(real) + ["--ro-bind", UNAVAILABLE_PACKAGE, real]
    return args


def device_mounts() -> list[str]:
    """GPU device files and the driver's view of the machine, when there is a GPU."""
    if not has_gpu():
        return []
    args: list[str] = []
    for device in sorted(glob.glob("/dev/nvidia*")):
        args += ["--dev-bind", device, device]
    return args + ["--ro-bind", "/sys", "/sys"]
