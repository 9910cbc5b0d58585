"""glflow: deep learning on any GPU through headless OpenGL, with a numpy twin for every kernel.

    import glflow as gf
    a = gf.tensor2d([[1, 2, 3], [10, 20, 30]])
    c = (a + gf.tensor([1.0, 2.0, 3.0])).square().sum(axis=1)
    c.numpy()

Importing glflow touches no GL: the context is created on the first op that needs it.
"""
__version__ = "0.1.0"  # first, so that subpackages (glflow.io) can name the version

from . import autodiff, engine, ops
from .autodiff import (GradientTape, custom_grad, grad, grads, value_and_grad, value_and_grads,
                       variable_grads)
from .dtypes import BOOL as bool_, FLOAT32 as float32, INT32 as int32
from .engine import dispose, empty_cache, get_backend, keep, memory, set_backend, tidy
from .ops import *  # noqa: F401,F403 - the public op surface
from .ops import __all__ as _ops_all
from .tensor import Tensor, Variable, _install_operators

# The Keras-style stack (layers, models, training) sits on top of the op library.
from . import callbacks, data, io, layers, losses, metrics, models, optimizers, vis  # noqa: E402
from .models import Model, Sequential, load_model  # noqa: E402

_install_operators()


def backend_info():
    """What the active backend is running on (renderer, limits, float16 support)."""
    b = engine.backend()
    info = {"backend": b.name}
    info.update(b.describe())
    if engine.state.fallback_reason:
        info["fallback_reason"] = engine.state.fallback_reason
    return info


def finish():
    """Wait until queued GPU work is done (for timing; reads synchronise by themselves)."""
    engine.backend().finish()


__all__ = ["Tensor", "Variable", "GradientTape", "grad", "grads", "value_and_grad",
           "value_and_grads", "variable_grads", "custom_grad", "tidy", "keep", "dispose",
           "memory", "empty_cache", "set_backend", "get_backend", "backend_info", "finish",
           "float32", "int32", "bool_", "layers", "models", "optimizers", "losses", "metrics",
           "callbacks", "data", "io", "vis", "Model", "Sequential", "load_model"] + list(_ops_all)
