"""Epilogue fusion (glflow/graph/passes/fuse_epilogue.py): the elementwise work on a matmul's or
a conv's result (bias, activation, scaling, a residual add) runs in the pass that writes it.
Kernel counts before and after, results equal to eager on both backends (exact: the epilogue
runs the same kernels' GLSL and numpy twins in the same order, on the same product), the
cases it must leave alone, and gradients through compiled functions unchanged."""
import numpy as np
import pytest

import glflow as gf

from graph_checks import BACKENDS, assert_same, backend, eager, kernels, one_pass, run, trace

RNG = np.random.default_rng(8)


def data(*shape):
    return RNG.standard_normal(shape).astype(np.float32)


def fused(fn, *arrays):
    """Trace fn, fuse as gf.function does (elementwise, then epilogue); kernel names before
    and after, the graph, and its results against eager ones."""
    graph = trace(fn, *arrays)
    before = kernels(graph)
    for name in ("fuse_elementwise", "fuse_epilogue", "fuse_prologue", "dce"):
        one_pass(name, graph)
    assert_same(run(graph, *arrays), eager(fn, *arrays))
    return before, kernels(graph), graph


def epilogue_of(graph):
    node = graph.kernel_nodes()[-1]
    return node, node.attrs["epilogue"]


# --------------------------------------------------------------------------- matmul

@pytest.mark.parametrize("name", BACKENDS)
def test_matmul_takes_bias_activation_scaling_and_a_residual(name):
    def f(x, w, b, r):
        return gf.relu(x @ w + b) * 0.5 + r
    with backend(name):
        before, after, graph = fused(f, data(5, 6), data(6, 7), data(7), data(5, 7))
        assert before == ["matmul", "add", "relu", "mul", "add"] and after == ["fused_matmul"]
        node, epilogue = epilogue_of(graph)
        assert len(node.inputs) == 4 and epilogue["strides"] == ((0, 0, 1), (0, 7, 1))
        assert epilogue["params"] == (0.5,)


@pytest.mark.parametrize("name", BACKENDS)
def test_matmul_takes_each_activation_and_any_alpha(name):
    for act, args in (("sigmoid", ()), ("tanh", ()), ("relu6", ()), ("elu", (0.5,)),
                      ("leaky_relu", (0.1,)), ("gelu", ()), ("softplus", ())):
        def f(x, w):
            return getattr(gf, act)(gf.matmul(x, w), *args)
        with backend(name):
            _, after, _ = fused(f, data(3, 4), data(4, 5))
            assert after == ["fused_matmul"], act


@pytest.mark.parametrize("name", BACKENDS)
def test_batched_matmul_reads_extras_through_batch_row_and_column_strides(name):
    def f(a, b, col, per_batch, scalar):
        return (gf.matmul(a, b) + col) * per_batch - scalar
    arrays = [data(3, 4, 5), data(3, 5, 6), data(4, 1), data(3, 1, 6), data(1)]
    with backend(name):
        _, after, graph = fused(f, *arrays)
        assert after == ["fused_matmul"]
        assert epilogue_of(graph)[1]["strides"] == ((0, 1, 0), (6, 0, 1), (0, 0, 0))


@pytest.mark.parametrize("name", BACKENDS)
def test_a_dense_layer_epilogue_takes_what_follows(name):
    def f(x, w, b, r):
        return gf.fused_matmul(x, w, bias=b, activation="elu") * 2.0 + r   # eager Dense
    with backend(name):
        before, after, graph = fused(f, data(4, 5), data(5, 8), data(8), data(4, 8))
        assert before == ["fused_matmul", "mul", "add"] and after == ["fused_matmul"]
        ops = [op[0] for op in epilogue_of(graph)[1]["program"][0]]
        assert ops == ["add", "elu", "fill", "mul", "add"]


