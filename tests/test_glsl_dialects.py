"""Every shader the GL backend compiles is valid as GLSL 3.30 core (desktop GL) and as GLSL ES
3.00 (WebGL2), validated by glslangValidator (docs/architecture.md, "Shader dialects": shaders
compile in both dialects).

Sources are gathered two ways:
- generated for every registered elementwise kernel (each access pattern and rank) and every
  reduce kernel (each variant), so a new kernel is validated without editing this file;
- recorded from ProgramCache.get while a workload runs every "special" kernel (matmul, gather,
  conv2d, ...); the test fails if a registered special kernel is missing from the workload.
The runtime prepends the #version line; precision qualifiers come from templates/common.glsl,
which ES needs (fragment shaders there have no default float precision)."""
import itertools
import shutil
import subprocess

import numpy as np
import pytest

import glflow as gf
from glflow.backends.gl import conv_direct, conv_filter_grad, matmul
from glflow.tensor import tensors_in
from glflow.runtime import counters
from glflow.runtime import registry as kernels
from glflow.backends.gl import access, elementwise, reduction as gl_reduce
from glflow.backends.gl.context import IMAGE_INPUTS
from glflow.backends.gl.programs import VERSION_CORE, VERSION_ES, ProgramCache, header, load
from glflow.runtime import state
from glflow.backends.gl.elementwise import call
from glflow.ops.linalg import ACTIVATIONS

DIALECTS = {"330 core": VERSION_CORE, "300 es": VERSION_ES}


def validator():
    path = shutil.which("glslangValidator")
    if path is None:
        pytest.fail("glslangValidator is not installed: install the glslang-tools package "
                    "(ci/setup --dev does), e.g. apt-get install glslang-tools")
    return path


def validate(sources, stage, tmp_path, dialects=DIALECTS):
    """{label: source without #version} -> list of failures, one glslangValidator run per
    dialect (it validates each file on its own and names the file in its messages)."""
    failures = []
    for dialect, version in dialects.items():
        folder = tmp_path / dialect.replace(" ", "_")
        folder.mkdir()
        files = {}
        for n, (label, text) in enumerate(sorted(sources.items())):
            path = folder / f"s{n:04d}.{stage}"
            path.write_text(version + text)
            files[str(path)] = label
        done = subprocess.run([validator(), *files], capture_output=True, text=True)
        if done.returncode == 0:
            continue
        current = None
        for line in done.stdout.splitlines():
            if line.strip() in files:
                current = files[line.strip()]
            elif "ERROR" in line and current is not None:
                failures.append(f"[{dialect}] {current}: {line.strip()}")
        if not failures:
            failures.append(f"[{dialect}] glslangValidator failed:\n{done.stdout}{done.stderr}")
    return failures


# --------------------------------------------------------------------------- generated sources

def elementwise_sources(images=0):
    """Generated elementwise sources; `images`: same-layout inputs among the first `images`
    read through image units (desktop GL only: programs.header adds the extension)."""
    out = {}
    same = access.SAME
    for k in kernels.REGISTRY.values():
        if k.pattern == kernels.ELEMENTWISE and k.name != "fused":
            n = elementwise.arity(k.name)
            out[f"elementwise {k.name}"] = elementwise.build_source(
                call(k.name, n, len(k.params)), [same] * n, 2, images)
    # every access pattern the generator knows, at every rank it is used with
    patterns = [access.SAME, access.SCALAR, access.Access("tile", uniforms={"texels": 2}),
                access.Access("block4", uniforms={"inner": 4, "extent": 3}),
                access.Access("block", uniforms={"inner": 3, "extent": 5})]
    for rank in range(1, 7):
        patterns.append(access.strided((2,) * rank, (1,) * rank, 0))
    for rank in range(0, 7):
        for p in patterns:
            if p.mode == "strided" and p.rank != rank:
                continue
            out[f"access {p.mode} rank {rank}"] = elementwise.build_source(
                call("add", 2), [p, access.SAME], rank, images)
    # a fused chain with a float parameter (graph-mode fusion composes kernel functions), with
    # one output and with three (render targets)
    ops = (("add", (("in", 0), ("in", 1)), (), "float32"), ("fill", (), (0,), "float32"),
           ("mul", (("t", 0), ("t", 1)), (), "float32"), ("greater", (("t", 2), ("in", 0)),
                                                          (), "bool"))
    out["fused add-mul"] = elementwise.build_source((ops, (("t", 2),)),
                                                    [access.SAME, access.SCALAR], 2, images)
    out["fused three outputs"] = elementwise.build_source(
        (ops, (("t", 0), ("t", 2), ("t", 3))), [access.SAME, access.SCALAR], 2, images)
    # more inputs than image inputs: the rest read through samplers
    many = tuple(("add", (("in", i), ("t", i - 1) if i else ("in", 0)), (), "float32")
                 for i in range(10))
    out["fused ten inputs"] = elementwise.build_source((many, (("t", 9),)), [access.SAME] * 10,
                                                       1, images)
    return out


