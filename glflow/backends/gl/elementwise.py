"""Generate and run elementwise passes: kernel functions from shaders/<name>.glsl composed into
the template shaders/templates/elementwise.frag.

What a pass computes is a *program*: straight-line code over its inputs, so a single op, a
fused chain and a fused group with several outputs (graph mode) are the same thing here:
    program = (ops, outputs)
    ops     = ((kernel, args, slots, dtype), ...)   op j: k_<kernel>(args..., u_p<slot>...)
    args    = refs: ("in", i) input i, ("t", j) the value of an earlier op j
    outputs = refs, one per render target the pass writes
`dtype` is what an unfused kernel would have stored (graph mode's fusion notes it for the
numpy twin); GL computes every dtype in float32, so the generated source ignores it. Every op
becomes one GLSL temporary: a value read by several ops or outputs is computed once, and the
source grows with the number of ops, however deep the DAG they form.
Programs are tuples all the way down: hashable, so `plan` finds its cached source with one
dict lookup.
"""
import functools

from ...runtime import registry as kernels
from .programs import load

MARK_DECL = "//@DECLARATIONS"
MARK_FUNC = "//@FUNCTIONS"
MARK_LOAD = "//@LOADS"
MARK_OUTPUTS = "//@OUTPUTS"
MARK_STORES = "//@STORES"


@functools.lru_cache(maxsize=1024)
def call(kernel, n_inputs, n_params=0, dtype=None):
    """The program of one kernel applied to inputs 0..n-1 with param slots 0..p-1. Cached,
    since the same few programs are asked for on every op."""
    args = tuple(("in", i) for i in range(n_inputs))
    return (((kernel, args, tuple(range(n_params)), dtype),), (("t", 0),))


def arity(name):
    """How many tensor inputs elementwise kernel `name` takes: its GLSL function's vec4
    parameters (its float params are uniforms, not parameters)."""
    source = load(f"{kernels.get(name).family}/{name}.glsl")
    signature = source[source.index(f"k_{name}("):]
    params = signature[signature.index("(") + 1:signature.index(")")]
    return sum(1 for p in params.split(",") if p.strip().startswith("vec4"))


def kernel_functions(names):
    """GLSL of the named kernels and of the kernels they require, each once, dependencies first."""
    seen, out = set(), []

    def visit(name):
        if name in seen:
            return
        seen.add(name)
        for dep in kernels.get(name).requires:
            visit(dep)
        out.append(load(f"{kernels.get(name).family}/{name}.glsl").strip())
    for n in names:
        visit(n)
    return "\n".join(out)


def kernels_in(program):
    """The kernel of every op, in order."""
    return [op[0] for op in program[0]]


def params_in(program):
    """Every param slot the program reads, sorted."""
    return sorted({slot for op in program[0] for slot in op[2]})


def statements(program, names=None, prefix="y"):
    """GLSL computing every op of `program` into temporaries (`EXACT vec4 y3 = k_add(x0,
    y2);`: rounded as the op alone would be, templates/common.glsl), and the GLSL expression
    of each output. `names` renames inputs (default x0, x1, ...)."""
    def ref(r):
        if r[0] == "t":
            return f"{prefix}{r[1]}"
        return names[r[1]] if names is not None else f"x{r[1]}"
    lines = []
    for j, (kernel, args, slots, _) in enumerate(program[0]):
        values = [ref(a) for a in args] + [f"u_p{slot}" for slot in slots]
        lines.append(f"    EXACT vec4 {prefix}{j} = k_{kernel}({', '.join(values)});")
    return lines, [ref(r) for r in program[1]]


def reads_image(i, access, images):
    """Whether input i is read through an image unit: a same-layout input among the first
    `images` (the backend's image_inputs: 0 where the GL has no image load/store)."""
    return i < images and access.mode == "same"


