"""Multi-output elementwise fusion (glflow/graph/passes/fuse_elementwise.py): a connected group
of elementwise nodes with several outputs becomes one kernel writing each to a render target
of its own; cheap values read by kernels that cannot share one are duplicated; a group never
swallows a path through another kernel. Rules first, on small traced graphs with kernel counts
before and after, then fused-equals-unfused on hypothesis-drawn programs with several outputs.

Tolerance. numpy (cpu): exact (every op stores its dtype as the unfused kernel does). GL:
exact where GLSL has `precise` (GL_ARB_gpu_shader5: desktop GL 4, llvmpipe), since generated
programs mark their temporaries EXACT (shaders/templates/common.glsl) and so round as ops
run one by one; elsewhere (GLSL ES) a * b + c may become one fused multiply-add, bounded as
in test_graph_fusion_properties.py.
"""
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import glflow as gf
from glflow.graph.passes import fuse_elementwise

from graph_checks import (BACKENDS, assert_same, backend, eager, gl_is_exact, kernels,
                          one_pass, run, trace)

RNG = np.random.default_rng(5)
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "examples"))
import mandelbrot  # noqa: E402


def data(*shape):
    return RNG.standard_normal(shape).astype(np.float32)


def fuse(graph):
    one_pass("fuse_elementwise", graph)
    one_pass("fuse_prologue", graph)
    one_pass("dce", graph)


# --------------------------------------------------------------------------- the rules

@pytest.mark.parametrize("name", BACKENDS)
def test_mandelbrot_step_is_one_kernel_with_three_outputs(name):
    c = mandelbrot.grid(13, 7)
    z = [data(7, 13), data(7, 13), np.zeros((7, 13), np.float32)]
    with backend(name):
        graph = trace(mandelbrot.mandelbrot_step, *c, *z)
        assert len(graph.kernel_nodes()) == 13
        fuse(graph)
        assert kernels(graph) == ["fused"]
        node = graph.kernel_nodes()[0]
        assert node.outputs == graph.outputs and len(node.inputs) == 5
        assert_same(run(graph, *c, *z), eager(mandelbrot.mandelbrot_step, *c, *z))


@pytest.mark.parametrize("name", BACKENDS)
def test_unrolled_mandelbrot_steps_fuse_until_the_op_cap(name, monkeypatch):
    def steps(k):
        def unrolled(c_re, c_im, z_re, z_im, count):
            for _ in range(k):
                z_re, z_im, count = mandelbrot.mandelbrot_step(c_re, c_im, z_re, z_im, count)
            return z_re, z_im, count
        return unrolled
    c = mandelbrot.grid(11, 6)
    z = [np.zeros((6, 11), np.float32)] * 3
    with backend(name):
        graph = trace(steps(8), *c, *z)
        fuse(graph)
        assert kernels(graph) == ["fused"]   # 8 steps, 104 ops: one kernel
        assert len(graph.kernel_nodes()[0].attrs["program"][0]) < 8 * 16
        assert_same(run(graph, *c, *z), eager(steps(8), *c, *z))
        monkeypatch.setattr(fuse_elementwise, "MAX_OPS", 40)  # 3 steps' worth
        graph = trace(steps(8), *c, *z)
        fuse(graph)
        sizes = [len(n.attrs["program"][0]) for n in graph.kernel_nodes()]
        assert len(sizes) >= 3 and max(sizes) <= 40 and set(kernels(graph)) == {"fused"}
        assert_same(run(graph, *c, *z), eager(steps(8), *c, *z))


@pytest.mark.parametrize("name", BACKENDS)
def test_outputs_of_other_shapes_are_other_kernels(name):
    def f(x, b):
        v = gf.exp(b)                    # [5], read by a [5] output and a [3, 5] one
        return v * 2.0, x * v + 1.0
    x, b = data(3, 5), data(5)
    with backend(name):
        graph = trace(f, x, b)
        fuse(graph)
        # exp is no cheap op: stored once, as an output of the [5] kernel
        assert kernels(graph) == ["fused", "fused"]
        shapes = sorted(len(n.outputs) for n in graph.kernel_nodes())
        assert shapes == [1, 2]
        assert_same(run(graph, x, b), eager(f, x, b))


@pytest.mark.parametrize("name", BACKENDS)
def test_a_cheap_value_is_duplicated_where_its_readers_cannot_share_a_kernel(name):
    def f(x, b):
        v = b * 3.0 - 1.0                # cheap: computed by both readers
        return gf.exp(v), x * v
    x, b = data(4, 6), data(6)
    with backend(name):
        graph = trace(f, x, b)
        fuse(graph)
        assert kernels(graph) == ["fused", "fused"]
        assert all(len(n.inputs) <= 2 and len(n.outputs) == 1 for n in graph.kernel_nodes())
        assert_same(run(graph, x, b), eager(f, x, b))


