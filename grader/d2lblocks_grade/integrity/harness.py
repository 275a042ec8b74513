"""Kernel-side integrity harness: runs inside the student's kernel, before any student code.

The grader injects this file's source as the first (locked) cell of the graded
notebook. `install` snapshots, by identity, everything a test relies on:
callables, classes and modules in the watched modules, the dicts of their
mutable classes, `sys` hooks, signal handlers, torch's global hooks and
function modes, IPython's execution machinery and the notebook names the tests
import. A check cell around every test then calls `check`, which compares the
live state with the snapshot, restores the pristine objects (so tests run
against the real `torch.allclose`, whatever a submission did) and publishes a
marker: the per-cell nonce the grader put into that cell's source, the findings,
and a digest of the live identities after restoring. The grader compares that
digest with the one `install` published before student code ran, so a
submission that rewrote the stored snapshot is still caught out of process.

This file must stay self-contained: it runs in the kernel with nothing from
`grader` importable. The function names are private to its namespace.

Example (what the grader does, here by hand)::

    >>> ns = {}
    >>> exec(HARNESS_SOURCE, ns)                                # doctest: +SKIP
    >>> ns["install"]("key", ["math"], {}, "nonce0", publish=print)  # doctest: +SKIP
"""

import builtins
import gc
import hashlib
import json
import signal
import sys
import threading
import types

MIME = "application/vnd.d2lblocks.integrity+json"
_MISSING = object()
# Class-dict entries Python itself adds lazily; their appearance is not tampering.
_LAZY_CLASS_NAMES = frozenset({"__slotnames__", "__annotations__", "__abstractmethods__",
                               "_abc_impl", "__parameters__", "__orig_bases__"})
_SYS_HOOKS = ("excepthook", "displayhook", "breakpointhook", "unraisablehook",
              "stdout", "stderr", "stdin", "exit", "settrace", "setprofile")
_SHELL_OBJECTS = ("display_pub", "displayhook", "compile", "events",
                  "input_transformer_manager", "user_ns", "history_manager")
_SHELL_LISTS = ("ast_transformers", "input_transformers_cleanup", "input_transformers_post")
_IMMUTABLE_TYPE = 1 << 8
# The kernel rebinds these for every request (stdin forwarding); they are not test tools.
_PER_CELL = frozenset({"builtins.input", "builtins.raw_input", "getpass.getpass"})


def _watchable(value):
    return callable(value) or isinstance(value, types.ModuleType)


def _behaviour(value):
    """Class entries that decide what code runs (methods, descriptors, nested classes);
    plain data such as counters change legitimately."""
    return callable(value) or hasattr(type(value), "__get__")


def _class_entries(klass):
    return {k: v for k, v in vars(klass).items() if _behaviour(v)}


def _mutable_class(value):
    return isinstance(value, type) and not (value.__flags__ & _IMMUTABLE_TYPE)


class _Snapshot:
    """Identities of everything the tests depend on, with the objects kept alive."""

    def __init__(self, module_names, framework_code, shell, preload=()):
        self.shell = shell
        for name in preload:  # libraries that patch watched names when first imported
            try:
                __import__(name)
            except Exception:
                pass
        self.modules = {}
        for name in module_names:
            try:
                self.modules[name] = __import__(name, fromlist=["_"])
            except Exception:  # a watched module that is not installed is not watched
                continue
        self.framework = {}
        exec(framework_code, self.framework)  # the tests' own imports, run pristine
        self.framework.pop("__builtins__", None)
        self.module_attrs = {name: {k: v for k, v in vars(mod).items()
                                    if _watchable(v) and f"{name}.{k}" not in _PER_CELL}
                             for name, mod in self.modules.items()}
        self.classes = {}
        for mod in self.modules.values():
            for value in vars(mod).values():
                if _mutable_class(value):
                    for klass in value.__mro__:
                        if _mutable_class(klass):
                            self.classes.setdefault(id(klass), (klass, _class_entries(klass)))
        self.instances = {}
        for label, obj in self._instances().items():
            for klass in type(obj).__mro__:
                if _mutable_class(klass):
                    self.classes.setdefault(id(klass), (klass, _class_entries(klass)))
            self.instances[label] = (obj, {k: v for k, v in vars(obj).items() if callable(v)})
        self.sys_hooks = {name: getattr(sys, name) for name in _SYS_HOOKS}
        self.sys_state = self._sys_state()
        self.signals = {sig: signal.getsignal(sig) for sig in signal.valid_signals()
                        if sig not in (signal.SIGKILL, signal.SIGSTOP)}
        self.threads = set(threading.enumerate())
        self.torch_hooks = self._torch_hook_dicts()

    def _instances(self):
        found = {"sys.stdout": sys.stdout, "sys.stderr": sys.stderr}
        if self.shell is not None:
            found["the IPython shell"] = self.shell
            for name in _SHELL_OBJECTS:
                if name != "user_ns":
                    found[f"the shell's {name}"] = getattr(self.shell, name)
            kernel = getattr(self.shell, "kernel", None)
            if kernel is not None:
                found["the kernel"] = kernel
                found["the kernel's session"] = kernel.session
        return found

    def _sys_state(self):
        state = {"sys.gettrace()": sys.gettrace(), "sys.getprofile()": sys.getprofile(),
                 "threading.excepthook": threading.excepthook,
                 "sys.meta_path": tuple(sys.meta_path), "sys.path_hooks": tuple(sys.path_hooks),
                 "gc.callbacks": tuple(gc.callbacks)}
        for name in ("gettrace", "getprofile"):
            if hasattr(threading, name):
                state[f"threading.{name}()"] = getattr(threading, name)()
        for name, mod in self.modules.items():
            state[f"sys.modules[{name!r}]"] = sys.modules.get(name, mod)
        torch = self.modules.get("torch")
        if torch is not None:
            state["torch function modes"] = torch._C._len_torch_function_stack()
            state["torch dispatch modes"] = torch._C._len_torch_dispatch_stack()
        if self.shell is not None:
            for name in _SHELL_LISTS:
                state[f"the shell's {name}"] = tuple(getattr(self.shell, name, ()))
            state["the shell's custom_exceptions"] = tuple(self.shell.custom_exceptions)
            state["the shell's event callbacks"] = tuple(
                (event, tuple(funcs)) for event, funcs in self.shell.events.callbacks.items())
            for name in _SHELL_OBJECTS:
                state[f"the shell's {name}"] = getattr(self.shell, name)
            state["__builtins__ of the notebook"] = self.shell.user_ns.get("__builtins__")
        return state

    def _torch_hook_dicts(self):
        module = sys.modules.get("torch.nn.modules.module")
        if module is None:
            return {}
        return {name: (value, tuple(value)) for name, value in vars(module).items()
                if name.startswith("_global") and isinstance(value, dict)}


