"""The linalg family on GL: matmul (the packed MRT passes of glflow/backends/gl/matmul.py),
fused_matmul (the same passes with bias and activation applied inside the final unpack pass,
shaders/templates/matmul_epilogue.glsl) and band_part (shaders/linalg/band_part.frag)."""
from math import prod

from ...runtime import registry as kernels
from . import matmul as product
from .elementwise import kernel_functions
from .programs import load, program, set_all


class Epilogue:
    """What matmul.run needs to paste the bias + activation into its unpack pass."""

    def __init__(self, source, samplers, textures, uniforms):
        self.source, self.samplers = source, samplers
        self.textures, self.uniforms = textures, uniforms


def epilogue_source(activation, bias_variant=None):
    """GLSL of the epilogue: bias_variant None, "BIAS" or "BIAS_COLUMNS4"."""
    defines = [bias_variant] if bias_variant else []
    if activation == "linear":
        defines.append("ACTIVATE(x) (x)")
        functions = ""
    else:
        args = "x, u_alpha" if kernels.get(activation).params else "x"
        defines.append(f"ACTIVATE(x) k_{activation}({args})")
        functions = kernel_functions([activation])
    head = "".join(f"#define {d}\n" for d in defines)
    return head + load("templates/matmul_epilogue.glsl").replace("//@FUNCTIONS", functions)


def _epilogue(activation, alpha, bias, strides, n):
    variant = None
    if bias is not None:
        columns4 = tuple(strides) == (0, 0, 1) and n % 4 == 0
        variant = "BIAS_COLUMNS4" if columns4 else "BIAS"
    source = epilogue_source(activation, variant)
    uniforms = {"u_alpha": float(alpha)}
    if bias is None:
        return Epilogue(source, [], [], uniforms)
    uniforms.update({"u_bias_shift": bias.layout.shift, "u_bias_strides": tuple(strides)})
    if variant == "BIAS":
        uniforms["u_bias_last"] = bias.layout.size - 1
    return Epilogue(source, ["u_bias"], [bias.texture.tex], uniforms)


def fused_matmul(backend, a, b, *bias, out_shape, a_view, b_view, batches, m, k, n,
                 activation, alpha, bias_strides):
    """activation(a @ b + bias) in the passes of one matmul; the output is the flat
    [batches, m, n] of out_shape. The op routes k == 0 and empty outputs elsewhere."""
    epilogue = _epilogue(activation, alpha, bias[0] if bias else None, bias_strides, n)
    return product.run(backend, a, a_view, b, b_view, batches, m, k, n, epilogue=epilogue)


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
