"""The code a course notebook teaches, executed on its own so tests can check it against PyTorch.

``definitions(name)`` executes every top-level ``import``, ``def`` and ``class`` of the notebook's code
cells, in order, and nothing else: no training, timing or compiling, so it takes well under a second.
What the tests then call is exactly the code a student reads in the notebook.
"""
from __future__ import annotations

import ast
import functools
from pathlib import Path

import nbformat
from torch import nn

NOTEBOOK_DIR = Path(__file__).resolve().parents[2] / "notebooks"
COURSE = ["01-layers-and-blocks", "02-pitfalls", "03-looking-inside"]
DEFINITIONS = (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.ClassDef)


def read(name: str) -> nbformat.NotebookNode:
    return nbformat.read(NOTEBOOK_DIR / f"{name}.ipynb", as_version=4)


@functools.cache
def _definitions(name: str) -> dict:
    namespace: dict = {"__name__": f"notebook_{name.replace('-', '_')}"}
    for cell in read(name).cells:
        if cell.cell_type != "code":
            continue
        kept = [node for node in ast.parse(cell.source).body if isinstance(node, DEFINITIONS)]
        exec(compile(ast.Module(body=kept, type_ignores=[]), f"{name}.ipynb, cell {cell.id}", "exec"), namespace)
    return namespace


def definitions(name: str) -> dict:
    """The notebook's imports, functions and classes, as a fresh namespace (a copy: tests may add to it)."""
    return dict(_definitions(name))


def blocks(name: str) -> dict[str, type[nn.Module]]:
    """Every ``nn.Module`` subclass the notebook itself defines, by class name."""
    namespace = _definitions(name)
    return {key: value for key, value in namespace.items()
            if isinstance(value, type) and issubclass(value, nn.Module) and value.__module__ == namespace["__name__"]}