def reduce_sources():
    return {f"reduce {k.name} {v or 'plain'}": gl_reduce._source(k.name, v)
            for k in kernels.REGISTRY.values() if k.family == "reduction"
            for v in ("", "INNER4", "CONTIG4")}


# --------------------------------------------------------------------------- recorded sources

def special_workload():
    """name -> function running that special kernel (and its gradient kernels) on GL, with
    inputs chosen to take each code path (aligned / unaligned, several modes)."""
    rng = np.random.default_rng(0)

    def t(*shape):
        return gf.tensor(rng.standard_normal(shape).astype(np.float32))

    def idx(values):
        return gf.tensor(np.array(values, np.int32))

    def grad_of(fn, *shapes):
        xs = [t(*s) for s in shapes]
        return gf.grads(lambda *a: gf.sum(fn(*a) * 1.5))(xs)

    def matmuls():
        for (m, k, n) in [(5, 7, 3), (8, 8, 8), (3, 4, 4), (2, 0, 3)]:
            gf.matmul(t(m, k), t(k, n))
            gf.matmul(t(k, m), t(n, k), transpose_a=True, transpose_b=True)
        grad_of(gf.matmul, (2, 3, 5), (5, 4))

    def fused_conv():
        """graph mode's epilogue fusion: conv's direct kernel and im2col, extras read as a
        row of channels, a texel, a scalar and element by element (gl/epilogue.py)"""
        def block(x, k, b, r, s):
            return gf.relu(gf.conv2d(x, k, 1, "same") * s + b) + r
        for cin, cout in ((4, 8), (3, 5)):
            gf.function(block)(t(1, 5, 5, cin), t(3, 3, cin, cout), t(cout), t(1, 5, 5, cout),
                               t(1))
        return gf.function(lambda a, w, c: gf.tanh(a @ w + c))(t(3, 6), t(6, 5), t(3, 1))

    def conv():
        x, f = t(1, 6, 6, 3), t(3, 3, 3, 4)
        gf.conv2d(x, f, 1, "same")
        gf.conv2d(x, t(2, 2, 3, 2), 2, "valid")
        grad_of(lambda a, b: gf.conv2d(a, b, 1, "same"), (1, 5, 5, 2), (3, 3, 2, 3))

    return {
        "fill": lambda: gf.fill([5, 3], 2.5),
        "gather": lambda: (gf.gather(t(5, 3), idx([4, 0, 2]), 0),
                           gf.gather(t(4, 6), idx([1, 5]), 1)),
        "scatter_add": lambda: (gf.scatter_nd(idx([[1], [3], [1]]), t(3, 4), [5, 4]),
                                gf.grad(lambda a: gf.sum(gf.gather(a, idx([1, 1, 0]))))(t(3, 2))),
        "one_hot": lambda: gf.one_hot(idx([0, 3, -1, 2]), 4),
        "pad": lambda: [gf.pad(t(3, 5), [[1, 2], [0, 3]], mode)
                        for mode in ("constant", "reflect", "symmetric")],
        "concat": lambda: (gf.concat([t(2, 4), t(2, 8)], 1), gf.concat([t(2, 3), t(2, 5)], 1),
                           gf.concat([t(3), t(5), t(1)], 0)),
        "matmul": matmuls,
        "band_part": lambda: (gf.band_part(t(4, 5), 1, 0), gf.band_part(t(2, 3, 3), -1, 1)),
        "split": lambda: gf.split(t(4, 6), [1, 3, 2], 1) + gf.unstack(t(3, 5), 0),
        "fused_matmul": lambda: [gf.fused_matmul(t(5, 7), t(7, 3), bias=b, activation=act)
                                 for act in ACTIVATIONS
                                 for b in (None, t(3), t(5, 3))],
        "conv2d": conv,
        "fused_conv2d": fused_conv,
        "max_pool": lambda: grad_of(lambda a: gf.max_pool(a, 2, 2, "valid"), (1, 4, 6, 3)),
        "max_pool_gather": lambda: [grad_of(lambda d: gf.grad(
            lambda a: gf.sum(gf.max_pool(a, 2, 1, "same") * d))(x), shape)
            for x, shape in ((t(1, 3, 5, 3), (1, 3, 5, 3)), (t(1, 3, 4, 4), (1, 3, 4, 4)))],
        "avg_pool": lambda: grad_of(lambda a: gf.avg_pool(a, 3, 1, "same"), (2, 5, 5, 4)),
        "adam_update": lambda: gf.adam_update(t(7), t(7), gf.ones([7]), t(7), 0.01),
        "sgd_momentum_update": lambda: [gf.sgd_momentum_update(t(9), t(9), t(9), 0.1, 0.9, n)
                                        for n in (False, True)],
        "cumsum": lambda: [gf.cumsum(t(3, 9), a, e, r) for a in (0, 1) for e in (False, True)
                           for r in (False, True)] + [gf.cumsum(t(5000), 0)],
        "cumprod": lambda: [gf.cumprod(t(3, 9), a) for a in (0, 1)] + [gf.cumprod(t(4, 8), 0)],
        "argmax": lambda: [gf.argmax(t(*s), a) for s, a in (((5, 7), 1), ((5, 8), 0),
                                                            ((3000,), 0), ((4, 2048), 1))],
        "argmin": lambda: [gf.argmin(t(5, 7), 1), gf.argmin(t(3000), 0)],
        "top_k": lambda: [gf.top_k(t(3, n), k) for n, k in ((7, 2), (13, 13), (130, 40))],
        "softmax": lambda: grad_of(lambda a: gf.softmax(a), (3, 5)) + [gf.softmax(t(2, 8))],
        "log_softmax": lambda: grad_of(lambda a: gf.log_softmax(a), (3, 7)) + [
            gf.log_softmax(t(2, 8))],
        "logsumexp": lambda: [gf.logsumexp(t(4, 9), 1), gf.logsumexp(t(5000)),
                              gf.logsumexp(t(8, 4), 0)],
    }