def _same_callable(a, b):
    """Identity, except that IPython re-creates some hooks each cell: a bound method of the
    same function and object, or a closure of the same code, is the same hook."""
    if a is b:
        return True
    if isinstance(a, types.MethodType) and isinstance(b, types.MethodType):
        return a.__func__ is b.__func__ and a.__self__ is b.__self__
    return (isinstance(a, types.FunctionType) and isinstance(b, types.FunctionType)
            and a.__code__ is b.__code__)


def _same(a, b):
    if isinstance(a, tuple) and isinstance(b, tuple):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return _same_callable(a, b) or (isinstance(a, int) and isinstance(b, int) and a == b)


def _compare_and_restore(snap, user_ns, test_names):
    """Findings (what changed) and notes (harmless shadowing), restoring as it goes."""
    findings, notes = [], []
    for name, attrs in snap.module_attrs.items():
        live = vars(snap.modules[name])
        for key, original in attrs.items():
            current = live.get(key, _MISSING)
            if not _same_callable(current, original):
                findings.append(f"{name}.{key} was {'deleted' if current is _MISSING else 'replaced'}")
                setattr(snap.modules[name], key, original)
    for klass, original in snap.classes.values():
        live = _class_entries(klass)
        label = f"{klass.__module__}.{klass.__qualname__}"
        for key, value in original.items():
            if not _same_callable(live.get(key, _MISSING), value):
                findings.append(f"{label}.{key} was {'deleted' if key not in live else 'replaced'}")
                setattr(klass, key, value)
        for key in live.keys() - original.keys() - _LAZY_CLASS_NAMES:
            findings.append(f"{label}.{key} was added")
            delattr(klass, key)
    for label, (obj, callables) in snap.instances.items():
        live = vars(obj)
        for key in [k for k, v in live.items()
                    if callable(v) and not _same_callable(callables.get(k, _MISSING), v)]:
            findings.append(f"{label}.{key} was replaced")
            if key in callables:
                live[key] = callables[key]
            else:
                del live[key]
        for key in callables.keys() - live.keys():
            findings.append(f"{label}.{key} was deleted")
            live[key] = callables[key]
    for name, original in snap.sys_hooks.items():
        if not _same_callable(getattr(sys, name, _MISSING), original):
            findings.append(f"sys.{name} was replaced")
            setattr(sys, name, original)
    findings += [f"{label} was changed" for label, value in snap._sys_state().items()
                 if not _same(value, snap.sys_state.get(label))]
    _restore_sys_state(snap)
    for sig, handler in snap.signals.items():
        if signal.getsignal(sig) != handler:
            findings.append(f"the handler of {signal.Signals(sig).name} was replaced")
            signal.signal(sig, handler)
    for name, (value, keys) in snap.torch_hooks.items():
        for key in [k for k in value if k not in keys]:
            findings.append(f"a global nn.Module hook was registered ({name})")
            del value[key]
    started = [t for t in threading.enumerate() if t not in snap.threads and t.is_alive()]
    if started:  # the kernel starts some itself (output flushing), so a note, not a finding
        notes.append(f"{len(started)} background thread(s) were running during the tests")
    for name, original in snap.framework.items():
        if user_ns.get(name, _MISSING) is not original:
            if name in user_ns:
                findings.append(f"the notebook name {name!r} was rebound")
            user_ns[name] = original
    return findings, notes