@pytest.mark.parametrize("name", BACKENDS)
def test_a_normalisation_computes_its_centred_value_twice_instead_of_storing_it(name):
    def f(x):
        d = x - gf.mean(x, axis=1, keepdims=True)
        return d * gf.rsqrt(gf.mean(d * d, axis=1, keepdims=True) + 1e-5)
    x = data(6, 9)
    with backend(name):
        graph = trace(f, x)
        before = kernels(graph)
        fuse(graph)
        after = kernels(graph)
        # d is read by the variance's prologue and by the output: each computes it, and no
        # kernel stores it
        assert len(before) == 9 and "sub" in before
        assert after == ["reduce_sum", "reduce_sum", "fused"]
        assert "prologue" in graph.kernel_nodes()[1].attrs
        assert_same(run(graph, x), eager(f, x), rtol=0 if name == "cpu" or gl_is_exact()
                    else 1e-6, atol=0 if name == "cpu" or gl_is_exact() else 1e-6)


@pytest.mark.parametrize("name", BACKENDS)
def test_no_group_swallows_a_path_through_another_kernel(name):
    def f(x):
        y = gf.sigmoid(x)                # not cheap: stored
        return y * gf.sum(y), y + 1.0    # y * sum(y) cannot run in y's pass
    x = data(5, 4)
    with backend(name):
        graph = trace(f, x)
        fuse(graph)
        # y is stored (the sum needs it before y * sum(y) can run); its two readers, siblings
        # of one shape, share the last pass
        assert kernels(graph) == ["sigmoid", "reduce_sum", "fused"]
        assert len(graph.kernel_nodes()[2].outputs) == 2
        assert_same(run(graph, x), eager(f, x))


def test_at_most_four_outputs_a_kernel():
    def f(x):
        y = x * 2.0
        return tuple(y + float(k) for k in range(6))
    with backend("cpu"):
        graph = trace(f, data(3, 3))
        fuse(graph)
        assert all(len(n.outputs) <= fuse_elementwise.MAX_OUTPUTS
                   for n in graph.kernel_nodes())
        assert len(graph.kernel_nodes()) == 2
        assert_same(run(graph, data(3, 3) * 0), eager(f, data(3, 3) * 0))


@pytest.mark.parametrize("name", BACKENDS)
def test_compiled_multi_output_kernels_plan_their_buffers(name):
    with backend(name):
        @gf.function
        def f(x, w):
            y = gf.tanh(x * 0.5)
            a, b = y * y, y + 1.0        # both read by matmuls: a two-output kernel
            return gf.sum((a @ w) * (b @ w))
        args = [gf.tensor(data(16, 8)), gf.tensor(data(8, 8))]
        want = f.python_function(*args).numpy()
        np.testing.assert_array_equal(f(*args).numpy(), want)
        program = f.get_concrete_function(*args).program()
        fused = [s for s in program.steps if s.node.name == "fused"]
        assert len(fused) == 1 and len(fused[0].outs) == 2 and fused[0].into == (name == "gl")
        names = gf.profile(lambda: f(*args)).kernel_names
        assert names.count("fused") == 1
        np.testing.assert_array_equal(f(*args).numpy(), want)   # the planned buffers again


# --------------------------------------------------------------------------- properties

SETTINGS = settings(max_examples=25, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow])
UNARY = ("neg", "abs", "tanh", "sigmoid", "relu", "square", "exp")
BINARY = ("add", "sub", "mul", "maximum", "minimum")
SHAPES = hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=1, max_dims=2, min_side=1,
                                           max_side=5)


@st.composite
def programs(draw):
    """Inputs x0 (the output shape) and x1 (broadcasts into it), 3-9 steps each making a value
    from earlier ones (unary, binary, a constant, or v * sum(w): a path through a reduction),
    and 2-3 of the values returned."""
    shapes = draw(SHAPES)
    full = shapes.result_shape
    arrays = [draw(hnp.arrays(np.float32, full, elements=st.floats(-2, 2, width=32))),
              draw(hnp.arrays(np.float32, shapes.input_shapes[1],
                              elements=st.floats(-2, 2, width=32)))]
    steps = []
    for k in range(draw(st.integers(3, 9))):
        known = 2 + k
        kind = draw(st.sampled_from(("unary", "binary", "binary", "const", "sum")))
        if kind == "unary":
            steps.append(("unary", draw(st.sampled_from(UNARY)), draw(st.integers(0, known - 1))))
        elif kind == "const":
            steps.append(("const", draw(st.sampled_from(BINARY)), draw(st.integers(0, known - 1)),
                          draw(st.floats(-2, 2, width=32))))
        else:
            steps.append((kind, draw(st.sampled_from(BINARY)), draw(st.integers(0, known - 1)),
                          draw(st.integers(0, known - 1))))
    made = list(range(2, 2 + len(steps)))
    outputs = draw(st.lists(st.sampled_from(made), min_size=2, max_size=3, unique=True))
    return steps, outputs, arrays


