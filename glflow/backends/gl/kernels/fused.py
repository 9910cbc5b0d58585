"""fused_matmul on GL: the matmul passes of glflow/backends/gl/matmul.py, with bias and
activation applied inside the final unpack pass (shaders/templates/matmul_epilogue.glsl)."""
from ....runtime import registry as kernels
from .. import matmul
from ..elementwise import kernel_functions
from ..programs import load


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
    return Epilogue(source, ["u_bias"], [bias.texture.tex], uniforms)


def fused_matmul(backend, a, b, *bias, out_shape, a_view, b_view, batches, m, k, n,
                 activation, alpha, bias_strides):
    """activation(a @ b + bias) in the passes of one matmul; the output is the flat
    [batches, m, n] of out_shape. The op routes k == 0 and empty outputs elsewhere."""
    epilogue = _epilogue(activation, alpha, bias[0] if bias else None, bias_strides, n)
    return matmul.run(backend, a, a_view, b, b_view, batches, m, k, n, epilogue=epilogue)


KERNELS = {"fused_matmul": fused_matmul}
