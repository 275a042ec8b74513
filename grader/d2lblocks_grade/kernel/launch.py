"""How a kernel process comes to be: forked from the warm server, or a fresh interpreter, in its sandbox.

`SandboxProvisioner` plugs into jupyter_client in place of ``Popen``. It hands
the kernel's request (ipykernel's arguments, the folder, the environment and
the sandbox to join) to the fork server, or, without one, to
``python -m d2lblocks_grade.kernel.enter``. Either way the kernel is not our
child, so `ForkedProcess` stands in for the ``Popen`` jupyter_client expects:
interrupt, kill and liveness work on the kernel's pid as usual.

Example::

    >>> km.provisioner = SandboxProvisioner(kernel_id=km.kernel_id, kernel_spec=km.kernel_spec, parent=km)
    ...                                                                          # doctest: +SKIP
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from typing import Any

from jupyter_client.provisioning import LocalProvisioner

from d2lblocks_grade.kernel.fork_server import ForkedProcess, Zygote
from d2lblocks_grade.kernel.jail import COMM_DIR, Jail

COLD_START_TIMEOUT_S = 60
INSIDE_FILE = "connection.json"  # the kernel's copy of its connection file, naming the sockets' inside path
COLD_FAILED = "the kernel could not start in its sandbox: {detail}"


def cold_start(request: dict) -> int:
    """Start the kernel in a fresh interpreter that joins the sandbox; returns the kernel's pid."""
    # Started from an empty folder: `python -m` must not import a same-named folder of the instructor's.
    with tempfile.TemporaryDirectory(prefix="d2lblocks-grade-enter-") as neutral:
        proc = subprocess.Popen([sys.executable, "-m", "d2lblocks_grade.kernel.enter"], cwd=neutral,
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                start_new_session=True)
        try:
            out, err = proc.communicate(json.dumps(request).encode() + b"\n", timeout=COLD_START_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, err = proc.communicate()
    answer = out.decode().strip().splitlines()[:1]
    if not answer or not answer[0].isdigit():
        raise OSError(COLD_FAILED.format(detail=err.decode(errors="replace").strip()[-500:] or "no pid reported"))
    return int(answer[0])


class SandboxProvisioner(LocalProvisioner):
    """Launch the kernel inside ``jail`` (or unsandboxed when it is None), warm from ``zygote`` when given."""

    zygote: Zygote | None = None
    jail: Jail | None = None
    memory_bytes: int | None = None  # the rlimit cap of an unsandboxed kernel
    inside_connection_file: str | None = None

    async def pre_launch(self, **kwargs: Any) -> dict[str, Any]:
        kwargs = await super().pre_launch(**kwargs)
        if self.jail is not None:
            # The grader reaches the sockets through /proc/<init>/root; the kernel binds them at the inside path,
            # so it reads a copy of the connection file that names that path.
            info = json.loads((self.jail.comm_dir / "kernel.json").read_text())
            info["ip"] = f"{COMM_DIR}/k"
            self.inside_connection_file = str(self.jail.comm_dir / INSIDE_FILE)
            fd = os.open(self.inside_connection_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as handle:
                json.dump(info, handle)
            if self.jail.as_root:  # the kernel reads it as the sandbox's user
                os.chown(self.inside_connection_file, self.jail.uid, self.jail.gid)
        return kwargs

    async def launch_kernel(self, cmd: list[str], **kwargs: Any):
        if self.zygote is None and self.jail is None:
            return await super().launch_kernel(cmd, **kwargs)  # --unsafe-no-sandbox, no fork server
        argv = cmd[cmd.index("ipykernel_launcher") + 1:] if "ipykernel_launcher" in cmd else cmd[3:]
        if self.jail is not None and "-f" in argv:  # the connection file as the kernel sees it, inside its sandbox
            argv[argv.index("-f") + 1] = f"{COMM_DIR}/{INSIDE_FILE}"  # (jupyter_client put a resolved path there)
        cwd = str(kwargs.get("cwd") or os.getcwd())
        request = {"argv": argv, "cwd": cwd, "env": dict(kwargs.get("env") or {}),
                   "jail": self.jail.join_request() if self.jail is not None else None,
                   "memory_bytes": self.memory_bytes}
        pid = self.zygote.fork(request) if self.zygote is not None else cold_start(request)
        self.process = ForkedProcess(pid)  # type: ignore[assignment]  # duck-types the Popen it stands for
        self.pid = self.pgid = pid
        self.cwd = cwd
        return self.connection_info