def _load_code(i, access, out_rank, image=False):
    """Declarations and load statement for input i under its access pattern; `image`: read it
    with imageLoad from image unit i (a same-layout input only)."""
    s = f"u_x{i}"
    mode = access.mode
    if image:
        return ([f"layout(rgba32f) readonly uniform image2D {s};", f"uniform int {s}_shift;"],
                f"    vec4 x{i} = imageLoad({s}, frag);")
    decl = [f"uniform sampler2D {s};", f"uniform int {s}_shift;"]
    if mode == "same":
        code = f"    vec4 x{i} = texelFetch({s}, frag, 0);"
    elif mode == "scalar":
        code = f"    vec4 x{i} = vec4(texelFetch({s}, ivec2(0), 0).x);"
    elif mode == "tile":
        decl.append(f"uniform int {s}_texels;")
        code = f"    vec4 x{i} = texelFetch({s}, texel_coord(t % {s}_texels, {s}_shift), 0);"
    elif mode == "block4":
        decl += [f"uniform int {s}_inner;", f"uniform int {s}_extent;"]
        code = (f"    vec4 x{i} = vec4(element_at({s}, {s}_shift, "
                f"(e0 / {s}_inner) % {s}_extent));")
    elif mode == "block":
        decl += [f"uniform int {s}_inner;", f"uniform int {s}_extent;"]
        code = (f"    vec4 x{i};\n"
                f"    for (int c = 0; c < 4; ++c) {{\n"
                f"        int e = min(e0 + c, u_out_size - 1);\n"
                f"        x{i}[c] = element_at({s}, {s}_shift, (e / {s}_inner) % {s}_extent);\n"
                f"    }}")
    elif mode == "strided":
        r = out_rank
        decl += [f"uniform int {s}_strides[{r}];", f"uniform int {s}_offset;"]
        code = (f"    vec4 x{i};\n"
                f"    for (int c = 0; c < 4; ++c) {{\n"
                f"        int rem = min(e0 + c, u_out_size - 1);\n"
                f"        int idx = {s}_offset;\n"
                f"        for (int d = {r - 1}; d >= 0; --d) {{\n"
                f"            int q = rem / u_out_dims[d];\n"
                f"            idx += (rem - q * u_out_dims[d]) * {s}_strides[d];\n"
                f"            rem = q;\n"
                f"        }}\n"
                f"        x{i}[c] = element_at({s}, {s}_shift, idx);\n"
                f"    }}")
    else:
        raise ValueError(mode)
    return decl, code


def build_source(program, accesses, out_rank, images=0):
    """Fragment source (without #version) for `program` over inputs read with `accesses`;
    one output is `o_result`, several are `o_result0..` at locations 0.. (render targets).
    Same-layout inputs among the first `images` are read through image units (the source
    then needs the image load/store extension: programs.header)."""
    decls, loads = [], []
    if any(a.mode == "strided" for a in accesses):
        decls.append(f"uniform int u_out_dims[{max(out_rank, 1)}];")
    for i, access in enumerate(accesses):
        d, code = _load_code(i, access, out_rank, reads_image(i, access, images))
        decls += d
        loads.append(code)
    decls += [f"uniform float u_p{slot};" for slot in params_in(program)]
    temporaries, results = statements(program)
    if len(results) == 1:
        outputs, stores = ["out vec4 o_result;"], [f"    o_result = {results[0]};"]
    else:
        outputs = [f"layout(location = {r}) out vec4 o_result{r};" for r in range(len(results))]
        stores = [f"    o_result{r} = {value};" for r, value in enumerate(results)]
    body = load("templates/elementwise.frag")
    body = body.replace(MARK_OUTPUTS, "\n".join(outputs))
    body = body.replace(MARK_DECL, "\n".join(decls))
    body = body.replace(MARK_FUNC, kernel_functions(dict.fromkeys(kernels_in(program))))
    body = body.replace(MARK_LOAD, "\n".join(loads + temporaries))
    body = body.replace(MARK_STORES, "\n".join(stores))
    return load("templates/common.glsl") + "\n" + body


