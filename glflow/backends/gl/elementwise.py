"""Generate and run elementwise passes: kernel functions from shaders/<name>.glsl composed into
the template shaders/templates/elementwise.frag.

An expression is a tree of kernel calls over inputs, so a single op and a fused chain
(graph mode) are the same thing to this module:
    ("in", 0)                                       input 0
    ("call", "add", [("in", 0), ("in", 1)], (0,))   k_add(x0, x1) with float params slots
"""
from ... import kernels
from .programs import load

MARK_DECL = "//@DECLARATIONS"
MARK_FUNC = "//@FUNCTIONS"
MARK_LOAD = "//@LOADS"


def kernel_functions(names):
    """GLSL of the named kernels and of the kernels they require, each once, dependencies first."""
    seen, out = set(), []

    def visit(name):
        if name in seen:
            return
        seen.add(name)
        for dep in kernels.get(name).requires:
            visit(dep)
        out.append(load(f"{name}.glsl").strip())
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


def glsl_expression(expr):
    if expr[0] == "in":
        return f"x{expr[1]}"
    args = [glsl_expression(a) for a in expr[2]] + [f"u_p{slot}" for slot in expr[3]]
    return f"k_{expr[1]}({', '.join(args)})"


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
    body = body.replace(MARK_LOAD, "\n".join(loads))
    body = body.replace("RESULT_EXPRESSION", glsl_expression(expr))
    return load("templates/common.glsl") + "\n" + body


def set_uniforms(prog, accesses, out_shape, out_layout, inputs_layouts, params):
    prog.set("u_out_shift", out_layout.shift)
    prog.set("u_out_size", out_layout.size)
    if any(a.mode == "strided" for a in accesses):
        prog.set("u_out_dims", tuple(int(d) for d in out_shape) or (1,))
    for i, (access, lay) in enumerate(zip(accesses, inputs_layouts)):
        prog.set(f"u_x{i}_shift", lay.shift)
        for name, value in access.uniforms.items():
            prog.set(f"u_x{i}_{name}", value)
    for slot, value in params.items():
        prog.set(f"u_p{slot}", float(value))
