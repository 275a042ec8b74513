"""d2lblocks: the "Layers and Blocks" chapter of Dive into Deep Learning, for PyTorch.

Blocks (``MySequential``, ``Parallel``, ``replicate``), the chapter's models, the
list-storage pitfall with a detector for unregistered state, device helpers and
a parameter-tree view of any ``nn.Module``. Messages speak English or Japanese
(``set_language``; see ``d2lblocks.i18n``).
"""
# Core library ---------------------------------------------------------------
from ._devices import cpu as cpu, num_gpus as num_gpus, try_all_gpus as try_all_gpus, try_gpu as try_gpu
from ._sequential import MySequential as MySequential
from ._parallel import Parallel as Parallel
from ._replicate import find_shared_parameters as find_shared_parameters, replicate as replicate
from ._unregistered import Unregistered as Unregistered, UnregisteredReport as UnregisteredReport
from ._unregistered import find_unregistered as find_unregistered
from ._pitfalls import ListSequential as ListSequential, ModuleKeyedSequential as ModuleKeyedSequential
from ._pitfall_demo import demonstrate_list_pitfall as demonstrate_list_pitfall
from ._models import MLP as MLP, FixedHiddenMLP as FixedHiddenMLP, NestMLP as NestMLP, chimera as chimera
from ._models import FixedHiddenMLPPlainTensor as FixedHiddenMLPPlainTensor
from ._models import LazyMLP as LazyMLP, LazyNestMLP as LazyNestMLP, lazy_chimera as lazy_chimera

# Parameter trees -----------------------------------------------------------------
from ._paramtree import ParamTree as ParamTree, TensorStats as TensorStats
from ._paramtree import param_tree as param_tree, show as show

# Languages ---------------------------------------------------------------------------
from .i18n import get_language as get_language, set_language as set_language

__version__ = "0.1.0"
