"""Parameter trees: a model of any ``nn.Module`` and its text, HTML and widget views."""
from ._api import param_tree as param_tree, show as show
from ._model import ParamTree as ParamTree, Repeat as Repeat, TensorInfo as TensorInfo, TreeNode as TreeNode
from ._stats import TensorStats as TensorStats
from ._widget import ParamTreeWidget as ParamTreeWidget