def prologue_source(program, accesses, rank, images=0):
    """GLSL of a reduction's elementwise prologue (graph mode): `vec4 prologue_texel(int t)`
    evaluates `program` (one output) at texel t of the reduced input, its inputs read with
    `accesses` relative to that input's shape, through uniforms u_in_shift, u_in_size
    (u_in_dims when strided) and the inputs' u_x{i}_*; same-layout inputs among the first
    `images` through image units, as build_source reads them. The reduction template supplies
    main()."""
    decls, loads = ["uniform int u_in_shift;", "uniform int u_in_size;"], []
    if any(a.mode == "strided" for a in accesses):
        decls.append(f"uniform int u_in_dims[{max(rank, 1)}];")
    for i, a in enumerate(accesses):
        d, code = _load_code(i, a, rank, reads_image(i, a, images))
        decls += d
        loads.append(code)
    decls += [f"uniform float u_p{slot};" for slot in params_in(program)]
    temporaries, results = statements(program)
    head = [kernel_functions(dict.fromkeys(kernels_in(program))),
            "vec4 prologue_texel(int t) {",
            "    ivec2 frag = texel_coord(t, u_in_shift);", "    int e0 = t << 2;"]
    tail = [f"    return {results[0]};", "}"]
    text = "\n".join(decls + head + loads + temporaries + tail)
    return text.replace("u_out_size", "u_in_size").replace("u_out_dims", "u_in_dims")


class Plan:
    """Everything a launch of one (program, access patterns, rank, image inputs) needs that
    does not depend on sizes, built once: regenerating the source for every op cost more than
    the raw draw it feeds (benchmarks/README.md, "The eager hot path"). `samplers` names input
    i's uniform, set to unit i (a texture unit, or an image unit where `images[i]`); `images`
    is None when no input is read through an image unit."""
    __slots__ = ("source", "samplers", "images", "kernels", "outputs")

    def __init__(self, program, accesses, out_rank, images=0):
        self.source = build_source(program, accesses, out_rank, images)
        self.samplers = tuple(_SAMPLERS[i] if i < len(_SAMPLERS) else f"u_x{i}"
                              for i in range(len(accesses)))
        flags = tuple(reads_image(i, a, images) for i, a in enumerate(accesses))
        self.images = flags if any(flags) else None
        self.kernels = tuple(kernels_in(program))
        self.outputs = len(program[1])


_plans = {}
PLAN_CAPACITY = 4096   # plans are small; past this many (generated fusions) start afresh
_SAMPLERS = tuple(f"u_x{i}" for i in range(16))


def plan(program, accesses, out_rank, images=0):
    """The cached Plan for `program` read through `accesses` into an output of rank
    out_rank, same-layout inputs among the first `images` read through image units."""
    key = (program, tuple(a.key for a in accesses), out_rank, images)
    found = _plans.get(key)
    if found is None:
        found = Plan(program, accesses, out_rank, images)
        if len(_plans) >= PLAN_CAPACITY:
            _plans.clear()
        _plans[key] = found
    return found


def bind_inputs(textures, images):
    """Bind textures[i] (moderngl C texture objects) to texture unit i, or to image unit i,
    read-only, in the texture's own format, where images[i]."""
    for unit, tex in enumerate(textures):
        if images[unit]:
            tex.bind(unit, True, False, 0, 0)
        else:
            tex.use(unit)


def _uniform_names(i):
    """u_x{i}_* names, made once per input slot (f-strings per launch showed in profiles)."""
    names = _names.get(i)
    if names is None:
        names = _names[i] = {"shift": f"u_x{i}_shift", "texels": f"u_x{i}_texels",
                             "inner": f"u_x{i}_inner", "extent": f"u_x{i}_extent",
                             "strides": f"u_x{i}_strides", "offset": f"u_x{i}_offset"}
    return names


_names = {}
_PARAMS = tuple(f"u_p{slot}" for slot in range(16))


def set_uniforms(prog, accesses, out_shape, out_layout, inputs_layouts, params):
    """Every uniform of one launch. The caller decides when that is needed: backend.elementwise
    keeps the program's launch_key and skips this call when the key says nothing
    changed."""
    put = prog.set
    put("u_out_shift", out_layout.shift)
    put("u_out_size", out_layout.size)
    if any(a.mode == "strided" for a in accesses):
        put("u_out_dims", tuple(int(d) for d in out_shape) or (1,))
    for i, access in enumerate(accesses):
        names = _uniform_names(i)
        put(names["shift"], inputs_layouts[i].shift)
        for name, value in access.uniforms.items():
            put(names.get(name) or f"u_x{i}_{name}", value)
    for slot, value in params.items():
        put(_PARAMS[slot] if slot < len(_PARAMS) else f"u_p{slot}", float(value))
