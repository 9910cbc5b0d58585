"""Epilogues: elementwise work done inside the pass that writes a product, so bias, activation,
scaling and a residual add cost no pass of their own (fused_matmul; fused_conv2d, whose passes
are matmul's or conv_direct's).

The hook. A pass that takes an epilogue pastes `Epilogue.source` in place of its `//@EPILOGUE`
line and defines EPILOGUE; the source defines `vec4 epilogue(vec4 v, int e0)`, applied to the
4 values `v` the pass writes at flat output elements e0 .. e0 + 3. The pass declares
`u_out_size` (its output's element count) and `u_m`, `u_n` (its output as [batches, m, n]:
matmul's product, conv's [groups, N * OH * OW, Cout / groups]), binds `Epilogue.textures`
after its own to the samplers `Epilogue.samplers`, and sets `Epilogue.uniforms`.

What it computes is an elementwise program (glflow/backends/gl/elementwise.py) with one
output: input 0 is the product's value, input i >= 1 extra tensor i - 1, read at the same
(batch, row, column) through its `strides` (0 where it broadcasts). Extras are read the
cheapest way their strides allow: the same texel (a tensor of the product's layout), one texel
of a row (a bias of n % 4 == 0 values), one value (a scalar), else element by element.
"""
from ...runtime import counters
from .elementwise import kernel_functions, kernels_in, params_in, statements

_sources = {}   # (program, modes) -> GLSL of the epilogue
SOURCE_CAPACITY = 512


class Epilogue:
    """What a pass needs to paste an epilogue in (see the module docstring)."""

    def __init__(self, source, samplers, textures, uniforms):
        self.source, self.samplers = source, samplers
        self.textures, self.uniforms = textures, uniforms


def build_epilogue(backend, spec, extras, batches, m, n):
    """The Epilogue of `spec` (attrs: `program`, `params`, `strides` per extra) over the
    extras' GLData, for a product seen as [batches, m, n]."""
    modes = tuple(_mode(s, batches, m, n) for s in spec["strides"])
    key = (spec["program"], modes)
    source = _sources.get(key)
    if source is None:
        if len(_sources) >= SOURCE_CAPACITY:
            _sources.clear()
        source = _sources[key] = epilogue_source(spec["program"], modes)
    uniforms = {f"u_p{slot}": float(value) for slot, value in enumerate(spec["params"])}
    samplers, textures = [], []
    for i, (data, strides, mode) in enumerate(zip(extras, spec["strides"], modes), 1):
        samplers.append(f"u_e{i}")
        textures.append(data.texture.tex)
        uniforms[f"u_e{i}_shift"] = data.layout.shift
        if mode == "strided":
            uniforms[f"u_e{i}_strides"] = tuple(strides)
            uniforms[f"u_e{i}_last"] = data.layout.size - 1
    for kernel in kernels_in(spec["program"]):
        counters.count_kernel("gl", kernel)
    return Epilogue(source, samplers, textures, uniforms)


def _mode(strides, batches, m, n):
    """How an extra with these (batch, row, column) strides is read (module docstring)."""
    if tuple(strides) == (0, 0, 0):
        return "scalar"
    if n % 4 == 0:  # a texel holds 4 columns of one row
        if strides[2] == 1 and (m == 1 or strides[1] == n) and (
                batches == 1 or strides[0] == m * n):
            return "texel"
        if tuple(strides) == (0, 0, 1):
            return "row4"
    return "strided"


def epilogue_source(program, modes):
    """GLSL defining `vec4 epilogue(vec4 v, int e0)` for `program` over extras read in
    `modes` (see _mode)."""
    decls, loads = [], []
    for i, mode in enumerate(modes, 1):
        s = f"u_e{i}"
        decls += [f"uniform sampler2D {s};", f"uniform int {s}_shift;"]
        if mode == "texel":
            loads.append(f"    vec4 x{i} = texelFetch({s}, texel_coord(e0 >> 2, {s}_shift), 0);")
        elif mode == "row4":
            loads.append(f"    vec4 x{i} = texelFetch({s}, texel_coord((e0 % u_n) >> 2, "
                         f"{s}_shift), 0);")
        elif mode == "scalar":
            loads.append(f"    vec4 x{i} = vec4(texelFetch({s}, ivec2(0), 0).x);")
        else:
            decls += [f"uniform ivec3 {s}_strides;", f"uniform int {s}_last;"]
            loads.append(f"    vec4 x{i} = epilogue_input({s}, {s}_shift, {s}_strides, "
                         f"{s}_last, e0);")
    decls += [f"uniform float u_p{slot};" for slot in params_in(program)]
    helper = [_STRIDED] if "strided" in modes else []
    names = ["v"] + [f"x{i}" for i in range(1, len(modes) + 1)]
    temporaries, results = statements(program, names)
    body = (["vec4 epilogue(vec4 v, int e0) {"] + loads + temporaries
            + [f"    return {results[0]};", "}"])
    return "\n".join(decls + [kernel_functions(dict.fromkeys(kernels_in(program)))] + helper
                     + body) + "\n"


# Element e0 + c of the [batches, m, n] output is (batch, row, column) = (e / (m n), e / n % m,
# e % n); the extra's element there is the dot product with its strides, kept inside it by
# `last` (a tiled matmul computes padding columns it then drops).
_STRIDED = """vec4 epilogue_input(sampler2D s, int shift, ivec3 strides, int last, int e0) {
    vec4 b;
    for (int c = 0; c < 4; ++c) {
        int e = min(e0 + c, u_out_size - 1);
        int rest = e / u_n;
        int at = (rest / u_m) * strides.x + (rest - (rest / u_m) * u_m) * strides.y
                 + (e - rest * u_n) * strides.z;
        b[c] = element_at(s, shift, min(at, last));
    }
    return b;
}"""
