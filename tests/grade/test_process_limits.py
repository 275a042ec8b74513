"""The sandbox: what a submission's kernel may see, how much it may use, and that nothing it starts survives."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from d2lblocks_grade.datatypes import GiB, Limits, MiB
from d2lblocks_grade.kernel import process_limits


def test_secrets_never_reach_the_kernel_environment():
    """Database URLs, tokens, passwords and nbgrader settings are dropped; PATH and the marker stay."""
    env = process_limits.scrub_environment({"PATH": "/usr/bin", "DATABASE_URL": "postgres://u:p@h/db",
                                     "GITHUB_TOKEN": "t", "PGPASSWORD": "p", "NBGRADER_DB_URL": "x",
                                     "AWS_SECRET_ACCESS_KEY": "k", "HOME": "/root", "OMP_NUM_THREADS": "1"},
                                    marker="abc123", home="/tmp/scratch")
    assert env == {"PATH": "/usr/bin", "OMP_NUM_THREADS": "1", process_limits.MARKER_VARIABLE: "abc123",
                   "HOME": "/tmp/scratch"}


def test_an_allowed_name_carrying_a_credential_looking_value_name_is_still_dropped():
    """Only allow-listed names pass, and never one that looks like a credential."""
    env = process_limits.scrub_environment({"PYTHONPATH": "/srv", "MY_API_KEY": "k", "SENTRY_DSN": "d"}, marker="m1")
    assert sorted(env) == [process_limits.MARKER_VARIABLE, "PYTHONPATH"]


def test_scrub_environment_names_a_wrong_argument():
    with pytest.raises(TypeError, match="mapping of variable names"):
        process_limits.scrub_environment(["PATH=/usr/bin"], marker="m1")
    with pytest.raises(ValueError, match="letters and digits"):
        process_limits.scrub_environment({}, marker="not a word")


def run_capped(limits: Limits, code: str) -> subprocess.CompletedProcess:
    return subprocess.run(process_limits.limit_prefix(limits) + [sys.executable, "-c", code],
                          capture_output=True, text=True, timeout=60)


def test_the_memory_cap_turns_a_memory_bomb_into_a_memory_error():
    """Under a 1 GiB cap, asking for 4 GiB fails inside the process instead of exhausting the machine."""
    done = run_capped(Limits(memory_bytes=1 * GiB),
                      "import resource\ntry:\n    b = bytearray(4 * 1024 ** 3)\nexcept MemoryError:\n"
                      "    print('MemoryError', resource.getrlimit(resource.RLIMIT_AS)[0])")
    assert done.stdout.split() == ["MemoryError", str(1 * GiB)]


def test_a_submission_cannot_raise_its_own_memory_cap():
    """The hard limit equals the cap, so student code cannot lift it."""
    done = run_capped(Limits(memory_bytes=1 * GiB),
                      "import resource\ntry:\n    resource.setrlimit(resource.RLIMIT_AS, (2 * 1024 ** 3,) * 2)\n"
                      "    print('raised')\nexcept (ValueError, OSError):\n    print('refused')")
    assert done.stdout.strip() == "refused"


def test_a_huge_file_write_is_refused_past_the_file_cap():
    """Filling the disk stops at the file-size cap with an error the student code sees."""
    done = run_capped(Limits(), "import os, tempfile\nf = tempfile.TemporaryFile()\n"
                                f"try:\n    f.truncate({process_limits.MAX_FILE_BYTES + MiB})\n    print('wrote')\n"
                                "except OSError as err:\n    print('refused', err.errno)")
    assert done.stdout.split()[0] == "refused"


def test_limit_prefix_names_a_wrong_argument():
    with pytest.raises(TypeError, match="d2lblocks_grade.datatypes.Limits"):
        process_limits.limit_prefix({"memory_bytes": GiB})


def test_apply_limits_sets_the_cap_on_a_running_process_and_refuses_a_missing_one():
    """A kernel started earlier gets the job's memory cap; a vanished one is reported as not capped."""
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        assert process_limits.apply_limits(child.pid, Limits(memory_bytes=2 * GiB))
        assert Path(f"/proc/{child.pid}/limits").read_text().count(str(2 * GiB)) == 2
    finally:
        child.kill()
        child.wait()
    assert process_limits.apply_limits(None, Limits()) is False


def test_kill_stragglers_finds_children_by_marker_even_in_another_session():
    """A process that left the group (setsid) but kept the marker is found and killed."""
    marker = process_limits.new_marker()
    env = dict(os.environ, **{process_limits.MARKER_VARIABLE: marker})
    child = subprocess.Popen(["sleep", "1000"], env=env, start_new_session=True)
    try:
        for _ in range(100):  # until the child has exec'd with its own environment
            if child.pid in process_limits.stragglers(marker):
                break
            time.sleep(0.05)
        assert child.pid in process_limits.stragglers(marker)
        assert child.pid in process_limits.kill_stragglers(marker)
        assert child.wait(timeout=10) == -9
    finally:
        child.kill()


def test_kill_stragglers_finds_an_adopted_orphan_without_marker():
    """A double-forked daemon with an empty environment becomes our child (subreaper) and is killed."""
    assert process_limits.enable_subreaper()
    since = process_limits.start_ticks(os.getpid()) + 1
    token = f"1000.{os.getpid()}{int(time.time()) % 1000}"
    time.sleep(0.05)
    launcher = subprocess.run([sys.executable, "-c",
                               "import os\nif os.fork() == 0:\n    os.setsid()\n"
                               "    null = os.open(os.devnull, os.O_RDWR)\n"
                               "    for fd in (0, 1, 2):\n        os.dup2(null, fd)\n"
                               f"    os.execve('/bin/sleep', ['sleep', '{token}'], {{}})\nprint('forked')"],
                              capture_output=True, text=True, timeout=30)
    assert launcher.stdout.strip() == "forked"
    time.sleep(0.2)
    # Only this test's daemon: a long test session adopts other orphans too, which are not this test's business.
    orphans = [pid for pid in process_limits.orphans(since) if token in _command(pid)]
    assert orphans, "the daemon should have been re-parented to this process"
    killed = process_limits.kill_stragglers(process_limits.new_marker(), since=since)
    assert set(orphans) <= set(killed)
    deadline = time.monotonic() + 10  # a loaded machine takes its time to deliver SIGKILL
    while time.monotonic() < deadline and any(_alive(pid) for pid in orphans):
        time.sleep(0.05)
    assert not any(_alive(pid) for pid in orphans)


def _command(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def _alive(pid: int) -> bool:
    """Running (not a zombie waiting to be collected, which this collects)."""
    try:
        if os.waitpid(pid, os.WNOHANG)[0] == pid:
            return False
    except ChildProcessError:
        pass
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_kill_stragglers_names_a_wrong_marker():
    with pytest.raises(ValueError, match="letters and digits"):
        process_limits.kill_stragglers("")
