"""Start a real Jupyter server (JupyterLab or Notebook 7) on loopback for a test, and stop it.

Everything the server writes (runtime, config, data, IPython dirs) lives in a
temporary folder, the token is random, and the port is picked by the server
(``--ServerApp.port=0``); its URL is read back from ``jpserver-*.json``.

Example::

    with jupyter_server(tmp_path) as server:
        page.goto(server.url_for("lab/tree/demo.ipynb"))
"""
from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

# The "Jupyter news" toast would cover screenshots; --LabApp.news_url=None alone does not hide it.
PAGE_CONFIG = {"disabledExtensions": {"@jupyterlab/apputils-extension:announcements": True}}
APPS = {"lab": "jupyterlab", "notebook": "notebook"}


@dataclass(frozen=True)
class JupyterServer:
    url: str  # base URL ending in "/", e.g. http://127.0.0.1:40123/
    token: str
    log: Path

    def url_for(self, path: str) -> str:
        return f"{self.url}{path}?token={self.token}"

    def log_tail(self, n: int = 3000) -> str:
        return self.log.read_text(errors="replace")[-n:] if self.log.exists() else ""


def _wait_for_url(process: subprocess.Popen, runtime: Path, log: Path, deadline: float) -> str:
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the Jupyter server exited with code {process.returncode}:\n"
                               + log.read_text(errors="replace")[-3000:])
        for info in runtime.glob("jpserver-*.json"):
            try:
                return json.loads(info.read_text())["url"]
            except (ValueError, KeyError):
                pass  # the file is being written; read it again
        time.sleep(0.2)
    raise TimeoutError("the Jupyter server did not start in time:\n" + log.read_text(errors="replace")[-3000:])


def _stop(process: subprocess.Popen, server: JupyterServer | None) -> None:
    if server is not None and process.poll() is None:
        request = urllib.request.Request(f"{server.url}api/shutdown", method="POST",
                                         headers={"Authorization": f"token {server.token}"})
        try:
            urllib.request.urlopen(request, timeout=10).close()
        except OSError:
            pass  # the process is stopped below either way
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def jupyter_server(root_dir: Path, app: str = "lab", startup_timeout: float = 90.0) -> Iterator[JupyterServer]:
    """A running server serving ``root_dir``; stopped with ``POST /api/shutdown`` on exit."""
    if app not in APPS:
        raise ValueError(f"app must be one of {sorted(APPS)}, got {app!r}")
    home = Path(tempfile.mkdtemp(prefix="d2lblocks-jupyter-"))
    dirs = {name: home / name for name in ("runtime", "config", "data", "ipython")}
    for folder in dirs.values():
        folder.mkdir()
    (dirs["config"] / "labconfig").mkdir()
    (dirs["config"] / "labconfig" / "page_config.json").write_text(json.dumps(PAGE_CONFIG))
    env = {**os.environ, "JUPYTER_RUNTIME_DIR": str(dirs["runtime"]), "JUPYTER_CONFIG_DIR": str(dirs["config"]),
           "JUPYTER_DATA_DIR": str(dirs["data"]), "IPYTHONDIR": str(dirs["ipython"]),
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    token, log = secrets.token_hex(16), home / "server.log"
    command = [sys.executable, "-m", APPS[app], "--no-browser", "--allow-root", "--ServerApp.ip=127.0.0.1",
               "--ServerApp.port=0", "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}",
               "--expose-app-in-browser", "--LabApp.news_url=None", f"--ServerApp.root_dir={root_dir}"]
    server = None
    with open(log, "wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=root_dir)
    try:
        url = _wait_for_url(process, dirs["runtime"], log, time.monotonic() + startup_timeout)
        server = JupyterServer(url if url.endswith("/") else url + "/", token, log)
        yield server
    finally:
        _stop(process, server)
        shutil.rmtree(home, ignore_errors=True)
