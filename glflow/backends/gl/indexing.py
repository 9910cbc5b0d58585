"""GL index kernels: gather, scatter_add (the gradient of gather, the body of scatter_nd) and
one_hot. Index tensors are float textures holding exact integers (|i| <= 2**24, checked when
they are created)."""
from math import prod

from .programs import program, set_all


def gather(backend, x, indices, out_shape, batch, pre, axis_len, count, inner):
    """out[b, p, j, i] = x[b, p, indices[b, j], i]; indices already range-checked."""
    out = backend.alloc(prod(out_shape))
    if out.layout.size == 0:
        return out
    prog = program(backend, "indexing/gather.frag", ["INNER4"] if inner % 4 == 0 else [],
                   ["u_x", "u_indices"])
    set_all(prog, {"u_x_shift": x.layout.shift, "u_indices_shift": indices.layout.shift,
                   "u_out_shift": out.layout.shift, "u_out_size": out.layout.size,
                   "u_pre": pre, "u_axis": axis_len, "u_count": count, "u_inner": inner})
    backend.draw(prog, out, [x, indices])
    return out


def scatter_add(backend, updates, order, offsets, out_shape, batch, pre, axis_len, count,
                inner):
    """out[b, p, a, i] = sum over j with indices[b, j] == a of updates[b, p, j, i].
    `order`/`offsets` are the host-sorted indices (see shaders/scatter_add.frag); the op
    handles empty updates itself (they have no texture)."""
    out = backend.alloc(prod(out_shape))
    if out.layout.size == 0:
        return out
    prog = program(backend, "indexing/scatter_add.frag", ["INNER4"] if inner % 4 == 0 else [],
                   ["u_updates", "u_order", "u_offsets"])
    set_all(prog, {"u_updates_shift": updates.layout.shift, "u_order_shift": order.layout.shift,
                   "u_offsets_shift": offsets.layout.shift, "u_out_shift": out.layout.shift,
                   "u_out_size": out.layout.size, "u_pre": pre, "u_axis": axis_len,
                   "u_count": count, "u_inner": inner})
    backend.draw(prog, out, [updates, order, offsets])
    return out


def one_hot(backend, indices, out_shape, depth, on_value, off_value):
    out = backend.alloc(prod(out_shape))
    if out.layout.size == 0:
        return out
    prog = program(backend, "indexing/one_hot.frag", [], ["u_indices"])
    set_all(prog, {"u_indices_shift": indices.layout.shift, "u_out_shift": out.layout.shift,
                   "u_out_size": out.layout.size, "u_depth": depth, "u_on": float(on_value),
                   "u_off": float(off_value)})
    backend.draw(prog, out, [indices])
    return out


KERNELS = {"gather": gather, "scatter_add": scatter_add, "one_hot": one_hot}
