"""Each graph pass on small traced graphs: what it changes (nodes and kernels before and after)
and that the rewritten graph computes what eager ops compute, on both backends."""
import numpy as np
import pytest

import glflow as gf
from glflow.runtime import state
from glflow.graph import ir, memory_plan
from glflow.graph.executor import Program
from glflow.graph.passes import fold
from glflow.graph.passes.simplify import constant_value

from graph_checks import (BACKENDS, assert_same, backend, eager, gl_is_exact, kernels, one_pass,
                          run, trace)

RNG = np.random.default_rng(3)


def data(*shape):
    return RNG.standard_normal(shape).astype(np.float32)


def check(name, fn, arrays, pass_name, kernels_after, rtol=0.0):
    """Trace fn, run one pass (then dce, which drops what it left unread), compare kernel
    names and results with eager."""
    with backend(name):
        graph = trace(fn, *arrays)
        changes = one_pass(pass_name, graph)
        one_pass("dce", graph)
        assert kernels(graph) == kernels_after
        assert_same(run(graph, *arrays), eager(fn, *arrays), rtol=rtol, atol=rtol)
        return graph, changes


# --------------------------------------------------------------------------- simplify

@pytest.mark.parametrize("name", BACKENDS)
def test_simplify_identities(name):
    def f(x):
        y = (x * 1.0 + 0.0) / 1.0 - 0.0
        return 1.0 * (0.0 + (-(-y)))
    graph, changes = check(name, f, [data(3, 4)], "simplify", [])
    assert changes == 7
    assert graph.outputs[0] is graph.inputs[0].output


def test_simplify_keeps_a_broadcasting_identity():
    def f(x):
        return x * gf.ones([2, 3])  # x is [3]: the product is a bigger tensor
    with backend("cpu"):
        graph = trace(f, data(3))
        one_pass("fold", graph)     # ones([2, 3]) is a constant now
        assert one_pass("simplify", graph) == 0
        assert kernels(graph) == ["mul"]


@pytest.mark.parametrize("name", BACKENDS)
def test_simplify_reassociates_scalar_constants_where_exact(name):
    def f(x):
        return (x * 2.0) * 3.0, (x * 0.75) * 0.5, (x * 3.0) * 0.1, (x + 1.0) + 2.0
    graph, changes = check(name, f, [data(5)], "simplify", ["mul", "mul", "mul", "mul",
                                                            "add", "add"])
    assert changes == 2  # * 2 and * 0.5 are exact; * 3 * 0.1 and + 1 + 2 would round anew
    firsts = [constant_value(graph.outputs[i].node.inputs[1]) for i in (0, 1)]
    assert firsts == [6.0, 0.375]
    assert graph.outputs[0].node.inputs[0] is graph.inputs[0].output


def test_simplify_leaves_a_shared_inner_product():
    def f(x):
        y = x * 2.0
        return y * 3.0, y   # y is read twice: folding would not save its kernel
    with backend("cpu"):
        graph = trace(f, data(4))
        assert one_pass("simplify", graph) == 0


@pytest.mark.parametrize("name", BACKENDS)
def test_simplify_movement_chains(name):
    def f(x):
        a = gf.reshape(gf.reshape(x, [6, 4]), [2, 12])
        t = gf.transpose(gf.transpose(x, [1, 2, 0]), [2, 0, 1])   # the identity
        u = gf.transpose(gf.transpose(x, [1, 0, 2]), [0, 2, 1])   # one transpose
        return a, t, u
    x = data(2, 3, 4)
    with backend(name):
        graph = trace(f, x)
        assert kernels(graph) == ["transpose"] * 4
        assert one_pass("simplify", graph) == 3
        one_pass("dce", graph)
        assert kernels(graph) == ["transpose"]
        assert graph.outputs[1] is graph.inputs[0].output
        reshapes = [n for n in graph.nodes if n.is_alias]
        assert len(reshapes) == 1 and reshapes[0].inputs[0] is graph.inputs[0].output
        assert_same(run(graph, x), eager(f, x))


# --------------------------------------------------------------------------- fold

@pytest.mark.parametrize("name", BACKENDS)
def test_fold_constants(name):
    c = np.arange(6, dtype=np.float32).reshape(2, 3)

    def f(x):
        k = gf.exp(gf.tensor(c) * 0.5) + gf.ones([2, 3])   # constants only: folded
        return x * k
    graph, changes = check(name, f, [data(2, 3)], "fold", ["mul"])
    assert changes == 4  # mul, exp, fill, add
    assert sum(1 for n in graph.nodes if n.kind == ir.CONST) >= 1


def test_fold_leaves_large_results_and_random_draws():
    def f(x):
        big = gf.zeros([fold.FOLD_LIMIT + 1])
        noise = gf.random_uniform([3], seed=4)
        return x + noise, big
    with backend("cpu"):
        graph = trace(f, data(3))
        assert one_pass("fold", graph) == 0
        assert kernels(graph) == ["fill", "add"]
        assert any(n.kind == ir.HOST and n.stateful for n in graph.nodes)


