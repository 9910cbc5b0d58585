"""Public ops: argument checks, shape rules and gradients, the same for every backend.

Each module here (except `_`-prefixed helpers) is an op family: `ops/<family>.py` defines the
family's primitives (glflow/ops/_primitive.py) with their gradients, and the ops built on them.
The numpy twin of a family is glflow/backends/numpy/<family>.py, its GLSL is in
shaders/<family>/, its tests in tests/ops/test_<family>.py. `__all__` lists the ops exported
here and from `glflow`; `TENSOR_METHODS` those that are also chainable Tensor methods.

FAMILIES is in dependency order: a family imports only the families before it (gradients
included), so the op layer has no import cycle (docs/architecture.md).
"""
from . import (activations, arithmetic, conv, creation, indexing, joining, linalg, logic, math,
               normalization, optimizer_updates, padding, pool, random, reduction, resize, scan,
               search, shape, slicing, softmax, statistics)
from ._core import convert, tensors  # noqa: F401
from ._operators import install

FAMILIES = (creation, logic, arithmetic, math, shape, scan, reduction, activations, softmax,
            statistics, indexing, joining, slicing, padding, linalg, search, random, conv, pool,
            normalization, resize, optimizer_updates)

__all__ = ["convert", "sum_to_shape"]
TENSOR_METHODS = []
sum_to_shape = reduction.sum_to_shape

for _family in FAMILIES:
    for _name in _family.__all__:
        _fn = getattr(_family, _name)
        if _name in globals() and globals()[_name] is not _fn and _name not in [
                f.__name__.rsplit(".", 1)[-1] for f in FAMILIES]:
            raise ImportError(f"glflow.ops: {_name!r} is exported by two families")
        globals()[_name] = _fn
        __all__.append(_name)
    TENSOR_METHODS.extend(getattr(_family, "TENSOR_METHODS", []))

install(globals(), TENSOR_METHODS)
