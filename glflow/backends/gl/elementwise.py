"""Generate and run elementwise passes: kernel functions from shaders/<name>.glsl composed into
the template shaders/templates/elementwise.frag.

An expression is a tree of kernel calls over inputs, so a single op and a fused chain
(graph mode) are the same thing to this module:
    ("in", 0)                                       input 0
    ("call", "add", [("in", 0), ("in", 1)], (0,))   k_add(x0, x1) with float params slots
A call may carry a fifth item, its dtype (graph mode's fusion notes it for the numpy twin);
GL computes every dtype in float32, so the generated source ignores it.
Argument lists may be tuples or lists; tuples make the tree hashable, so `plan` finds its cached
source with one dict lookup (lists are frozen to tuples on each call: 1.2 us instead of 0.4).
"""
import functools

from ...runtime import registry as kernels
from .programs import load

MARK_DECL = "//@DECLARATIONS"
MARK_FUNC = "//@FUNCTIONS"
MARK_LOAD = "//@LOADS"


@functools.lru_cache(maxsize=1024)
def call(kernel, n_inputs, n_params=0):
    """The expression tree of one kernel applied to inputs 0..n-1 with param slots 0..p-1.
    Tuples all the way down: hashable, so a launch finds its cached program in one lookup;
    cached, since the same few trees are asked for on every op."""
    return ("call", kernel, tuple(("in", i) for i in range(n_inputs)), tuple(range(n_params)))


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


def calls_in(expr, acc=None):
    acc = [] if acc is None else acc
    if expr[0] == "call":
        for arg in expr[2]:
            calls_in(arg, acc)
        acc.append(expr[1])
    return acc


def params_in(expr, acc=None):
    acc = [] if acc is None else acc
    if expr[0] == "call":
        for arg in expr[2]:
            params_in(arg, acc)
        acc.extend(expr[3])
    return acc


def glsl_expression(expr, shared=None):
    if expr[0] == "in":
        return f"x{expr[1]}"
    if shared and expr in shared:
        return shared[expr]
    args = [glsl_expression(a, shared) for a in expr[2]] + [f"u_p{slot}" for slot in expr[3]]
    return f"k_{expr[1]}({', '.join(args)})"


def shared_subtrees(expr):
    """GLSL temporaries for calls that occur more than once in the tree (graph mode fuses a
    value read twice by one node as one subtree used twice): [(name, statement)] in
    evaluation order, and {subtree: name}. Each is computed once, and the source stays linear
    in the tree's size instead of doubling with every repeat."""
    counts = {}

    def count(e):
        if e[0] != "call":
            return
        counts[e] = counts.get(e, 0) + 1
        if counts[e] == 1:
            for a in e[2]:
                count(a)
    count(expr)
    shared, statements = {}, []

    def emit(e):
        if e[0] != "call" or e in shared:
            return
        for a in e[2]:
            emit(a)
        if counts[e] > 1:
            name = f"t{len(statements)}"
            statements.append(f"    vec4 {name} = {glsl_expression(e, shared)};")
            shared[e] = name
    emit(expr)
    return statements, shared


def _load_code(i, access, out_rank):
    """Declarations and load statement for input i under its access pattern."""
    s = f"u_x{i}"
    decl = [f"uniform sampler2D {s};", f"uniform int {s}_shift;"]
    mode = access.mode
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


def build_source(expr, accesses, out_rank):
    """Fragment source (without #version) for `expr` over inputs read with `accesses`."""
    expr = freeze(expr)  # hashable: shared_subtrees counts subtrees in a dict
    decls, loads = [], []
    if any(a.mode == "strided" for a in accesses):
        decls.append(f"uniform int u_out_dims[{max(out_rank, 1)}];")
    for i, access in enumerate(accesses):
        d, code = _load_code(i, access, out_rank)
        decls += d
        loads.append(code)
    decls += [f"uniform float u_p{slot};" for slot in sorted(set(params_in(expr)))]
    body = load("templates/elementwise.frag")
    body = body.replace(MARK_DECL, "\n".join(decls))
    body = body.replace(MARK_FUNC, kernel_functions(dict.fromkeys(calls_in(expr))))
    temporaries, shared = shared_subtrees(expr)
    body = body.replace(MARK_LOAD, "\n".join(loads + temporaries))
    body = body.replace("RESULT_EXPRESSION", glsl_expression(expr, shared))
    return load("templates/common.glsl") + "\n" + body


def prologue_source(expr, accesses, rank):
    """GLSL of a reduction's elementwise prologue (graph mode): `vec4 prologue_texel(int t)`
    evaluates `expr` at texel t of the reduced input, its inputs read with `accesses`
    relative to that input's shape, through uniforms u_in_shift, u_in_size (u_in_dims when
    strided) and the inputs' u_x{i}_*. The reduction template supplies main()."""
    expr = freeze(expr)
    decls, loads = ["uniform int u_in_shift;", "uniform int u_in_size;"], []
    if any(a.mode == "strided" for a in accesses):
        decls.append(f"uniform int u_in_dims[{max(rank, 1)}];")
    for i, a in enumerate(accesses):
        d, code = _load_code(i, a, rank)
        decls += d
        loads.append(code)
    decls += [f"uniform float u_p{slot};" for slot in sorted(set(params_in(expr)))]
    temporaries, shared = shared_subtrees(expr)
    head = [kernel_functions(dict.fromkeys(calls_in(expr))), "vec4 prologue_texel(int t) {",
            "    ivec2 frag = texel_coord(t, u_in_shift);", "    int e0 = t << 2;"]
    tail = [f"    return {glsl_expression(expr, shared)};", "}"]
    text = "\n".join(decls + head + loads + temporaries + tail)
    return text.replace("u_out_size", "u_in_size").replace("u_out_dims", "u_in_dims")


class Plan:
    """Everything a launch of one (expression, access patterns, rank) needs that does not
    depend on sizes, built once: regenerating the source for every op cost 8 us (timeit, an
    add), twice the raw draw it feeds; finding the plan costs 0.4 us."""
    __slots__ = ("source", "samplers", "kernels")

    def __init__(self, expr, accesses, out_rank):
        self.source = build_source(expr, accesses, out_rank)
        self.samplers = tuple(_SAMPLERS[i] if i < len(_SAMPLERS) else f"u_x{i}"
                              for i in range(len(accesses)))
        self.kernels = tuple(calls_in(expr))


_plans = {}
PLAN_CAPACITY = 4096   # plans are small; past this many (generated fusions) start afresh
_SAMPLERS = tuple(f"u_x{i}" for i in range(16))


def freeze(expr):
    """The same expression tree with tuples only (hashable)."""
    if expr[0] == "in":
        return tuple(expr)
    return ("call", expr[1], tuple(freeze(a) for a in expr[2]), tuple(expr[3])) + tuple(expr[4:])


def plan(expr, accesses, out_rank):
    """The cached Plan for `expr` read through `accesses` into an output of rank out_rank."""
    key = (expr, tuple(a.key for a in accesses), out_rank)
    try:
        found = _plans.get(key)
    except TypeError:  # argument lists: freeze them
        expr = freeze(expr)
        key = (expr, key[1], out_rank)
        found = _plans.get(key)
    if found is None:
        found = Plan(expr, accesses, out_rank)
        if len(_plans) >= PLAN_CAPACITY:
            _plans.clear()
        _plans[key] = found
    return found


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
    keeps the program's launch_key and skips this call (~2 us) when the key says nothing
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