def recorded_sources(monkeypatch, image_loads=False):
    """Sources the workload compiles; with image loads off, the portable reads both dialects
    take (test_image_load_sources validates what it compiles with them on)."""
    gf.set_backend("gl")
    backend = state.backend()
    backend.set_image_loads(image_loads)
    try:
        return _recorded_sources(monkeypatch)
    finally:
        backend.set_image_loads(True)


def _recorded_sources(monkeypatch):
    seen = {}
    real_get = ProgramCache.get

    def recording_get(self, source, samplers=()):
        seen.setdefault(source, None)
        return real_get(self, source, samplers)
    monkeypatch.setattr(ProgramCache, "get", recording_get)
    before = dict(counters.kernel_counts)
    workload = special_workload()
    for name, run in workload.items():
        result = run()
        for y in tensors_in(result if isinstance(result, (list, tuple)) else [result]):
            y.numpy()
    ran = {k for (b, k), n in counters.kernel_counts.items()
           if b == "gl" and n > before.get((b, k), 0)}
    monkeypatch.undo()
    specials = {k.name for k in kernels.REGISTRY.values()
                if k.pattern != kernels.ELEMENTWISE and k.family != "reduction"}
    missing = sorted(specials - ran)
    assert not missing, (f"special kernels not run by this test's workload (add them to "
                         f"special_workload): {missing}")
    return {f"recorded #{n}": s for n, s in enumerate(seen)}


# --------------------------------------------------------------------------- the tests

