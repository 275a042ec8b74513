"""Memory and process caps for one sandbox, through the host's cgroups (v1 or v2).

Unlike an address-space rlimit, a memory cgroup counts what is really used,
tmpfs pages included, so it also holds on GPU machines where CUDA reserves far
more address space than it touches. A process cgroup stops a fork bomb however
many uids it uses. Creating groups needs root (or a delegated subtree); where
neither works `Group.create` returns a group that caps nothing, and the sandbox
falls back to rlimits (see `d2lblocks_grade.kernel.enter`).

Example::

    >>> group = Group.create("jail-123", memory_bytes=2 << 30, max_processes=1024)   # doctest: +SKIP
    >>> group.procs_files()                                                             # doctest: +SKIP
    ['/sys/fs/cgroup/memory/d2lblocks-grade/jail-123/cgroup.procs', ...]
"""
from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path("/sys/fs/cgroup")
PARENT = "d2lblocks-grade"


def _write(path: Path, value: str) -> bool:
    try:
        path.write_text(value)
        return True
    except OSError:
        return False


@dataclass
class Group:
    """The cgroup folders of one sandbox (one per controller on v1, one on v2)."""

    folders: list[Path] = field(default_factory=list)
    caps_memory: bool = False
    caps_processes: bool = False

    @classmethod
    def create(cls, name: str, memory_bytes: int, max_processes: int) -> Group:
        group = cls()
        if (ROOT / "cgroup.controllers").exists():  # a pure v2 hierarchy
            group._create_v2(name, memory_bytes, max_processes)
        else:
            group._create_v1(name, memory_bytes, max_processes)
        return group

    def _create_v1(self, name: str, memory_bytes: int, max_processes: int) -> None:
        memory = self._make(ROOT / "memory" / PARENT / name)
        if memory is not None:
            self.caps_memory = _write(memory / "memory.limit_in_bytes", str(memory_bytes))
            # With swap accounting, swap counts too: a capped kernel must not page out the machine.
            _write(memory / "memory.memsw.limit_in_bytes", str(memory_bytes))
        pids = self._make(ROOT / "pids" / PARENT / name)
        if pids is not None:
            self.caps_processes = _write(pids / "pids.max", str(max_processes))

    def _create_v2(self, name: str, memory_bytes: int, max_processes: int) -> None:
        parent = ROOT / PARENT
        if self._make(parent, record=False) is None:
            return
        _write(ROOT / "cgroup.subtree_control", "+memory +pids")
        _write(parent / "cgroup.subtree_control", "+memory +pids")
        folder = self._make(parent / name)
        if folder is not None:
            self.caps_memory = _write(folder / "memory.max", str(memory_bytes))
            _write(folder / "memory.swap.max", "0")
            self.caps_processes = _write(folder / "pids.max", str(max_processes))

    def _make(self, folder: Path, record: bool = True) -> Path | None:
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError:
            return None
        if record:
            self.folders.append(folder)
        return folder

    def set_memory(self, memory_bytes: int) -> bool:
        names = ("memory.limit_in_bytes", "memory.max")
        return any(_write(folder / name, str(memory_bytes)) for folder in self.folders for name in names
                   if (folder / name).exists())

    def procs_files(self) -> list[str]:
        """The files a process writes its pid into to join this group."""
        return [str(folder / "cgroup.procs") for folder in self.folders]

    def remove(self) -> None:
        """Remove the folders once the processes in them are gone (they were killed just before)."""
        for folder in self.folders:
            for _ in range(50):
                try:
                    folder.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:  # still emptying: killed processes take a moment to be reaped
                    time.sleep(0.02)
        self.folders = []


GROUP_PREFIX = "jail-"  # a sandbox's group is jail-<host pid of the sandbox's init>


def parent_folders() -> list[Path]:
    """The folders holding the sandboxes' groups, one per controller (v1) or one (v2), where they exist."""
    candidates = [ROOT / PARENT] if (ROOT / "cgroup.controllers").exists() else \
        [ROOT / "memory" / PARENT, ROOT / "pids" / PARENT]
    return [folder for folder in candidates if folder.is_dir()]


def sweep_stale() -> list[Path]:
    """Remove the groups of sandboxes whose init is gone: what a grader killed with SIGKILL could not remove.

    Safe beside other runs: a group is made after its sandbox's init exists and named by that pid, so a
    dead pid means a dead sandbox; and the kernel refuses to remove a group that still holds a process.
    Returns the folders removed.
    """
    removed = []
    for parent in parent_folders():
        for folder in parent.glob(f"{GROUP_PREFIX}*"):
            pid = folder.name[len(GROUP_PREFIX):]
            if not pid.isdigit() or Path(f"/proc/{pid}").exists():
                continue
            try:
                folder.rmdir()
                removed.append(folder)
            except OSError:  # still holds a process, or not ours to remove
                pass
    return removed


def in_use() -> bool:
    """Whether this process could create capped groups (for the threat-model report)."""
    return os.geteuid() == 0 and ((ROOT / "memory").is_dir() or (ROOT / "cgroup.controllers").exists())
