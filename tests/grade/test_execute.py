"""One kernel per submission, in a sandbox of its own: warm from the fork server, isolated, always stopped."""

import os
import time

import nbformat
import pytest

from d2lblocks_grade.datatypes import Limits
from d2lblocks_grade.kernel.execute import execute_notebook, start_kernel
from d2lblocks_grade.kernel.fork_server import Zygote, is_alive

pytestmark = pytest.mark.slow

PROBE = """\
import json, os, socket, sys
seen = {"uid": os.getuid(), "cwd": os.getcwd(), "torch_imported": "torch" in sys.modules,
        "pids": sorted(int(p) for p in os.listdir("/proc") if p.isdigit()), "root": sorted(os.listdir("/"))}
try:
    socket.create_connection(("127.0.0.1", 22), timeout=1)
    seen["net"] = "connected"
except OSError as err:
    seen["net"] = err.errno
print(json.dumps(seen))
"""


@pytest.fixture(scope="module")
def zygote():
    server = Zygote(["torch"])
    yield server
    server.close()


def _run(kernel, *sources, limits=Limits()):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources])
    return nb, execute_notebook(nb, kernel, limits)


def _text(cell):
    return "".join(o.get("text", "") for o in cell.outputs if o.get("output_type") == "stream")


def _in_sandbox(kernel) -> list[int]:
    """Host pids of every process in the kernel's PID namespace (the sandbox), seen from outside."""
    namespace = os.readlink(f"/proc/{kernel.jail.init_pid}/ns/pid")
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if os.readlink(f"/proc/{entry}/ns/pid") == namespace:
                    found.append(int(entry))
            except OSError:
                pass
    return found


@pytest.mark.parametrize("warm", [True, False], ids=["forked", "cold"])
def test_the_kernel_sees_only_its_sandbox(warm, zygote):
    """Its own uid (not the grader's), its own folder, only its own processes, no network, no course."""
    import json

    kernel = start_kernel(zygote=zygote if warm else None)
    try:
        nb, run = _run(kernel, PROBE, "torch")
        assert not run.crashed and not run.timed_out
        seen = json.loads(_text(nb.cells[0]))
        assert seen["uid"] != os.getuid() or os.getuid() != 0
        assert seen["cwd"] == "/scratch" and seen["torch_imported"]  # imported while it booted
        assert len(seen["pids"]) <= 4  # bubblewrap's init, its placeholder, the kernel (and a helper)
        assert seen["net"] != "connected"
        assert "home" not in seen["root"] and "exercises" not in json.dumps(seen)
        assert nb.cells[1].outputs[0]["ename"] == "NameError"  # imported for speed, but not a free name
    finally:
        kernel.kill()
    assert not is_alive(kernel.pid)


REFERENCE_PROBE = """\
import sys
loaded = sorted(name for name in sys.modules if name == "d2lblocks" or name.startswith("d2lblocks."))
try:
    import d2lblocks
    print("imported", loaded)
except ImportError as error:
    print("refused", loaded, error)
"""


@pytest.mark.parametrize("warm", [True, False], ids=["forked", "cold"])
def test_the_course_library_with_the_reference_answers_cannot_be_imported(warm, zygote):
    """Neither loaded in the fork server's memory nor importable from disk: its import fails, saying why."""
    kernel = start_kernel(zygote=zygote if warm else None)
    try:
        nb, run = _run(kernel, REFERENCE_PROBE)
    finally:
        kernel.kill()
    assert _text(nb.cells[0]).startswith("refused [] the course library d2lblocks is not available")


def test_a_fork_server_asked_to_warm_the_course_library_leaves_it_out():
    """The course's setup cell imports d2lblocks; the fork server warms torch but never the reference."""
    server = Zygote(["torch", "d2lblocks", "d2lblocks.i18n"])
    try:
        kernel = start_kernel(zygote=server)
        assert server._proc.poll() is None, "the fork server stopped: the kernel was started cold"
        try:
            nb, _ = _run(kernel, REFERENCE_PROBE)
        finally:
            kernel.kill()
    finally:
        server.close()
    assert _text(nb.cells[0]).startswith("refused [] the course library d2lblocks is not available")