def test_validator_is_installed():
    validator()


def test_generated_elementwise_and_reduce_shaders(tmp_path):
    sources = elementwise_sources()
    sources.update(reduce_sources())
    assert len(sources) > 80
    failures = validate(sources, "frag", tmp_path)
    assert not failures, "\n".join(failures[:30])


def test_image_load_sources(tmp_path, monkeypatch):
    """Where the GL has image load/store, same-layout inputs of elementwise passes and the
    input of (pair) reduction and softmax passes are read with imageLoad
    (backends/gl/context.py, "Image loads"): the generated variants and every source the
    workload compiles with image loads on are desktop GLSL with the extension the runtime's
    header enables. (GLFLOW_EXACT's `precise` is GL 4 / gpu_shader5 GLSL, which the
    validator's 3.30 refuses: validated as the runtime's other sources are, without it.)"""
    sources = elementwise_sources(images=IMAGE_INPUTS)
    if state.backend().gl.image_inputs:
        recorded = recorded_sources(monkeypatch, image_loads=True)
        images = {f"{label} (image loads)": text for label, text in recorded.items()
                  if "imageLoad" in text}
        assert any("pair_combine" in t for t in images.values()), "no pair reduction recorded"
        assert any("softmax_apply" in t for t in images.values()), "no softmax recorded"
        sources.update(images)
    assert sum("imageLoad" in text for text in sources.values()) > 80
    sources.update({f"reduce {k.name} {v or 'plain'} image": gl_reduce._source(k.name, v,
                                                                              image=True)
                    for k in kernels.REGISTRY.values() if k.family == "reduction"
                    for v in ("", "INNER4", "CONTIG4")})
    prologue = elementwise.prologue_source(elementwise.call("mul", 2), [access.SAME,
                                                                        access.SCALAR], 2,
                                           IMAGE_INPUTS)
    assert "imageLoad(u_x0" in prologue and "texelFetch(u_x1" in prologue
    sources["reduce_sum with a prologue, image"] = gl_reduce._source("reduce_sum", "", prologue)
    assert "texelFetch(u_x8" in sources["fused ten inputs"]
    dialects = {"330 core image loads": header(False, True)}
    failures = validate(sources, "frag", tmp_path, dialects)
    assert not failures, "\n".join(failures[:30])


def test_every_shader_the_workload_compiles(tmp_path, monkeypatch):
    sources = recorded_sources(monkeypatch)
    # block-row counts and variants the device at hand may not pick (4 render targets)
    for rows, aligned, tiled in itertools.product((4, 8), (False, True), (False, True)):
        sources[f"matmul product {rows} {tiled}"] = matmul._product_source(rows, tiled)
        sources[f"matmul unpack {rows} {aligned} {tiled}"] = matmul._unpack_source(
            rows, aligned, tiled=tiled)
    # the tiled passes of the direct conv and the filter gradient (tests/test_tiling.py runs
    # them under a lowered tile limit)
    for rows, float_div in itertools.product((4, 8), (False, True)):
        sources[f"conv_direct tiled {rows} {float_div}"] = conv_direct._unpack_source(
            rows, float_div, True)
    for co_texels, aligned in itertools.product((1, 2), (False, True)):
        sources[f"filter grad sum tiled {co_texels} {aligned}"] = conv_filter_grad._sum_source(
            co_texels, aligned, True)
    sources["matmul zero fill"] = matmul._common() + matmul._fill_source()
    failures = validate(sources, "frag", tmp_path)
    assert not failures, "\n".join(failures[:30])


def test_vertex_shader(tmp_path):
    failures = validate({"fullscreen.vert": load("templates/fullscreen.vert")}, "vert", tmp_path)
    assert not failures, "\n".join(failures)


def test_a_broken_shader_is_reported(tmp_path):
    """The checker itself: an ES-only error (no default float precision) must be caught."""
    source = "uniform float u;\nout vec4 o;\nvoid main() { o = vec4(u); }\n"
    failures = validate({"no precision": source}, "frag", tmp_path)
    assert any("300 es" in f and "no precision" in f for f in failures), failures
    assert not any("330 core" in f for f in failures), failures