def test_matmul_keeps_what_it_cannot_take():
    def returned(x, w, b):
        z = x @ w
        return gf.relu(z + b), z                          # the product is returned too

    def transposed(x, w):
        return gf.transpose(x @ w) * 2.0                  # read through a view

    def mixed_batch(a, b, s):
        return gf.matmul(a, b) * s                        # s [1, 3, 1, 1]: half a batch group
    with backend("cpu"):
        for fn, arrays in ((returned, [data(2, 3), data(3, 4), data(4)]),
                           (transposed, [data(2, 3), data(3, 4)]),
                           (mixed_batch, [data(2, 3, 4, 5), data(2, 3, 5, 2),
                                          data(1, 3, 1, 1)])):
            _, after, _ = fused(fn, *arrays)
            assert "fused_matmul" not in after, fn.__name__


# --------------------------------------------------------------------------- conv2d

@pytest.mark.parametrize("name", BACKENDS)
@pytest.mark.parametrize("cin, cout", [(4, 8), (3, 5)])   # direct kernel; im2col + matmul
def test_conv_takes_bias_activation_scaling_and_a_residual(name, cin, cout):
    def f(x, k, b, r):
        return gf.relu(gf.conv2d(x, k, 1, "same") * 0.5 + b) + r
    arrays = [data(2, 7, 6, cin), data(3, 3, cin, cout), data(cout), data(2, 7, 6, cout)]
    with backend(name):
        before, after, graph = fused(f, *arrays)
        assert before == ["conv2d", "mul", "add", "relu", "add"] and after == ["fused_conv2d"]
        node, epilogue = epilogue_of(graph)
        assert epilogue["strides"] == ((0, 0, 1), (0, cout, 1))
        assert len(node.inputs) == 4 and node.output.shape == (2, 7, 6, cout)


@pytest.mark.parametrize("name", BACKENDS)
def test_conv_with_strides_dilation_and_a_column_of_pixels(name):
    def f(x, k, b):
        return gf.sigmoid(gf.conv2d(x, k, 2, "valid", dilations=1) - b)
    with backend(name):
        _, after, _ = fused(f, data(1, 9, 9, 8), data(2, 2, 8, 4), data(1))
        assert after == ["fused_conv2d"]


def test_conv_keeps_what_it_cannot_take():
    def squeeze_excite(x, k, s):
        return gf.conv2d(x, k) * s                        # s [N, 1, 1, C]: per image
    with backend("cpu"):
        _, after, _ = fused(squeeze_excite, data(2, 5, 5, 4), data(3, 3, 4, 4),
                            data(2, 1, 1, 4))
        assert after == ["conv2d", "mul"]

        def grouped(x, k, b):
            return gf.relu(gf.conv2d(x, k, groups=2) + b)  # two groups: a transpose between
        _, after, _ = fused(grouped, data(1, 5, 5, 8), data(3, 3, 4, 8), data(8))
        assert "fused_conv2d" not in after


# --------------------------------------------------------------------------- gradients

@pytest.mark.parametrize("name", BACKENDS)
def test_compiled_gradients_equal_eager_ones(name):
    def loss(x, k, b, w, v):
        h = gf.relu(gf.conv2d(x, k, 1, "same") + b)
        h = gf.reshape(h, [2, -1])
        return gf.sum(gf.tanh(h @ w + v))
    arrays = [data(2, 5, 5, 4), data(3, 3, 4, 8), data(8), data(200, 3), data(3)]
    with backend(name):
        tensors = [gf.tensor(a) for a in arrays]
        def grads(*ts):
            return gf.grads(loss)(list(ts))
        want = [g.numpy() for g in grads(*tensors)]
        compiled = gf.function(grads)
        got = [g.numpy() for g in compiled(*tensors)]
        for g, w in zip(got, want):
            np.testing.assert_array_equal(g, w)
        names = gf.profile(lambda: compiled(*tensors)).kernel_names
        eager_names = gf.profile(lambda: grads(*tensors)).kernel_names
        assert "fused_conv2d" in names and "fused_matmul" in names
        assert len(names) < len(eager_names)
