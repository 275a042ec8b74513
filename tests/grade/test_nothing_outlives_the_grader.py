"""Nothing the grader starts outlives its owner, however the owner ends: no fork server, no kernel, no file."""
from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from conftest import require_program
from grader_fixtures import make_course, write_class

from d2lblocks_grade.kernel.fork_server import OWNER_FLAG, is_alive

pytestmark = pytest.mark.slow

# An owner that starts a fork server, waits until it is serving, prints its pid, and then waits to be killed.
# With "hold-pipe" it first forks a helper that keeps every inherited descriptor (the server's stdin among
# them) open after the owner dies, as a Dask worker's helper processes can.
OWNER = textwrap.dedent("""
    import os, sys, time
    from d2lblocks_grade.kernel.fork_server import Zygote
    zygote = Zygote(["json"])
    assert zygote._proc.stdout.readline().strip() == "ready"
    zygote._ready = True
    if sys.argv[1] == "hold-pipe" and os.fork() == 0:
        time.sleep(60)
        os._exit(0)
    print(zygote._proc.pid, flush=True)
    time.sleep(600)
""")


def _servers_of(owner: int) -> list[int]:
    """Fork servers started by `owner`, found by the owner flag on their command line."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            command = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if f"{OWNER_FLAG}{owner}".encode() in command and is_alive(int(entry.name)):
            found.append(int(entry.name))
    return found


def _gone_within(pids: list[int], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not any(is_alive(pid) for pid in pids):
            return True
        time.sleep(0.1)
    return False


@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGTERM], ids=["SIGKILL", "SIGTERM"])
@pytest.mark.parametrize("mode", ["plain", "hold-pipe"])
def test_the_fork_server_ends_when_its_owner_ends(how, mode):
    owner = subprocess.Popen([sys.executable, "-c", OWNER, mode], stdout=subprocess.PIPE, text=True)
    try:
        server = int(owner.stdout.readline())
        assert is_alive(server) and _servers_of(owner.pid) == [server]
        owner.send_signal(how)
        owner.wait(timeout=30)
        assert _gone_within([server], 10), f"the fork server outlived its owner ({mode}, {how.name})"
    finally:
        owner.kill()
        owner.wait()
        owner.stdout.close()


def _committed(db: Path) -> int:
    try:
        with sqlite3.connect(db, timeout=30) as conn:
            return conn.execute("select count(*) from d2lblocks_result").fetchone()[0]
    except sqlite3.OperationalError:
        return 0


def _processes_mentioning(text: str) -> list[str]:
    found = []
    for entry in Path("/proc").iterdir():
        try:
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if text in command and entry.name != str(os.getpid()):
            found.append(command[:160])
    return found


def test_a_sigkilled_autograde_leaves_no_process_and_no_file(tmp_path):
    """SIGKILL mid-class: the fork server, the sandboxes and their kernels end; the run's temporary folder
    (TMPDIR) is empty, so no verifier code or student file is left readable."""
    require_program("bwrap")
    course = make_course(tmp_path)
    subs = write_class(tmp_path, course, {f"s{i}": "slow" for i in range(6)})
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    out = tmp_path / "out"
    env = {**os.environ, "TMPDIR": str(scratch)}
    run = subprocess.Popen([sys.executable, "-m", "d2lblocks_grade.cli", "autograde", str(subs), "--out", str(out),
                            "--course", str(course), "--quiet", "--workers", "2"], env=env,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 240
        while _committed(out / "gradebook.db") < 1 and time.monotonic() < deadline and run.poll() is None:
            time.sleep(0.1)
        assert run.poll() is None, "the run finished before it could be killed; grade a slower class"
        servers = _servers_of(run.pid)
        assert servers, "the run grades through its fork server"
        run.kill()
        run.wait()
    finally:
        if run.poll() is None:
            run.kill()
            run.wait()
    assert _gone_within(servers, 10), "the fork server outlived the killed grader"
    deadline = time.monotonic() + 10
    while _processes_mentioning(str(tmp_path)) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _processes_mentioning(str(tmp_path)) == []
    assert sorted(p.name for p in scratch.iterdir()) == [], "the killed run left files in its TMPDIR"


def test_a_run_sweeps_the_cgroups_a_killed_run_left_and_only_those():
    """A SIGKILLed grader cannot remove its sandboxes' cgroups; the next run removes those whose sandbox is gone,
    and never one of a live sandbox (another run's)."""
    from d2lblocks_grade.kernel import cgroups

    if not cgroups.in_use():
        pytest.skip("cgroups need root and a mounted memory controller (CI has both)")
    parents = cgroups.parent_folders() or [f.parent for f in cgroups.Group.create("jail-probe", 1 << 30, 64).folders]
    dead = subprocess.Popen(["true"])
    dead.wait()
    stale = [parent / f"{cgroups.GROUP_PREFIX}{dead.pid}" for parent in parents]
    live = [parent / f"{cgroups.GROUP_PREFIX}{os.getpid()}" for parent in parents]
    for folder in stale + live:
        folder.mkdir(exist_ok=True)
    try:
        removed = cgroups.sweep_stale()
        assert set(stale) <= set(removed)
        assert not any(folder.exists() for folder in stale)
        assert all(folder.is_dir() for folder in live), "a live sandbox's group must stay"
    finally:
        for folder in stale + live + [p / "jail-probe" for p in parents]:
            if folder.exists():
                folder.rmdir()
