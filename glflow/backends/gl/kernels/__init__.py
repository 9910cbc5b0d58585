"""GL kernels with shaders of their own (conv, pooling, gather, ...), one module per family.

A kernel is a function `name(backend, *inputs, out_shape, **attrs) -> GLData`, listed in its
module's `KERNELS` table; GLBackend.run calls it inside a GL section. The numpy twin is the
function of the same name in glflow/backends/numpy/.

A kernel whose launch can still exceed what the device holds lists in its module's `LIMITS`
table a function `(backend, out_shape, **attrs) -> reason or None`: pure arithmetic on shapes,
asked before any GL work so the user gets a clear error and nothing is allocated.
"""
from . import (fused, indexing, movement, nn_conv, nn_pool, optimizer_updates, reduce_pairs,
               scan, search, softmax)

FAMILIES = (fused, indexing, movement, nn_conv, nn_pool, optimizer_updates, reduce_pairs, scan,
            search, softmax)


def _collect(table_name):
    table = {}
    for module in FAMILIES:
        for name, fn in getattr(module, table_name, {}).items():
            if name in table:
                raise ValueError(f"gl backend: kernel {name!r} in two modules")
            table[name] = fn
    return table


KERNELS = _collect("KERNELS")
LIMITS = _collect("LIMITS")
