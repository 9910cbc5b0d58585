"""Public ops: argument checks, shape rules and gradients, the same for every backend.

Every module of this package (except `_`-prefixed helpers) is an op family. Its `__all__`
lists the ops exported here and from `glflow`; its optional `TENSOR_METHODS` lists the ops that
are also chainable Tensor methods (x.square().sum(axis=1)). Adding a family is adding a file.
"""
import importlib
import pkgutil

from ._core import convert, tensors  # noqa: F401

__all__ = ["convert"]
TENSOR_METHODS = []
FAMILIES = []

for _info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
    if _info.name.startswith("_"):
        continue
    _module = importlib.import_module(f"{__name__}.{_info.name}")
    FAMILIES.append(_module)
    for _name in getattr(_module, "__all__", []):
        if _name in globals() and _name not in ("convert",) and globals()[_name] is not getattr(_module, _name):
            raise ImportError(f"glflow.ops: {_name!r} is exported by two families")
        globals()[_name] = getattr(_module, _name)
        __all__.append(_name)
    TENSOR_METHODS.extend(getattr(_module, "TENSOR_METHODS", []))