def test_kill_stops_everything_the_kernel_started_however_it_detached(zygote):
    """A daemon that double-forks, calls setsid and ignores signals dies with the sandbox."""
    kernel = start_kernel(zygote=zygote)
    _run(kernel, "import os, signal, time\n"
                 "if os.fork() == 0:\n    os.setsid()\n    signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
                 "    if os.fork() == 0:\n        time.sleep(300)\n    os._exit(0)\ntime.sleep(0.5)")
    inside = _in_sandbox(kernel)
    assert len(inside) >= 3
    kernel.kill()
    deadline = time.monotonic() + 10
    while any(is_alive(pid) for pid in inside) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(is_alive(pid) for pid in inside)


def test_code_that_ignores_interrupts_is_still_stopped(zygote):
    """A cell that blocks SIGINT is killed at the wall clock; the cells after it are reported as not run."""
    kernel = start_kernel(zygote=zygote)
    try:
        start = time.monotonic()
        nb, run = _run(kernel, "import signal, time\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\n"
                               "while True:\n    time.sleep(0.05)", "print('never')",
                       limits=Limits(cell_timeout_s=100, wall_timeout_s=3))
        assert run.timed_out and run.last_cell < 1 and time.monotonic() - start < 60
        assert _text(nb.cells[1]) == ""
    finally:
        kernel.kill()


def test_an_allocation_past_the_memory_cap_stops_the_kernel_not_the_machine(zygote):
    """With a 512 MiB cap, filling 2 GiB ends in a MemoryError or a killed kernel, never a swamped host."""
    kernel = start_kernel(zygote=zygote, memory_bytes=512 << 20)
    try:
        nb, run = _run(kernel, "block = bytearray(2 << 30)\nprint('allocated')")
        assert "allocated" not in _text(nb.cells[0])
        assert run.crashed or nb.cells[0].outputs[0]["ename"] == "MemoryError"
    finally:
        kernel.kill()


def test_tmp_and_shared_memory_are_private_and_size_capped(zygote):
    """Writing 1 GiB to /dev/shm or /tmp stops at the cap, and the files vanish with the sandbox."""
    kernel = start_kernel(zygote=zygote)
    code = ("import errno\nfor where in ('/dev/shm/fill', '/tmp/fill'):\n    try:\n"
            "        with open(where, 'wb') as f:\n            for _ in range(1024):\n"
            "                f.write(bytes(1 << 20))\n        print(where, 'full')\n"
            "    except OSError as err:\n        print(where, errno.errorcode[err.errno])")
    try:
        nb, run = _run(kernel, code)
        printed = _text(nb.cells[0]).split()
        assert printed[0::2] == ["/dev/shm/fill", "/tmp/fill"]
        assert all(reason in ("ENOSPC", "EFBIG") for reason in printed[1::2])  # the folder's size or the file's
    finally:
        kernel.kill()
    assert not os.path.exists("/dev/shm/fill") and not os.path.exists("/tmp/fill")


def test_unsafe_mode_kernel_runs_on_the_host_in_its_own_group():
    """--unsafe-no-sandbox: an ordinary process in a scratch folder, leading its own process group."""
    kernel = start_kernel(sandboxed=False)
    try:
        nb, run = _run(kernel, "import os\nprint(6 * 7, os.getcwd())")
        assert _text(nb.cells[0]).split() == ["42", str(kernel.workdir)] and os.getpgid(kernel.pid) == kernel.pid
    finally:
        kernel.kill()
    assert not kernel.workdir.exists()


def test_an_error_whose_output_was_dropped_keeps_only_a_short_text_from_the_reply(zygote):
    """The reply's error text reaches no output budget, so the error output the grader adds for it is short."""
    kernel = start_kernel(zygote=zygote)
    try:
        nb, run = _run(kernel, "raise ValueError('y' * (5 << 20))", limits=Limits(output_bytes=64 << 10))
    finally:
        kernel.kill()
    errors = [o for o in nb.cells[0].outputs if o.get("output_type") == "error"]
    assert errors and errors[0]["ename"] == "ValueError"
    assert len(nbformat.writes(nb)) < 128 << 10
