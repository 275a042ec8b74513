"""Parameter trees: a model of any ``nn.Module`` and its text, HTML and widget views."""
from ._api import param_tree as param_tree, show as show
from ._model import Repeat as Repeat, TensorInfo as TensorInfo, TreeNode as TreeNode
from ._tree import ParamTree as ParamTree
from ._stats import TensorStats as TensorStats


def __getattr__(name: str):
    # The widget pulls in anywidget and ipywidgets; the model and its text and HTML views do not.
    if name == "ParamTreeWidget":
        from ._widget import ParamTreeWidget

        return ParamTreeWidget
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