def evaluate(steps, outputs, xs):
    values = list(xs)
    for step in steps:
        if step[0] == "unary":
            values.append(getattr(gf, step[1])(values[step[2]]))
        elif step[0] == "const":
            values.append(getattr(gf, step[1])(values[step[2]], step[3]))
        elif step[0] == "binary":
            values.append(getattr(gf, step[1])(values[step[2]], values[step[3]]))
        else:
            values.append(gf.mul(values[step[2]], gf.sum(values[step[3]])))
    return tuple(values[i] for i in outputs)


def check(name, steps, outputs, arrays):
    with backend(name):
        xs = [gf.tensor(a) for a in arrays]
        want = evaluate(steps, outputs, xs)
        eager_kernels = len(gf.profile(lambda: evaluate(steps, outputs, xs)).kernel_names)
        f = gf.function(lambda *ts: evaluate(steps, outputs, ts))
        got = f(*xs)
        assert len(gf.profile(lambda: f(*xs)).kernel_names) <= eager_kernels
        for g, w in zip(got, want):
            assert g.shape == w.shape and g.dtype == w.dtype
            if name == "cpu" or gl_is_exact():
                np.testing.assert_array_equal(g.numpy(), w.numpy())
            else:   # contractions, as test_graph_fusion_properties.py bounds them
                scale = max(1.0, float(np.max(np.abs(w.numpy()), initial=0.0)))
                np.testing.assert_allclose(g.numpy(), w.numpy(), rtol=1e-5, atol=1e-5 * scale)


@SETTINGS
@given(programs())
def test_multi_output_fused_equals_unfused_cpu(case):
    check("cpu", *case)


@SETTINGS
@given(programs())
def test_multi_output_fused_equals_unfused_gl(case):
    check("gl", *case)


@pytest.mark.parametrize("name", BACKENDS)
def test_the_fused_kernel_runs_several_outputs_through_backend_run(name):
    """backend.run("fused") with a program of two outputs (compiled graphs reach it through
    prepare; this is the plain entry point) writes both, each in its op's dtype."""
    program = ((("mul", (("in", 0), ("in", 1)), (), "float32"),
                ("greater", (("t", 0), ("in", 1)), (), "bool")), (("t", 0), ("t", 1)))
    x, y = data(3, 5), data(5)
    with backend(name) as b:
        handles = [(b.upload(a), a.shape) for a in (x, y)]
        outs = b.run("fused", handles, ((3, 5), (3, 5)), "float32",
                     {"program": program, "params": ()})
        got = [b.read(h, (3, 5), d) for h, d in zip(outs, ("float32", "bool"))]
    np.testing.assert_array_equal(got[0], x * y)
    np.testing.assert_array_equal(got[1], x * y > y)


def test_two_groups_never_wait_on_each_other():
    """A Keras train step where a two-output group reads what a reduction of another group's
    output makes: checked one by one, both groups had no path out and back, but as kernels
    each waited on the other (a fused kernel reads all its inputs before writing any output).
    Paths are checked with the other groups as the kernels they become."""
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 1, (6, 12)).astype(np.float32)
    y = rng.integers(0, 4, 6).astype(np.int32)
    losses, weights = [], []
    for eager_mode in (False, True):
        gf.set_seed(0)
        model = gf.models.Sequential([gf.layers.Input((12,)),
                                      gf.layers.Dense(8, activation="relu"),
                                      gf.layers.Dense(4, activation="softmax")])
        model.compile(optimizer=gf.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy",
                      metrics=["accuracy"], run_eagerly=eager_mode)
        losses.append([model.train_on_batch(x, y) for _ in range(3)])
        weights.append([w.numpy() for w in model.trainable_weights])
    # the compiled step runs the same kernels in another order (and fused): float32 sums
    np.testing.assert_allclose(np.array(losses[0], np.float64), np.array(losses[1], np.float64),
                               rtol=1e-6)
    for compiled, eager_weights in zip(*weights):
        np.testing.assert_allclose(compiled, eager_weights, rtol=1e-5, atol=1e-6)
