"""``ParamTreeWidget``: an interactive view over a parameter-tree snapshot (anywidget).

The browser side (``d2lblocks/static/paramtree.js``) only draws ``rows`` and
``details`` and writes back ``expanded``, ``selected`` and ``query``; which rows
are visible and what a click shows are decided here, in Python, from the
snapshot. The ES module is inlined, so nothing is fetched from the network.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import anywidget
import traitlets

from .._registration import check_module
from . import _format as fmt
from ._build import build_tree
from ._calls import CALLS_NOTE, count_calls
from ._rows import details, visible_rows
from ._text import tree_notes

STATIC = Path(__file__).resolve().parent.parent / "static"
FALLBACK_ROWS = 1500  # rows of static HTML carried for notebooks opened without a kernel


class ParamTreeWidget(anywidget.AnyWidget):
    """A collapsible parameter tree: click a row to expand it and see its details.

    Badges mark shared, reused, unregistered, constant, lazy and frozen entries;
    a tensor's details include its statistics and a histogram, computed on click.
    Call :meth:`refresh` after a training step to see the new values.

    Example::

        >>> import d2lblocks
        >>> w = d2lblocks.show(d2lblocks.chimera())
        >>> [row["label"] for row in w.rows]
        ['net', 'net[0]', 'net[1]', 'net[2]']
        >>> w.expanded = w.expanded + ["net[1]"]; [row["label"] for row in w.rows][3:5]
        ['weight', 'bias']
    """

    _esm = (STATIC / "paramtree.js").read_text(encoding="utf-8")
    _css = (STATIC / "paramtree.css").read_text(encoding="utf-8")

    summary = traitlets.Unicode(help="one line of totals shown above the tree").tag(sync=True)
    notes = traitlets.List(traitlets.Unicode(), help="warnings shown under the totals").tag(sync=True)
    rows = traitlets.List(traitlets.Dict(), help="the visible rows, top to bottom").tag(sync=True)
    expanded = traitlets.List(traitlets.Unicode(), help="ids (paths) of the expanded rows").tag(sync=True)
    selected = traitlets.Unicode("", help="id (path) of the row whose details are shown").tag(sync=True)
    details = traitlets.Dict(help="details of the selected row; a tensor's include statistics").tag(sync=True)
    query = traitlets.Unicode("", help="filter: show only paths that contain this text").tag(sync=True)
    max_rows = traitlets.Int(400, help="most rows drawn at once; a large model stays responsive").tag(sync=True)
    version = traitlets.Int(0, help="how many times refresh() has rebuilt the tree").tag(sync=True)

    def __init__(self, model: Any, example_input: Any = None, **kwargs: Any):
        check_module(model, "show")
        self._model, self._example_input = model, example_input
        # Call counts need a forward pass on a copy: done once here, reused by refresh().
        self._calls = None if example_input is None else count_calls(model, example_input)
        self._tree = tree = self._build()
        expanded = [tree.root.path]
        kwargs.setdefault("max_rows", 400)
        super().__init__(expanded=expanded, rows=visible_rows(tree, expanded, "", kwargs["max_rows"]),
                         summary=_summary(tree), notes=[note for _, note in tree_notes(tree)], **kwargs)
        self.observe(lambda _: self._redraw(), names=["expanded", "query", "max_rows"])
        self.observe(lambda _: self._show_details(), names=["selected"])

    @property
    def tree(self):
        """The snapshot the widget shows (a :class:`ParamTree`)."""
        return self._tree

    def refresh(self, recount: bool = False) -> None:
        """Rebuild the snapshot from the model (after a training step); keeps what is expanded and selected.

        Call counts from ``example_input`` are kept; ``recount=True`` runs the
        forward pass on a fresh copy again (after changing the model's structure).
        """
        if recount and self._example_input is not None:
            self._calls = count_calls(self._model, self._example_input)
        self._tree = self._build()
        with self.hold_sync():
            self._redraw()
            self._show_details()
            self.version += 1

    def _build(self):
        if self._calls is None:
            return build_tree(self._model)
        calls, keep_alive = self._calls
        return build_tree(self._model, calls=calls, calls_note=CALLS_NOTE, keep_alive=keep_alive)

    def _redraw(self) -> None:
        tree = self._tree
        self.summary = _summary(tree)
        self.notes = [note for _, note in tree_notes(tree)]
        self.rows = visible_rows(tree, self.expanded, self.query, self.max_rows)

    def _show_details(self) -> None:
        self.details = details(self._tree, self.selected)

    def _repr_mimebundle_(self, **kwargs: Any):
        # The static view and the text view travel with the widget, so a notebook
        # rendered without a kernel (nbviewer, GitHub, exported HTML) still shows the tree.
        bundle = super()._repr_mimebundle_(**kwargs)
        data = bundle[0] if isinstance(bundle, tuple) else bundle
        assert data is not None, "anywidget always returns a MIME bundle"
        data["text/plain"] = self._tree.to_text(tensors=False, max_depth=3)
        data["text/html"] = self._tree.to_html(max_rows=FALLBACK_ROWS)
        return bundle


def _summary(tree) -> str:
    return (f"{tree.root.path}: {tree.root.type_name} · {fmt.count(tree.num_params)} parameters (each counted once)"
            f" · {tree.num_modules} modules · {fmt.bytes_by_dtype(tree.root.param_bytes)}")
