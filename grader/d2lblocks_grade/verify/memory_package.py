"""Import a Python package from bytes held in memory: nothing is written to disk, so nothing can be left there.

The verifier holds the hidden tests' judges. Unpacked into a temporary folder, a grader killed with
SIGKILL (or a Dask worker lost) would leave it readable on disk; imported from memory there is no file
to strand. The package reads its own data files through ``importlib.resources.files(__name__)``
(a `Traversable` over the same bytes); tracebacks and ``inspect`` still show the source
(``get_source``), under file names of the form ``<verifier NAME>/judges/ex1.py``.

Example::

    >>> module = import_from_memory("pkg_demo", {"__init__.py": b"from importlib.resources import files\\n"
    ...                                           b"GREETING = (files(__name__) / 'hello.txt').read_text()\\n",
    ...                                           "hello.txt": b"hello"}, label="demo")
    >>> module.GREETING
    'hello'
"""
from __future__ import annotations

import importlib.abc
import importlib.machinery
import importlib.util
import io
import sys
import types

try:
    from importlib.resources.abc import Traversable, TraversableResources
except ImportError:  # Python 3.10
    from importlib.abc import Traversable, TraversableResources  # type: ignore[no-redef]


class MemoryTraversable(Traversable):
    """A file or folder of the package: `prefix` is its path inside the package ("" for the package itself)."""

    def __init__(self, files: dict[str, bytes], prefix: str = ""):
        self._files, self._prefix = files, prefix

    @property
    def name(self) -> str:
        return self._prefix.rsplit("/", 1)[-1]

    def _children(self) -> set[str]:
        start = f"{self._prefix}/" if self._prefix else ""
        return {rel[len(start):].split("/", 1)[0] for rel in self._files if rel.startswith(start)}

    def is_file(self) -> bool:
        return self._prefix in self._files

    def is_dir(self) -> bool:
        return not self.is_file() and bool(self._children())

    def iterdir(self):
        for child in sorted(self._children()):
            yield self.joinpath(child)

    def joinpath(self, *descendants: str) -> MemoryTraversable:  # type: ignore[override]
        parts = [p for d in descendants for p in str(d).split("/") if p and p != "."]
        return MemoryTraversable(self._files, "/".join([*filter(None, [self._prefix]), *parts]))

    def __truediv__(self, child: str) -> MemoryTraversable:  # type: ignore[override]
        return self.joinpath(child)

    def open(self, mode: str = "r", *args, **kwargs):  # type: ignore[override]
        if not self.is_file():
            raise FileNotFoundError(f"{self._prefix or '.'} is not a file of the package")
        data = io.BytesIO(self._files[self._prefix])
        return data if "b" in mode else io.TextIOWrapper(data, *args, **kwargs)

    def read_bytes(self) -> bytes:
        if not self.is_file():
            raise FileNotFoundError(f"{self._prefix or '.'} is not a file of the package")
        return self._files[self._prefix]

    def read_text(self, encoding: str | None = None) -> str:
        return self.read_bytes().decode(encoding or "utf-8")


class _Resources(TraversableResources):
    def __init__(self, root: MemoryTraversable):
        self._root = root

    def files(self) -> MemoryTraversable:
        return self._root


class MemoryPackageFinder(importlib.abc.MetaPathFinder, importlib.abc.InspectLoader):
    """Finds and loads `name` and its submodules from `files` (path inside the package -> bytes)."""

    def __init__(self, name: str, files: dict[str, bytes], label: str):
        self.name, self.files, self.label = name, dict(files), label

    def _relative(self, fullname: str) -> str | None:
        """The module's file inside the package, or None when it is not one of this package's modules."""
        if fullname != self.name and not fullname.startswith(self.name + "."):
            return None
        inner = fullname[len(self.name):].lstrip(".").replace(".", "/")
        for candidate in (f"{inner}/__init__.py" if inner else "__init__.py", f"{inner}.py"):
            if candidate in self.files:
                return candidate
        return None

    def find_spec(self, fullname, path=None, target=None):
        rel = self._relative(fullname)
        if rel is None:
            return None
        package = rel.endswith("__init__.py")
        spec = importlib.machinery.ModuleSpec(fullname, self, origin=f"<{self.label}>/{rel}", is_package=package)
        if package:
            spec.submodule_search_locations = []  # found by this finder, never on disk
        return spec

    def create_module(self, spec):
        return None  # the default module object

    def exec_module(self, module: types.ModuleType) -> None:
        rel = self._relative(module.__name__)
        if rel is None:
            raise ImportError(f"{module.__name__} is not a module of {self.name}")
        module.__file__ = f"<{self.label}>/{rel}"
        exec(compile(self.files[rel], module.__file__, "exec"), module.__dict__)

    def get_source(self, fullname: str) -> str | None:
        rel = self._relative(fullname)
        return self.files[rel].decode("utf-8") if rel is not None else None

    def get_code(self, fullname: str):
        rel = self._relative(fullname)
        return compile(self.files[rel], f"<{self.label}>/{rel}", "exec") if rel is not None else None

    def get_resource_reader(self, fullname: str) -> _Resources | None:
        rel = self._relative(fullname)
        if rel is None or not rel.endswith("__init__.py"):
            return None
        folder = rel[: -len("__init__.py")].rstrip("/")
        return _Resources(MemoryTraversable(self.files, folder))


def import_from_memory(name: str, files: dict[str, bytes], label: str) -> types.ModuleType:
    """Import the package `name` whose files are `files` (relative path -> bytes; "__init__.py" required)."""
    if "__init__.py" not in files:
        raise ImportError(f"{label} is not a Python package: it has no __init__.py")
    finder = MemoryPackageFinder(name, files, label)
    sys.meta_path.insert(0, finder)
    try:
        return importlib.import_module(name)
    except BaseException:
        sys.meta_path.remove(finder)
        for loaded in [m for m in sys.modules if m == name or m.startswith(name + ".")]:
            del sys.modules[loaded]
        raise
