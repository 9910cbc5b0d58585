"""capped_tiles(limit): run GL kernels as if the device's textures were `limit` texels a side,
so their tile, chunk and partial-sum paths run at small shapes (tensors' own textures keep
their layout; only the textures kernels make for themselves are capped)."""
import contextlib

import glflow as gf
from glflow.runtime import state


def gl_backend():
    previous = gf.get_backend()
    gf.set_backend("gl")
    try:
        return state.backend()
    finally:
        gf.set_backend(previous)


@contextlib.contextmanager
def capped_tiles(limit):
    backend = gl_backend()
    saved = backend.tile_limit
    backend.tile_limit = limit
    try:
        yield backend
    finally:
        backend.tile_limit = saved
