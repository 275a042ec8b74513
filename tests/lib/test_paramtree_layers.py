"""The parameter-tree modules import one way only: data, then renderers, then the tree, the widget, the API."""
import ast
from pathlib import Path

import d2lblocks._paramtree as paramtree

LAYERS = [
    {"_format", "_model", "_totals"},  # data
    {"_text", "_html", "_rows", "_stats"},  # renderers
    {"_tree"},  # the public tree object: data with its views
    {"_calls", "_build"},  # a module -> a tree
    {"_widget"},
    {"_api"},
]
LAYER_OF = {name: depth for depth, names in enumerate(LAYERS) for name in names}


def sibling_imports(path: Path) -> set[str]:
    """Every `from ._x import ...` / `from . import _x` in the file, at any depth (lazy imports count too)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            if node.module:
                found.add(node.module)
            else:
                found |= {alias.name for alias in node.names}
    return found


def test_every_module_of_the_package_has_a_layer():
    files = {p.stem for p in Path(paramtree.__file__).parent.glob("_*.py") if p.stem != "__init__"}
    assert files == set(LAYER_OF)


def imports_of() -> dict[str, set[str]]:
    folder = Path(paramtree.__file__).parent
    return {name: sibling_imports(folder / f"{name}.py") for name in LAYER_OF}


def test_no_module_imports_a_later_layer():
    backwards = [f"{name} imports {imported}" for name, imported_names in imports_of().items()
                 for imported in imported_names if LAYER_OF[imported] > LAYER_OF[name]]
    assert backwards == []


def test_no_two_modules_import_each_other_even_within_a_layer():
    graph = imports_of()

    def reaches(start: str, goal: str, seen: set[str]) -> bool:
        return any(step == goal or (step not in seen and reaches(step, goal, seen | {step})) for step in graph[start])

    assert [name for name in graph if reaches(name, name, {name})] == []
