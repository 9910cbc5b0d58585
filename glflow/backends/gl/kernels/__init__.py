"""GL kernels with shaders of their own (conv, pooling, gather, ...), one module per family.

A kernel is a function `name(backend, *inputs, out_shape, **attrs) -> GLData` found by name in
any module of this package; its shader is `shaders/<name>.frag`. GLBackend.call runs it inside
a GL section. The numpy twin is the function of the same name in glflow/backends/cpu/.
"""
import importlib
import pkgutil

_found = {}


def find(name):
    fn = _found.get(name)
    if fn is None:
        for info in pkgutil.iter_modules(__path__):
            module = importlib.import_module(f"{__name__}.{info.name}")
            candidate = getattr(module, name, None)
            if callable(candidate):
                fn = _found[name] = candidate
                break
        else:
            raise KeyError(f"gl backend has no kernel {name!r}")
    return fn