# --------------------------------------------------------------------------- cse

@pytest.mark.parametrize("name", BACKENDS)
def test_cse_merges_repeats(name):
    def f(x, y):
        a = gf.sin(x) + gf.matmul(x, y)
        b = gf.sin(x) + gf.matmul(x, y)
        return a * b
    graph, changes = check(name, f, [data(3, 3), data(3, 3)], "cse", ["sin", "matmul", "add",
                                                                      "mul"])
    assert changes == 3


def test_cse_keeps_random_draws_apart():
    @gf.function
    def two(x):
        return x + gf.random_uniform([1000]), x + gf.random_uniform([1000])

    a, b = two(gf.tensor(np.zeros(1000, np.float32)))
    assert not np.array_equal(a.numpy(), b.numpy())
    assert sum(1 for n in two.graph.nodes if n.kind == ir.HOST) == 2


# --------------------------------------------------------------------------- dce

@pytest.mark.parametrize("name", BACKENDS)
def test_dce_drops_unread_nodes(name):
    def f(x):
        gf.exp(x) * 2.0          # computed, never used
        return gf.abs(x)
    with backend(name):
        graph = trace(f, data(4))
        assert one_pass("dce", graph) == 3  # exp, mul and the constant 2
    check(name, f, [data(4)], "dce", ["abs"])


def test_dce_keeps_effects_and_variable_writes():
    v = gf.Variable(np.zeros(2, np.float32))
    seen = []

    def f(x):
        v.assign(x * 2.0)
        gf.ops._host.host_call("note", lambda a: seen.append(a.copy()) or [], [x], [],
                               effect=True)
        gf.sin(x)
        return gf.identity(x)
    with backend("cpu"):
        graph = trace(f, data(2))
        assert one_pass("dce", graph) == 1  # only sin
        assert [n.kind for n in graph.nodes if n.kind == ir.HOST] == [ir.HOST]
        x = data(2)
        run(graph, x)
        np.testing.assert_array_equal(v.numpy(), x * 2.0)
        np.testing.assert_array_equal(seen[0], x)


# epilogue fusion: test_graph_epilogue.py

# --------------------------------------------------------------------------- elementwise fusion

@pytest.mark.parametrize("name", BACKENDS)
def test_fusion_of_a_chain_writes_a_value_read_elsewhere_as_a_second_output(name):
    def f(x, b):
        h = gf.tanh(x * 0.5 + b)       # b broadcasts: [4] into [3, 4]
        s = gf.sigmoid(h) - h * h      # h is read three times: computed once
        return s, gf.exp(-s)           # s is returned and read by neg: an output of the pass
    x, b = data(3, 4), data(4)
    with backend(name):
        graph = trace(f, x, b)
        assert len(graph.kernel_nodes()) == 8
        assert one_pass("fuse_elementwise", graph) == 1
        assert kernels(graph) == ["fused"]
        node = graph.kernel_nodes()[0]
        assert node.outputs == graph.outputs and len(node.inputs) == 2
        assert_same(run(graph, x, b), eager(f, x, b))


@pytest.mark.parametrize("name", BACKENDS)
def test_fusion_shares_a_value_read_twice_in_one_tree(name):
    def f(x):
        y = x * x                        # after cse one node, read by add and by neg
        return y + -(x * x) + gf.tanh(y)
    x = data(2, 5)
    with backend(name):
        graph = trace(f, x)
        one_pass("cse", graph)
        one_pass("fuse_elementwise", graph)
        assert kernels(graph) == ["fused"]
        ops = graph.kernel_nodes()[0].attrs["program"][0]
        assert [op[0] for op in ops] == ["mul", "neg", "add", "tanh", "add"]
        assert ops[1][1] == ops[3][1] == (("t", 0),)      # neg and tanh read the one mul
        assert_same(run(graph, x), eager(f, x))
        if name == "gl":  # the shader computes the shared product once, in a temporary
            program = Program(graph, state.backend())
            source = program.steps[0].launch.source.split("void main()")[1]
            assert source.count("k_mul(") == 1 and "EXACT vec4 y0 = k_mul(x0, x0);" in source


@pytest.mark.parametrize("name", BACKENDS)
def test_fusion_reads_transposed_and_broadcast_leaves(name):
    def f(x, y):
        return gf.relu(gf.transpose(x) * 2.0 + y) - gf.transpose(x)
    x, y = data(4, 3), data(1, 4)
    graph, changes = check(name, f, [x, y], "fuse_elementwise", ["fused"])
    node = graph.kernel_nodes()[0]
    assert changes == 1 and len(node.inputs) == 2  # x is read once, through its view
    assert node.attrs["views"][0].strides == (1, 3)


