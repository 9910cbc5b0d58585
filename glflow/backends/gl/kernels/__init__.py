"""GL kernels with shaders of their own (conv, pooling, gather, ...), one module per family.

A kernel is a function `name(backend, *inputs, out_shape, **attrs) -> GLData` found by name in
any module of this package; its shader is `shaders/<name>.frag`. GLBackend.call runs it inside
a GL section. The numpy twin is the function of the same name in glflow/backends/cpu/.

A kernel whose launch can exceed what the device holds (a grid or packed operand larger than
the max texture size) may also define `<name>_limit(backend, out_shape, **attrs)`, returning
why this launch cannot run, or None. It is pure arithmetic on shapes: ops/_core.launch asks it
before any GL work, so the user gets a clear error and nothing is allocated.
"""
import importlib
import pkgutil

_found = {}


def find(name, required=True):
    """The function `name` of any module here; None when absent and not `required`."""
    if name in _found:
        return _found[name]
    fn = None
    for info in pkgutil.iter_modules(__path__):
        module = importlib.import_module(f"{__name__}.{info.name}")
        candidate = getattr(module, name, None)
        if callable(candidate):
            fn = candidate
            break
    if fn is None and required:
        raise KeyError(f"gl backend has no kernel {name!r}")
    _found[name] = fn
    return fn