def _hide_shadowed_builtins(state, user_ns, test_names):
    """A notebook name that shadows a builtin the test uses is set aside while the test runs."""
    notes = []
    for name in test_names:
        if name in user_ns and name not in state.snapshot.framework and hasattr(builtins, name):
            state.hidden[name] = user_ns.pop(name)
            notes.append(f"the notebook shadows the builtin {name!r}; the test used the builtin")
    return notes


def _restore_sys_state(snap):
    sys.settrace(None)
    sys.setprofile(None)
    threading.excepthook = snap.sys_state["threading.excepthook"]
    for name in ("settrace", "setprofile"):
        if hasattr(threading, name):
            getattr(threading, name)(None)
    sys.meta_path[:] = snap.sys_state["sys.meta_path"]
    sys.path_hooks[:] = snap.sys_state["sys.path_hooks"]
    gc.callbacks[:] = snap.sys_state["gc.callbacks"]
    for name, mod in snap.modules.items():
        sys.modules[name] = mod
    torch = snap.modules.get("torch")
    if torch is not None:
        while torch._C._len_torch_function_stack() > snap.sys_state["torch function modes"]:
            torch._C._pop_torch_function_stack()
        while torch._C._len_torch_dispatch_stack() > snap.sys_state["torch dispatch modes"]:
            torch._C._pop_torch_dispatch_stack()
    shell = snap.shell
    if shell is not None:
        for name in _SHELL_LISTS:
            getattr(shell, name)[:] = snap.sys_state[f"the shell's {name}"]
        shell.custom_exceptions = snap.sys_state["the shell's custom_exceptions"]
        for event, funcs in snap.sys_state["the shell's event callbacks"]:
            shell.events.callbacks[event][:] = funcs
        for name in _SHELL_OBJECTS:
            if getattr(shell, name) is not snap.sys_state[f"the shell's {name}"]:
                setattr(shell, name, snap.sys_state[f"the shell's {name}"])
        shell.user_ns["__builtins__"] = snap.sys_state["__builtins__ of the notebook"]


def _ident(value):
    if isinstance(value, types.MethodType):
        return f"{id(value.__func__)}@{id(value.__self__)}"
    if isinstance(value, types.FunctionType):
        return f"code{id(value.__code__)}"
    return str(id(value))


def _digest(snap):
    """Identities of the restored state, comparable with the one taken before student code ran."""
    h = hashlib.sha256()
    for name, attrs in sorted(snap.module_attrs.items()):
        live = vars(snap.modules[name])
        for key in sorted(attrs):
            h.update(f"{name}.{key}={_ident(live.get(key))};".encode())
    for klass, original in sorted(snap.classes.values(), key=lambda kv: id(kv[0])):
        live = vars(klass)
        for key in sorted(original):
            h.update(f"{id(klass)}.{key}={_ident(live.get(key))};".encode())
    for name in _SYS_HOOKS:
        h.update(f"sys.{name}={_ident(getattr(sys, name, None))};".encode())
    return h.hexdigest()


def install(key, module_names, framework_code, nonce, publish=None, preload=()):
    """Snapshot the pristine state and publish its digest; run before any student code."""
    shell = getattr(builtins, "get_ipython", lambda: None)()
    snap = _Snapshot(module_names, framework_code, shell, preload)
    if publish is None:
        publisher = shell.display_pub

        def publish(payload):
            publisher.publish(data={MIME: payload}, metadata={})
    state = types.ModuleType(key)
    state.snapshot, state.publish = snap, publish
    state.hidden = {}
    state.check = lambda cell_nonce, test_names=(), phase="before": check(
        state, cell_nonce, test_names, phase)
    sys.modules[key] = state
    for name, value in snap.framework.items():
        if shell is not None:
            shell.user_ns[name] = value
    publish(json.dumps({"nonce": nonce, "phase": "install", "digest": _digest(snap)}))


def check(state, cell_nonce, test_names=(), phase="before"):
    """Compare with the snapshot, restore, publish findings and the restored digest.

    Before a test, builtins the notebook shadows are set aside; after it, put back.
    """
    snap = state.snapshot
    user_ns = snap.shell.user_ns if snap.shell is not None else {}
    findings, notes = _compare_and_restore(snap, user_ns, test_names)
    if phase == "before":
        notes += _hide_shadowed_builtins(state, user_ns, test_names)
    else:
        user_ns.update(state.hidden)
        state.hidden.clear()
    state.publish(json.dumps({"nonce": cell_nonce, "findings": findings, "notes": notes,
                              "digest": _digest(snap)}))
