"""The linalg family on GL: matmul (the packed MRT passes of glflow/backends/gl/matmul.py),
fused_matmul (the same passes with an epilogue, glflow/backends/gl/epilogue.py, applied inside
the final unpack pass: bias, activation, scaling, a residual add) and band_part
(shaders/linalg/band_part.frag)."""
from math import prod

from . import matmul as product
from .epilogue import build_epilogue
from .programs import program, set_all


def fused_matmul(backend, a, b, *extras, out_shape, a_view, b_view, batches, m, k, n,
                 epilogue):
    """The epilogue's program over a @ b and the extras, in the passes of one matmul; the
    output is the flat [batches, m, n] of out_shape. The op routes k == 0 and empty outputs
    elsewhere."""
    return product.run(backend, a, a_view, b, b_view, batches, m, k, n,
                       epilogue=build_epilogue(backend, epilogue, extras, batches, m, n))


def matmul(backend, a, b, out_shape, a_view, b_view, batches, m, k, n):
    return product.run(backend, a, a_view, b, b_view, batches, m, k, n)


def band_part(backend, x, out_shape, batches, rows, cols, lower, upper, strides):
    """Zero outside the band of [batch, rows, cols] read through (batch, row, col) strides."""
    out = backend.alloc(prod(out_shape))
    if out.layout.size == 0:
        return out
    prog = program(backend, "linalg/band_part.frag", [], ["u_x"])
    set_all(prog, {"u_x_shift": x.layout.shift, "u_out_shift": out.layout.shift,
                   "u_out_size": out.layout.size, "u_rows": rows, "u_cols": cols,
                   "u_lower": lower, "u_upper": upper, "u_strides": tuple(strides)})
    backend.draw(prog, out, [x])
    return out


KERNELS = {"matmul": matmul, "fused_matmul": fused_matmul, "band_part": band_part}
