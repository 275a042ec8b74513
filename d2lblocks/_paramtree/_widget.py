"""``ParamTreeWidget``: an interactive view over a parameter-tree snapshot (anywidget).

The browser side (``d2lblocks/static/paramtree.js``) only draws ``rows`` and
``details`` and writes back ``expanded``, ``selected`` and ``query``; which rows
are visible and what a click shows are decided here, in Python, from the
snapshot. Even its words come from here (``labels``, in the language in force),
so the catalogue is the one place they are written. The ES module is inlined,
so nothing is fetched from the network.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import anywidget
import traitlets

from .._registration import check_module
from ..i18n import N_, get_language, gettext, translate
from . import _format as fmt
from ._build import build_tree
from ._calls import CALLS_NOTE, count_calls
from ._rows import details, visible_rows
from ._text import ALSO_AT, FIX_LINE, tree_notes

STATIC = Path(__file__).resolve().parent.parent / "static"
FALLBACK_ROWS = 1500  # rows of static HTML carried for notebooks opened without a kernel
SUMMARY = N_("{path}: {type_name} · {count} parameters (each counted once) · {modules} modules · {size}")
# What paramtree.js writes on screen, by key; "also_at" and "fix" keep their {placeholder} for it to fill.
LABELS = {
    "details_hint": N_("Click a row to see its details."),
    "filter": N_("filter by path, e.g. weight or net[0]"),
    "type": N_("type"),
    "parameters": N_("parameters"),
    "own_parameters": N_("own parameters"),
    "memory": N_("memory"),
    "buffers": N_("buffers"),
    "invisible_params": N_("invisible params"),
    "calls": N_("calls in forward"),
    "tensors": N_("tensors"),
    "role": N_("role"),
    "shape": N_("shape"),
    "elements": N_("elements"),
    "mean": N_("mean"),
    "std": N_("std"),
    "min": N_("min"),
    "max": N_("max"),
    "zeros": N_("zeros"),
    "grad_norm": N_("grad norm"),
    "no_gradient": N_("no gradient"),
    "repeats": N_("repeats"),
    "parameters_each": N_("parameters each"),
    "first": N_("first"),
    "also_at": ALSO_AT,
    "fix": FIX_LINE,
}
ROLES = {"parameter": N_("parameter"), "buffer": N_("buffer"), "unregistered": N_("unregistered")}


class ParamTreeWidget(anywidget.AnyWidget):
    """A collapsible parameter tree: click a row to expand it and see its details.

    Badges mark shared, reused, unregistered, constant, lazy and frozen entries;
    a tensor's details include its statistics and a histogram, computed on click.
    Call :meth:`refresh` after a training step to see the new values; it also
    picks up a language changed with ``d2lblocks.set_language`` since.

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
    note_warnings = traitlets.List(traitlets.Bool(), help="per note: a warning (red) or information").tag(sync=True)
    labels = traitlets.Dict(help="the words the browser shows, in the language in force").tag(sync=True)
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
        notes = tree_notes(tree)
        super().__init__(expanded=expanded, rows=visible_rows(tree, expanded, "", kwargs["max_rows"]),
                         summary=_summary(tree), notes=[note for _, note in notes],
                         note_warnings=[warning for warning, _ in notes], labels=_labels(), **kwargs)
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
        notes = tree_notes(tree)
        self.labels = _labels()
        self.summary = _summary(tree)
        self.notes, self.note_warnings = [note for _, note in notes], [warning for warning, _ in notes]
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
    return translate(SUMMARY, path=tree.root.path, type_name=tree.root.type_name, count=fmt.count(tree.num_params),
                     modules=tree.num_modules, size=fmt.bytes_by_dtype(tree.root.param_bytes))


def _labels() -> dict:
    return {**{key: gettext(msgid) for key, msgid in LABELS.items()},
            "badges": {name: fmt.badge_label(name) for name in fmt.BADGE_ORDER},
            "roles": {role: gettext(msgid) for role, msgid in ROLES.items()}, "lang": get_language()}
