"""GL kernels with shaders of their own (conv, pooling, gather, ...), one module per family.

A kernel is a function `name(backend, *inputs, out_shape, **attrs) -> GLData`, listed in its
module's `KERNELS` table; GLBackend.run calls it inside a GL section. The numpy twin is the
function of the same name in glflow/backends/numpy/.

No kernel refuses a shape that fits in memory: one whose work exceeds the textures it may
make (`backend.tile_limit` texels a side) splits it into tiles, chunks or partial sums itself
(glflow/backends/gl/tiling.py). A module may still list in its `LIMITS` table a function
`(backend, out_shape, **attrs) -> reason or None`, asked before any GL work, for what no
split can serve: the max-pool gradient of a window of more than 2^24 positions, and a filter
gradient whose groups x blocks of 8 output channels exceed tile_limit^2 (2^28).
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
