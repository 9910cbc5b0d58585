"""glflow: deep learning on any GPU through headless OpenGL, with a numpy twin for every kernel.

    import glflow as gf
    a = gf.tensor2d([[1, 2, 3], [10, 20, 30]])
    c = (a + gf.tensor([1.0, 2.0, 3.0])).square().sum(axis=1)
    c.numpy()

Importing glflow touches no GL: the context is created on the first op that needs it.
"""
import importlib

from . import backends  # noqa: F401 - registers the gl and cpu backends with the runtime
from . import autodiff, ops
from .autodiff import (GradientTape, custom_grad, grad, grads, no_record, value_and_grad,
                       value_and_grads, variable_grads)
from .ops import *  # noqa: F401,F403 - the public op surface
from .ops import __all__ as _ops_all
from .runtime import state as _state
from .runtime.debug import set_debug_level
from .runtime.devices import list_devices, set_device
from .runtime.dtypes import BOOL as bool_, FLOAT32 as float32, INT32 as int32
from .runtime.memory import empty_cache, memory
from .runtime.state import get_backend, set_backend
from .tensor import Tensor, Variable, dispose, keep, tidy

# Graph mode: gf.function, gf.profile (glflow/graph/).
from .graph import SymbolicValueError, TensorSpec, function, profile  # noqa: E402
from .ops._host import init_scope  # noqa: E402

# Public ops are dispatchable: while a TF1 graph is built they record operations (glflow/tf1/).
from .runtime.dispatch import dispatchable as _dispatchable  # noqa: E402

for _name in _ops_all:
    globals()[_name] = _dispatchable(getattr(ops, _name))

# The TensorFlow 1 front end (docs/tf1.md): graphs, sessions, placeholders, queues.
from . import tf1  # noqa: E402
from . import errors, nn  # noqa: E402
from .tf1 import (ConfigProto, Graph, GraphKeys, GraphTensor, InteractiveSession,  # noqa: E402
                  Operation, RunOptions, Session, TensorShape, add_to_collection,
                  control_dependencies, disable_eager_execution, enable_eager_execution,
                  executing_eagerly, get_collection, get_default_graph, get_default_session,
                  gradients, name_scope, reset_default_graph, stop_gradient)
from .tf1.iterators import make_initializable_iterator, make_one_shot_iterator  # noqa: E402
from .tf1.py_func import numpy_function, py_func  # noqa: E402
from .tf1.queues import FIFOQueue, RandomShuffleQueue  # noqa: E402
from .tf1.spellings import *  # noqa: E402,F401,F403 - TF1 names glflow's ops lack
from .tf1.spellings import __all__ as _spellings_all  # noqa: E402
from .tf1.variables import (global_variables, global_variables_initializer,  # noqa: E402
                            local_variables, local_variables_initializer, trainable_variables,
                            variables_initializer)

initialize_all_variables = global_variables_initializer
disable_v2_behavior = disable_eager_execution
set_random_seed = set_seed  # noqa: F405 - from the ops

# The Keras-style stack (layers, models, training) sits on top of the op library.
from . import (callbacks, data, io, layers, losses, metrics, models, optimizers,  # noqa: E402
               train, utils, vis)
# ONNX models as functions of glflow ops (needs the optional onnx package when used)
from . import onnx  # noqa: E402
from .layers import Input  # noqa: E402
from .models import Model, Sequential, load_model  # noqa: E402
from .runtime.version import VERSION as __version__  # noqa: E402,F401
from . import interop  # noqa: E402 - rendering <-> tensors
from .interop import context, from_texture, gl_section, to_texture  # noqa: E402

Tensor.to_texture = to_texture


def backend_info():
    """What the active backend is running on (renderer, limits, float16 support)."""
    b = _state.backend()
    info = {"backend": b.name}
    info.update(b.describe())
    if _state.fallback_reason:
        info["fallback_reason"] = _state.fallback_reason
    return info


def __getattr__(name):
    # gf.distributed needs dask (the `distributed` extra) and takes about a second to import,
    # so it loads on first use instead of with every `import glflow`.
    if name == "distributed":
        return importlib.import_module(".distributed", __name__)
    raise AttributeError(f"module 'glflow' has no attribute {name!r}")


def finish():
    """Wait until queued GPU work is done (for timing; reads synchronise by themselves)."""
    _state.backend().finish()


__all__ = ["Tensor", "Variable", "GradientTape", "grad", "grads", "value_and_grad",
           "value_and_grads", "variable_grads", "custom_grad", "no_record", "tidy", "keep",
           "dispose", "memory", "empty_cache", "set_backend", "get_backend", "backend_info",
           "finish", "set_debug_level", "set_device", "list_devices", "function", "profile",
           "TensorSpec", "init_scope", "SymbolicValueError",
           "float32", "int32", "bool_", "layers", "models", "optimizers", "losses", "metrics",
           "callbacks", "data", "io", "vis", "train", "utils", "Input", "Model", "Sequential",
           "load_model", "onnx", "context", "gl_section", "from_texture", "to_texture", "tf1",
           "errors", "nn", "ConfigProto", "Graph", "GraphKeys", "GraphTensor",
           "InteractiveSession", "Operation",
           "RunOptions", "Session", "TensorShape", "control_dependencies",
           "disable_eager_execution", "enable_eager_execution", "executing_eagerly",
           "get_default_graph", "get_default_session", "gradients", "name_scope",
           "reset_default_graph", "stop_gradient", "global_variables",
           "global_variables_initializer", "local_variables", "local_variables_initializer",
           "trainable_variables", "variables_initializer", "initialize_all_variables",
           "disable_v2_behavior", "set_random_seed", "get_collection", "add_to_collection",
           "FIFOQueue", "RandomShuffleQueue", "py_func", "numpy_function",
           "make_one_shot_iterator", "make_initializable_iterator"
           ] + list(_ops_all) + [n for n in _spellings_all if n not in _ops_all]

# TensorFlow's name for the bool dtype (nothing below may call the builtin bool()).
bool = bool_  # noqa: A001
__all__ += ["bool"]

# gf.compat.v1: TensorFlow 1's namespace over the names above (last: it re-exports them).
from . import compat  # noqa: E402

__all__ += ["compat"]
