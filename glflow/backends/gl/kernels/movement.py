"""GL data-movement kernels with shaders of their own: pad, concat, band_part.

Affine reads (slice, transpose, reverse, tile, ...) need no kernel here: they are strided
views read by the elementwise `identity` pass. These three do what a view cannot: write a
constant or a mirror outside the input (pad), read several tensors in one pass (concat), and
mask by position (band_part).
"""
from .. import elementwise
from ..programs import load


def source(shader, defines=()):
    """Fragment source (no #version) of shaders/<shader> under code-path `defines` (never
    sizes: those are uniforms)."""
    head = "".join(f"#define {d}\n" for d in defines)
    return head + load("templates/common.glsl") + "\n" + load(shader)


def program(backend, shader, defines, samplers):
    return backend.programs.get(source(shader, defines), samplers)


def set_all(prog, values):
    for name, value in values.items():
        prog.set(name, value)


def _size(shape):
    size = 1
    for d in shape:
        size *= d
    return size


def pad(backend, x, out_shape, base, steps, mode, value, in_dims, out_dims=None):
    """out[m] = x[(m - base) / steps] along each axis, else `value` or x's mirror image."""
    out = backend.alloc(_size(out_shape))
    if out.layout.size == 0:
        return out
    prog = program(backend, "pad.frag", [f"RANK {len(out_shape)}", f"PAD_{mode.upper()}"],
                   ["u_x"])
    set_all(prog, {"u_x_shift": x.layout.shift, "u_out_shift": out.layout.shift,
                   "u_out_size": out.layout.size, "u_out_dims": tuple(out_shape),
                   "u_in_dims": tuple(in_dims), "u_base": tuple(base), "u_step": tuple(steps),
                   "u_value": float(value)})
    backend.draw(prog, out, [x])
    return out


def concat_source(count, aligned):
    decl, texel, element = [], [], []
    for k in range(count):
        decl += [f"uniform sampler2D u_x{k};", f"uniform int u_x{k}_shift;",
                 f"uniform int u_start{k};", f"uniform int u_len{k};"]
        guard = f"    if (c < u_start{k + 1}) " if k < count - 1 else "    "
        at = f"source_index(o, c, u_start{k}, u_len{k})"
        texel.append(f"{guard}return texelFetch(u_x{k}, texel_coord({at} >> 2, u_x{k}_shift), 0);")
        element.append(f"{guard}return element_at(u_x{k}, u_x{k}_shift, {at});")
    body = (load("concat.frag").replace("//@DECLARATIONS", "\n".join(decl))
            .replace("//@SELECT_TEXEL", "\n".join(texel))
            .replace("//@SELECT_ELEMENT", "\n".join(element)))
    head = "#define ALIGNED\n" if aligned else ""
    return head + load("templates/common.glsl") + "\n" + body


def concat(backend, *inputs, out_shape, axis):
    """Join `inputs` along `axis` in one pass (the op keeps len(inputs) within the GL
    sampler limit, see max_concat_inputs)."""
    out = backend.alloc(_size(out_shape))
    if out.layout.size == 0:
        return out
    outer = _size(out_shape[:axis])
    lengths = [x.layout.size // outer for x in inputs]
    aligned = all(n % 4 == 0 for n in lengths)
    prog = backend.programs.get(concat_source(len(inputs), aligned),
                                [f"u_x{k}" for k in range(len(inputs))])
    values = {"u_out_shift": out.layout.shift, "u_out_size": out.layout.size,
              "u_row": sum(lengths)}
    start = 0
    for k, (x, n) in enumerate(zip(inputs, lengths)):
        values.update({f"u_x{k}_shift": x.layout.shift, f"u_start{k}": start, f"u_len{k}": n})
        start += n
    set_all(prog, values)
    backend.draw(prog, out, list(inputs))
    return out


def max_concat_inputs(backend):
    """Inputs one concat pass may read: GL guarantees 16 fragment texture units."""
    return max(2, min(16, backend.gl.max_texture_units))


def band_part(backend, x, out_shape, batches, rows, cols, lower, upper, strides):
    """Zero outside the band of [batch, rows, cols] read through (batch, row, col) strides."""
    out = backend.alloc(_size(out_shape))
    if out.layout.size == 0:
        return out
    prog = program(backend, "band_part.frag", [], ["u_x"])
    set_all(prog, {"u_x_shift": x.layout.shift, "u_out_shift": out.layout.shift,
                   "u_out_size": out.layout.size, "u_rows": rows, "u_cols": cols,
                   "u_lower": lower, "u_upper": upper, "u_strides": tuple(strides)})
    backend.draw(prog, out, [x])
    return out


def split(backend, x, out_shape, views):
    """Each piece of a split: x read through its StridedView by the identity kernel."""
    expr = elementwise.call("identity", 1)
    return tuple(backend.elementwise(expr, [(x, None)], (view,), {}, view.shape)
                 for view in views)


KERNELS = {"pad": pad, "concat": concat, "band_part": band_part, "split": split}
