"""Store the course notebooks clean, so that a change to a lesson is a readable diff.

A clean notebook has no outputs and no execution counts, keeps only the metadata
a reader needs (the kernel and the language; the edition's language under ``d2lblocks``;
``tags`` on cells), gives every cell a stable id, and is written with ``indent=1``,
sorted keys, one source line per list item and a final newline. The course exists in
English (``notebooks/``) and in Japanese (``notebooks/ja/``), with the same code cells.
Save a notebook from JupyterLab, then run::

    python notebooks/clean_notebooks.py           # rewrite every course notebook clean
    python notebooks/clean_notebooks.py --check   # exit 1 and name the notebooks that are not

Example::

    >>> import nbformat
    >>> nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1 + 1", execution_count=3)])
    >>> '"execution_count": null' in clean_text(nb)
    True
"""
from __future__ import annotations

import argparse
import copy
import hashlib
import re
import sys
from pathlib import Path

import nbformat

NOTEBOOK_DIR = Path(__file__).resolve().parent
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
CELL_METADATA_KEPT = ("tags",)
# {"d2lblocks": {"language": "ja"}}: the language of the edition, which run_notebooks.py hands to the kernel.
NOTEBOOK_METADATA_KEPT = ("d2lblocks",)
EDITIONS = {"en": ".", "ja": "ja"}  # language -> folder of its edition's notebooks, relative to notebooks/
NOTEBOOK_PATTERN = "[0-9][0-9]-*.ipynb"
VALID_ID = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")

NOT_A_NOTEBOOK = (
    "clean_text() expects a notebook (nbformat.NotebookNode, e.g. nbformat.read(path, as_version=4)), "
    "got {type_name}. To clean a file on disk, pass its path to clean_file()."
)
NO_SUCH_NOTEBOOK = "There is no notebook at {path}. Course notebooks live in {folder}, e.g. 01-layers-and-blocks.ipynb."


def course_notebooks(folder: Path = NOTEBOOK_DIR) -> list[Path]:
    """The course notebooks in reading order (``01-...``, ``02-...``), each edition in turn: English, then ``ja/``.

    Example::

        >>> [p.relative_to(NOTEBOOK_DIR).as_posix() for p in course_notebooks()][::3]
        ['01-layers-and-blocks.ipynb', 'ja/01-layers-and-blocks.ipynb']
    """
    folder = Path(folder)
    return [path for sub in EDITIONS.values() for path in sorted((folder / sub).glob(NOTEBOOK_PATTERN))]


def notebook_language(nb: nbformat.NotebookNode) -> str | None:
    """The language of the edition a notebook belongs to, from its metadata (``None`` where it names none).

    Example::

        >>> notebook_language(nbformat.v4.new_notebook(metadata={"d2lblocks": {"language": "ja"}}))
        'ja'
    """
    language = nb.get("metadata", {}).get("d2lblocks", {}).get("language")
    return language if isinstance(language, str) and language else None


def _stable_id(cell: dict, taken: set[str]) -> str:
    # Ids derive from the content, so cleaning the same notebook twice gives the same ids;
    # an id that is already valid is kept, so editing a cell does not renumber it.
    current = cell.get("id")
    if isinstance(current, str) and VALID_ID.match(current) and current not in taken:
        return current
    digest = hashlib.sha1(f"{cell['cell_type']}\n{cell['source']}".encode()).hexdigest()
    candidate, n = digest[:8], 1
    while candidate in taken:
        candidate, n = f"{digest[:8]}-{n}", n + 1
    return candidate


def clean(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """A copy of ``nb`` without outputs, execution counts or editor metadata, with stable cell ids."""
    if not isinstance(nb, nbformat.NotebookNode):
        raise TypeError(NOT_A_NOTEBOOK.format(type_name=type(nb).__name__))
    nb = copy.deepcopy(nb)
    nb.nbformat, nb.nbformat_minor = 4, max(nb.get("nbformat_minor", 5), 5)  # 4.5: cells carry ids
    kept = {key: nb.metadata[key] for key in NOTEBOOK_METADATA_KEPT if key in nb.metadata}
    nb.metadata = nbformat.from_dict({"kernelspec": KERNELSPEC, "language_info": {"name": "python"}, **kept})
    taken: set[str] = set()
    for cell in nb.cells:
        cell.source = "".join(cell.source) if isinstance(cell.source, list) else cell.source
        cell.source = cell.source.rstrip("\n")
        cell.metadata = nbformat.from_dict({k: cell.metadata[k] for k in CELL_METADATA_KEPT if k in cell.metadata})
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
        cell.id = _stable_id(cell, taken)
        taken.add(cell.id)
    nbformat.validate(nb)
    return nb


def clean_text(nb: nbformat.NotebookNode) -> str:
    """The exact text a clean notebook is stored as."""
    text = nbformat.writes(clean(nb), version=4)  # indent=1, sorted keys, sources split into lines
    return text if text.endswith("\n") else text + "\n"


def clean_file(path: str | Path, *, check: bool = False) -> bool:
    """Whether ``path`` was already clean; rewrites it clean unless ``check`` is true."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(NO_SUCH_NOTEBOOK.format(path=path, folder=NOTEBOOK_DIR))
    stored = path.read_text(encoding="utf-8")
    wanted = clean_text(nbformat.reads(stored, as_version=4))
    if stored != wanted and not check:
        path.write_text(wanted, encoding="utf-8")
    return stored == wanted


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="only report notebooks that are not clean")
    parser.add_argument("paths", nargs="*", type=Path, help="notebooks (default: every course notebook)")
    args = parser.parse_args(argv)
    unclean = [p for p in (args.paths or course_notebooks()) if not clean_file(p, check=args.check)]
    for path in unclean:
        print(f"{path}: {'not clean; run python notebooks/clean_notebooks.py' if args.check else 'cleaned'}")
    return 1 if args.check and unclean else 0


if __name__ == "__main__":
    sys.exit(main())
