#!/usr/bin/env python3
"""The system programs the demo and the test suite need: the one list, checked and installed.

    python3 tools/system_programs.py install demo   # what `make demo` runs first
    python3 tools/system_programs.py install test   # what `make test` and .ci/run run first
    python3 tools/system_programs.py check test     # report only; never installs

``install`` installs what is missing with ``apt-get`` when it can (root on Debian or Ubuntu) and
otherwise stops at once with one line per missing program and the exact command that installs it.
On a machine that has everything it only looks (no apt-get, no network) and changes nothing.
Exit status: 0 when everything is there (or was installed), 1 otherwise.

Standard library only: it runs before the virtualenv exists. The test suite imports `missing` and
`PROGRAMS` from here, so a test that needs a program names it the way this script does.
"""
from __future__ import annotations

import glob
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass

USAGE = "usage: python3 tools/system_programs.py {install|check} {demo|test}"


@dataclass(frozen=True)
class Program:
    """A program found on this machine by `executable`, installed by Debian's package `package`."""

    name: str          # what the user reads
    package: str       # Debian's package that installs it
    executable: str    # a command name on PATH, or a glob of absolute paths
    why: str           # what needs it, in one phrase
    needed_by: tuple[str, ...]

    def location(self) -> str | None:
        if self.executable.startswith("/"):
            found = sorted(glob.glob(self.executable))
            return found[-1] if found else None
        return shutil.which(self.executable)


PROGRAMS = (
    Program("bubblewrap", "bubblewrap", "bwrap", "the grader's sandbox: every submission runs inside one",
            ("demo", "test")),
    Program("Chromium", "chromium", "chromium", "the browser tests of the widgets and feedback pages", ("test",)),
    Program("PostgreSQL", "postgresql", "/usr/lib/postgresql/*/bin/initdb",
            "the gradebook test on a real PostgreSQL server", ("test",)),
)
COMMANDS = ("demo", "test")


def needed(command: str) -> list[Program]:
    if command not in COMMANDS:
        raise ValueError(f"unknown command {command!r}; choose one of: {', '.join(COMMANDS)}")
    return [p for p in PROGRAMS if command in p.needed_by]


def missing(command: str) -> list[Program]:
    """The programs `make <command>` needs that this machine lacks."""
    return [p for p in needed(command) if p.location() is None]


def install_command(programs: list[Program]) -> str:
    packages = " ".join(p.package for p in programs)
    return f"sudo apt-get install -y {packages}"


def missing_lines(programs: list[Program]) -> list[str]:
    """One line per missing program: what it is for and the exact command that installs it."""
    return [f"missing: {p.name} ({p.why}); install it with: sudo apt-get install -y {p.package}" for p in programs]


def _can_apt() -> bool:
    return os.geteuid() == 0 and shutil.which("apt-get") is not None


def _apt_install(programs: list[Program]) -> str | None:
    """Install with apt-get; None on success, else the end of apt-get's output."""
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for args in (["apt-get", "update", "-qq"],
                 ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *[p.package for p in programs]]):
        done = subprocess.run(args, env=env, capture_output=True, text=True)
        if done.returncode != 0:
            return f"`{' '.join(args)}` failed (exit {done.returncode}): {(done.stderr or done.stdout)[-600:]}"
    return None


def sandbox_works() -> str | None:
    """None when bwrap can build the sandbox the grader uses (new namespaces), else why not."""
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        return "bwrap is not installed"
    done = subprocess.run([bwrap, "--unshare-all", "--die-with-parent", "--ro-bind", "/", "/", "--proc", "/proc",
                           "--dev", "/dev", "true"], capture_output=True, text=True, timeout=30)
    if done.returncode == 0:
        return None
    return (f"bwrap is installed but cannot create namespaces here ({done.stderr.strip()[:200]}); "
            "allow unprivileged user namespaces (sysctl kernel.unprivileged_userns_clone=1) or run as root")


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] not in ("install", "check") or argv[1] not in COMMANDS:
        print(USAGE, file=sys.stderr)
        return 2
    action, command = argv
    lacking = missing(command)
    if lacking and action == "install" and _can_apt():
        print(f"installing {', '.join(p.package for p in lacking)} with apt-get (needed by make {command})",
              flush=True)
        failure = _apt_install(lacking)
        if failure:
            print(failure, file=sys.stderr)
        lacking = missing(command)
    if lacking:
        print(f"make {command} needs system programs this machine lacks:", file=sys.stderr)
        for line in missing_lines(lacking):
            print("  " + line, file=sys.stderr)
        if len(lacking) > 1:
            print(f"  all at once: {install_command(lacking)}", file=sys.stderr)
        return 1
    problem = sandbox_works()
    if problem:
        print(f"make {command}: {problem}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
