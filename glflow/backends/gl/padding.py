"""pad on GL (shaders/padding/pad.frag): x written into a constant tensor, or mirrored into
the margins (reflect, symmetric), in one pass. Affine reads (slice, transpose, reverse, tile,
...) need no kernel of their own: they are strided views read by the elementwise `identity`
pass; this writes what a view cannot, a constant or a mirror outside the input.
"""
from math import prod

from .programs import program, set_all


def pad(backend, x, out_shape, base, steps, mode, value, in_dims, out_dims=None):
    """out[m] = x[(m - base) / steps] along each axis, else `value` or x's mirror image."""
    out = backend.alloc(prod(out_shape))
    if out.layout.size == 0:
        return out
    prog = program(backend, "padding/pad.frag",
                   [f"RANK {len(out_shape)}", f"PAD_{mode.upper()}"], ["u_x"])
    set_all(prog, {"u_x_shift": x.layout.shift, "u_out_shift": out.layout.shift,
                   "u_out_size": out.layout.size, "u_out_dims": tuple(out_shape),
                   "u_in_dims": tuple(in_dims), "u_base": tuple(base), "u_step": tuple(steps),
                   "u_value": float(value)})
    backend.draw(prog, out, [x])
    return out


KERNELS = {"pad": pad}