@pytest.mark.parametrize("name", BACKENDS)
def test_fusion_splits_trees_past_the_input_limit(name):
    count = 20

    def f(*xs):
        total = xs[0]
        for x in xs[1:]:
            total = total * 0.5 + x
        return total
    arrays = [data(7) for _ in range(count)]
    with backend(name):
        graph = trace(f, *arrays)
        one_pass("fuse_elementwise", graph)
        assert all(len(n.inputs) <= 12 for n in graph.kernel_nodes())
        assert len(graph.kernel_nodes()) == 2
        rtol = 0.0 if name == "cpu" else 1e-6
        assert_same(run(graph, *arrays), eager(f, *arrays), rtol=rtol, atol=rtol)


@pytest.mark.parametrize("name", BACKENDS)
def test_fusion_counts_a_sampler_per_view_of_one_value(name):
    # 20 windows of one input (slices fuse as strided views): one value, 20 samplers; a
    # single kernel of them all failed to link on GL ("too many texture samplers")
    def f(x):
        y = x[:, 0:16]
        for k in range(1, 20):
            y = gf.maximum(y, x[:, k:k + 16])
        return y
    x = data(3, 36)
    with backend(name):
        graph = trace(f, x)
        one_pass("fuse_elementwise", graph)
        nodes = graph.kernel_nodes()
        assert len(nodes) > 1
        assert all(len(n.inputs) <= 12 for n in nodes)
        assert_same(run(graph, x), eager(f, x))


@pytest.mark.parametrize("name", BACKENDS)
def test_fusion_keeps_intermediate_dtypes(name):
    def f(x):
        n = gf.cast(x * 3.7, "int32")           # truncates: an int32 intermediate
        return gf.cast(n, "float32") / 2.0, gf.greater(x, 0.0) & gf.less(x, 1.0)
    x = data(11)
    graph, _ = check(name, f, [x], "fuse_elementwise", ["fused", "fused"])


# --------------------------------------------------------------------------- prologue fusion

@pytest.mark.parametrize("name", BACKENDS)
def test_prologue_fusion_into_reductions(name):
    def f(x, y, t):
        return (gf.sum(x * y, axis=1),                          # y broadcasts: [13] into [7, 13]
                gf.max(gf.exp(x) - 1.0),                         # scalar constant, all axes
                gf.sum(gf.square(x - gf.transpose(t)), axis=0),  # a transposed leaf
                gf.any(x > 2.0, axis=1, keepdims=True),          # bool in, reduce_any
                gf.prod(x * 0.5 + 1.0, axis=[0, 1]))
    arrays = [data(7, 13), data(13), data(13, 7)]
    with backend(name):
        graph = trace(f, *arrays)
        one_pass("fuse_elementwise", graph)
        assert one_pass("fuse_prologue", graph) == 5
        one_pass("dce", graph)
        assert kernels(graph) == ["reduce_sum", "reduce_max", "reduce_sum", "reduce_any",
                                  "reduce_prod"]
        assert_same(run(graph, *arrays), eager(f, *arrays))


def test_prologue_fusion_leaves_values_read_elsewhere():
    def f(x):
        y = gf.exp(x)
        return gf.sum(y), y
    with backend("cpu"):
        graph = trace(f, data(5))
        assert one_pass("fuse_prologue", graph) == 0


# --------------------------------------------------------------------------- memory plan

def test_memory_plan_shares_buffers_by_liveness():
    lt = memory_plan.Lifetime
    placed, classes = memory_plan.assign([
        lt("a", "k", 0, 1), lt("b", "k", 1, 2), lt("c", "k", 2, 3), lt("d", "other", 2, 2),
        lt("e", "k", 3, 3)])
    # a dies after step 1, so c (made at 2) takes its buffer; b is read at 2, so not b's;
    # e is made at 3 while c is read at 3: it takes b's. d has a class of its own.
    assert placed["c"] == placed["a"] and placed["e"] == placed["b"]
    assert placed["b"] != placed["a"] and classes.count("k") == 2
    assert classes[placed["d"]] == "other"


def test_compiled_graph_plans_its_intermediates():
    @gf.function
    def f(x, w):
        h = x @ w               # matmul makes its own output from the pool
        a = gf.exp(h)           # read by a reduction and by sin: one draw writes a and c,
        c = gf.sin(a) * 2.0     # read by a matmul: both planned buffers
        d = c @ w               # read twice: no epilogue
        g = gf.cos(d) * 2.0     # read by a matmul: planned, in c's buffer (c is dead by then)
        return gf.sum(a) + gf.sum(d) + gf.sum(g @ w)
    args = [gf.tensor(data(64, 32)), gf.tensor(data(32, 32))]
    want = f.python_function(*args).numpy()
    # exact where GLSL has `precise`; elsewhere a * b + c may contract: one rounding less
    np.testing.assert_allclose(f(*args).numpy(), want, rtol=0 if gl_is_exact() else 1e-6)
    program = f.get_concrete_function(*args).program()
    assert len(program.planned) >= 3
    assert len(program._buffer_classes) < len(program.planned)  # some buffer serves twice
