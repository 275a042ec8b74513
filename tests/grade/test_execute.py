"""One kernel per submission: forked from the warm server, in its own process group, always stopped."""

import os
import time

import nbformat
import pytest

from d2lblocks_grade.datatypes import Limits
from d2lblocks_grade.kernel.execute import execute_notebook, start_kernel
from d2lblocks_grade.kernel.fork_server import Zygote, is_alive

pytestmark = pytest.mark.slow


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


def test_forked_kernel_is_a_fresh_process_in_its_own_folder_and_group(zygote):
    """torch is pre-imported but not a free name; the kernel leads its own group and runs in the scratch folder."""
    kernel = start_kernel(zygote=zygote)
    try:
        nb, run = _run(kernel, "import os, sys\nprint(os.getpid() == os.getpgid(0), os.getcwd(), 'torch' in sys.modules)",
                       "torch")
        assert not run.crashed and not run.timed_out
        assert _text(nb.cells[0]).split() == ["True", str(kernel.workdir), "True"]
        assert nb.cells[1].outputs[0]["ename"] == "NameError"
    finally:
        kernel.kill()
    assert not kernel.workdir.exists()


def test_kill_stops_the_kernel_and_everything_it_started(zygote):
    """A background process the student starts dies with the kernel's process group."""
    kernel = start_kernel(zygote=zygote)
    nb, _ = _run(kernel, "import subprocess\nchild = subprocess.Popen(['sleep', '300'])\nprint(child.pid)")
    child = int(_text(nb.cells[0]))
    assert is_alive(child)
    kernel.kill()
    deadline = time.monotonic() + 10
    while is_alive(child) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not is_alive(child) and not is_alive(kernel.pid)


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


def test_kernel_started_without_the_server_works_too():
    """Without a fork server (e.g. on a Dask worker) a kernel is an ordinary new process."""
    kernel = start_kernel()
    try:
        nb, run = _run(kernel, "print(6 * 7)")
        assert _text(nb.cells[0]).strip() == "42" and os.getpgid(kernel.pid) == kernel.pid
    finally:
        kernel.kill()


def test_memory_cap_stops_a_runaway_allocation(zygote):
    """With a 3 GiB cap, asking for 4 GiB fails inside the notebook instead of swamping the machine."""
    if os.path.exists("/dev/nvidia0"):
        pytest.skip("the address-space cap is left off on GPU machines")
    kernel = start_kernel(zygote=zygote, memory_bytes=3 << 30)
    try:
        nb, run = _run(kernel, "block = bytearray(4 << 30)")
        assert not run.crashed and nb.cells[0].outputs[0]["ename"] == "MemoryError"
    finally:
        kernel.kill()
