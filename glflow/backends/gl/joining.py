"""concat on GL (shaders/joining/concat.frag): one pass reads every input; more inputs than
one pass may sample (the GL sampler limit) are joined in groups first."""
from math import prod

from .programs import load, set_all


def concat_source(count, aligned):
    decl, texel, element = [], [], []
    for k in range(count):
        decl += [f"uniform sampler2D u_x{k};", f"uniform int u_x{k}_shift;",
                 f"uniform int u_start{k};", f"uniform int u_len{k};"]
        guard = f"    if (c < u_start{k + 1}) " if k < count - 1 else "    "
        at = f"source_index(o, c, u_start{k}, u_len{k})"
        texel.append(f"{guard}return texelFetch(u_x{k}, texel_coord({at} >> 2, u_x{k}_shift), 0);")
        element.append(f"{guard}return element_at(u_x{k}, u_x{k}_shift, {at});")
    body = (load("joining/concat.frag").replace("//@DECLARATIONS", "\n".join(decl))
            .replace("//@SELECT_TEXEL", "\n".join(texel))
            .replace("//@SELECT_ELEMENT", "\n".join(element)))
    head = "#define ALIGNED\n" if aligned else ""
    return head + load("templates/common.glsl") + "\n" + body


def concat(backend, *inputs, out_shape, axis):
    """Join `inputs` along `axis` in one pass; more inputs than one pass may sample (the GL
    sampler limit, max_concat_inputs) are first joined in groups."""
    outer = prod(out_shape[:axis])
    limit = max_concat_inputs(backend)
    if len(inputs) > limit and outer:
        return _concat_groups(backend, inputs, out_shape, axis, outer, limit)
    out = backend.alloc(prod(out_shape))
    if out.layout.size == 0:
        return out
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


def _concat_groups(backend, inputs, out_shape, axis, outer, limit):
    """Each group of `limit` inputs joined into one [outer, its row length] intermediate
    (concat along an axis joins the rows of [outer, size / outer] views), then those."""
    parts, made = [], []
    for start in range(0, len(inputs), limit):
        group = inputs[start:start + limit]
        if len(group) == 1:
            parts.append(group[0])
            continue
        row = sum(x.layout.size // outer for x in group)
        made.append(concat(backend, *group, out_shape=(outer, row), axis=1))
        parts.append(made[-1])
    out = concat(backend, *parts, out_shape=out_shape, axis=axis)
    for part in made:  # GL keeps command order: the pool may hand them out again at once
        backend.free(part)
    return out


def max_concat_inputs(backend):
    """Inputs one concat pass may read: GL guarantees 16 fragment texture units."""
    return max(2, min(16, backend.gl.max_texture_units))


KERNELS = {"concat": concat}
