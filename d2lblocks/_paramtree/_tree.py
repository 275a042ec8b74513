"""``ParamTree``: the tree's data (``_model``) with its text, HTML and statistics views.

Layers, each importing only those before it: ``_format``, ``_model``, ``_totals``
(data) → ``_text``, ``_html``, ``_rows``, ``_stats`` (renderers) → ``_tree`` (this
file) → ``_calls``, ``_build`` (a module → a tree) → ``_widget`` → ``_api``. A test
(tests/lib/test_paramtree_layers.py) keeps it so.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..i18n import N_, translate
from ._html import render_html
from ._model import TensorInfo, TreeData
from ._stats import TensorStats, tensor_stats
from ._text import render_text

NOT_A_TENSOR = N_("{path!r} is a module ({type_name}); statistics are per tensor, e.g. tree.stats({example!r})")


@dataclass(frozen=True, eq=False)
class ParamTree(TreeData):
    """The parameter tree of a model (see :func:`d2lblocks.param_tree`).

    Example::

        >>> import torch.nn as nn, d2lblocks
        >>> tree = d2lblocks.param_tree(nn.Sequential(nn.Linear(20, 256), nn.ReLU(), nn.Linear(256, 10)))
        >>> tree.num_params
        7946
        >>> print(tree.to_text(tensors=False))
        net: Sequential  7,946 params  31.0 KiB float32
        ├─ net[0]: Linear  5,376 params
        ├─ net[1]: ReLU
        └─ net[2]: Linear  2,570 params
    """

    def __str__(self) -> str:
        return self.to_text()

    def to_text(self, *, tensors: bool = True, expand_repeats: bool = False, max_depth: int | None = None) -> str:
        """The tree as text, one line per module (and per tensor unless ``tensors=False``)."""
        return render_text(self, tensors=tensors, expand_repeats=expand_repeats, max_depth=max_depth)

    def to_html(self, *, max_rows: int = 3000) -> str:
        """A self-contained HTML view (no scripts, no network): nested, collapsible ``<details>``."""
        return render_html(self, max_rows=max_rows)

    def _repr_html_(self) -> str:
        return self.to_html()

    def stats(self, path: str, bins: int = 30) -> TensorStats:
        """Statistics and a histogram of the tensor at ``path``, computed now (see ``TensorStats``)."""
        info = self[path]
        if not isinstance(info, TensorInfo):
            example = info.tensors[0].path if info.tensors else path + ".weight"
            raise TypeError(translate(NOT_A_TENSOR, path=path, type_name=info.type_name, example=example))
        return tensor_stats(info, self._objects[info.key], bins=bins)
