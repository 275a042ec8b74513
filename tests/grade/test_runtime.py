"""What a sandbox sees of the machine: the runtime read-only, never a course, GPUs only where there are some."""
import sys

from d2lblocks_grade.kernel import runtime


def bound(args: list[str]) -> list[str]:
    return [args[i + 2] for i, a in enumerate(args) if a == "--ro-bind"]


def test_python_and_its_packages_are_bound_read_only_at_their_own_paths():
    mounts = runtime.mounts()
    assert "--bind" not in mounts  # nothing of the runtime is writable
    assert any(sys.prefix.startswith(path) for path in bound(mounts))


def test_a_folder_holding_a_course_is_never_bound_even_when_python_would_import_from_it(tmp_path, monkeypatch):
    checkout = tmp_path / "checkout"
    (checkout / "exercises").mkdir(parents=True)
    (checkout / "exercises" / "nbgrader_config.py").write_text("c = get_config()\n")
    monkeypatch.syspath_prepend(str(checkout))  # e.g. PYTHONPATH=checkout
    assert str(checkout) not in bound(runtime.mounts())
    plain = tmp_path / "plain"
    plain.mkdir()
    monkeypatch.syspath_prepend(str(plain))
    assert str(plain) in bound(runtime.mounts())


def test_parent_folders_are_made_crossable_for_the_sandbox_user():
    assert runtime.parents_of("/a/b/c") == ["--perms", "0755", "--dir", "/a", "--perms", "0755", "--dir", "/a/b"]


def test_gpu_devices_are_bound_only_on_a_gpu_machine(monkeypatch):
    monkeypatch.setattr(runtime, "has_gpu", lambda: False)
    assert runtime.device_mounts() == []
    monkeypatch.setattr(runtime, "has_gpu", lambda: True)
    monkeypatch.setattr(runtime.glob, "glob", lambda pattern: ["/dev/nvidia0", "/dev/nvidiactl"])
    mounts = runtime.device_mounts()
    assert mounts[:6] == ["--dev-bind", "/dev/nvidia0", "/dev/nvidia0", "--dev-bind", "/dev/nvidiactl", "/dev/nvidiactl"]
    assert mounts[-3:] == ["--ro-bind", "/sys", "/sys"]


def test_no_private_folder_is_mounted_over_the_runtime(monkeypatch):
    """A runtime below /tmp (a checkout there) must stay visible: every tmpfs comes before any bind below it."""
    from d2lblocks_grade.kernel.jail import Jail

    monkeypatch.setattr(runtime, "_readonly_roots", lambda extra: ["/tmp/checkout/.venv", "/opt/python"])
    args = Jail().bwrap_command(status_fd=3)
    binds = [(i, args[i + 2]) for i, a in enumerate(args) if a in ("--ro-bind", "--bind")]
    for i, target in enumerate(args):
        if target == "--tmpfs":
            where = args[i + 1]
            assert not [path for at, path in binds if at < i and (path + "/").startswith(where + "/")], where
