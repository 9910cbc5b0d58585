"""gf.function: tracing, retracing rules, captured Variables, results equal to eager on both
backends, clear errors where a traced function needs values, gradients through a call."""
import numpy as np
import pytest

import glflow as gf
from glflow.graph import ir

from graph_checks import BACKENDS, assert_same, backend

RNG = np.random.default_rng(7)


def data(*shape):
    return RNG.standard_normal(shape).astype(np.float32)


def block(x, w, b):
    h = gf.relu(x @ w + b)
    return gf.tanh(h * 0.5 + 1.0) * 2.0


@pytest.mark.parametrize("name", BACKENDS)
def test_block_equals_eager_and_traces_once(name):
    with backend(name):
        f = gf.function(block)
        x, w, b = data(5, 7), data(7, 3), data(3)
        want = block(gf.tensor(x), gf.tensor(w), gf.tensor(b)).numpy()
        for _ in range(3):
            got = f(gf.tensor(x), gf.tensor(w), gf.tensor(b)).numpy()
            # one fused_matmul and one fused elementwise pass run the same float32 operations
            # as the eager kernels, in the same order; h * 0.5 is exact, so even a fused
            # multiply-add in the fused shader rounds as the separate kernels do
            np.testing.assert_array_equal(got, want)
        assert f.trace_count == 1


def test_retracing_rules():
    calls = []

    @gf.function
    def f(x, scale, flag=True):
        calls.append(scale)  # a Python side effect: runs while tracing only
        return x * scale if flag else x - scale

    x3, x4 = gf.tensor(data(3)), gf.tensor(data(4))
    f(x3, 2.0)
    f(gf.tensor(data(3)), 2.0)             # same shape and dtype, same scalar: no retrace
    assert f.trace_count == 1
    f(x4, 2.0)                              # new shape
    f(x3, 3.0)                              # Python number counts by value
    f(x3, 2.0, flag=False)                  # so does a keyword bool
    f(gf.tensor(np.arange(3, dtype=np.int32)), 2)  # new dtype
    assert f.trace_count == 5
    assert calls == [2.0, 2.0, 3.0, 2.0, 2]
    np.testing.assert_allclose(f(x3, 3.0).numpy(), x3.numpy() * 3.0)
    np.testing.assert_allclose(f(x3, 2.0, flag=False).numpy(), x3.numpy() - 2.0)


def test_variables_are_captured_by_reference_and_assign_writes_them():
    v = gf.Variable(np.array([1.0, 2.0, 3.0], np.float32))
    counter = gf.Variable(np.zeros((), np.float32))

    @gf.function
    def bump(x):
        v.assign(v * x)
        counter.assign_add(1.0)
        return v + 0.0  # reads the new value: traced after the assign

    out = bump(gf.tensor(np.float32(2.0)))
    np.testing.assert_array_equal(out.numpy(), [2.0, 4.0, 6.0])
    np.testing.assert_array_equal(v.numpy(), [2.0, 4.0, 6.0])
    v.assign(np.array([1.0, 1.0, 1.0], np.float32))  # changed outside: the graph reads it
    np.testing.assert_array_equal(bump(gf.tensor(np.float32(3.0))).numpy(), [3.0, 3.0, 3.0])
    assert counter.item() == 2.0 and bump.trace_count == 1


def test_a_first_call_inside_tidy_keeps_the_constants_the_passes_made():
    # w * 2 + 1 is on a captured constant: the fold pass computes it while the first call
    # traces, and the graph keeps the result; the caller's tidy must not dispose it
    w = gf.tensor(data(4))
    f = gf.function(lambda x: x * (w * 2.0 + 1.0))
    x = data(3, 4)
    first = gf.tidy(lambda: f(gf.tensor(x)).numpy())
    np.testing.assert_array_equal(f(gf.tensor(x)).numpy(), first)
    assert f.trace_count == 1


def test_python_control_flow_is_unrolled():
    @gf.function
    def power(x, n):
        y = x
        for _ in range(n - 1):
            y = y * x
        return y

    x = gf.tensor(np.array([1.5, -2.0], np.float32))
    np.testing.assert_allclose(power(x, 4).numpy(), x.numpy() ** 4, rtol=1e-6)
    graph = power.graph
    assert len(graph.kernel_nodes()) == 1  # three muls, fused into one pass


def test_input_signature_with_unknown_dims():
    f = gf.function(lambda x: x * 2.0,
                    input_signature=[gf.TensorSpec([None, 3], "float32")])
    for rows in (1, 4):
        x = data(rows, 3)
        np.testing.assert_array_equal(f(gf.tensor(x)).numpy(), x * 2.0)
    assert f.trace_count == 2  # kernels take concrete sizes: one graph per batch size
    assert f.graph.inputs[0].attrs["spec"].shape == (None, 3)
    with pytest.raises(ValueError, match=r"argument 0 is float32\[2, 4\].*TensorSpec\(\[None, 3\]"):
        f(gf.tensor(data(2, 4)))


def test_symbolic_values_fail_clearly_naming_the_op():
    @gf.function
    def reads(x):
        return gf.tensor(x.numpy() + 1)

    with pytest.raises(gf.SymbolicValueError, match=r"^numpy: needs the values of a symbolic "
                                                    r"tensor \(shape \[2\], float32\) while "
                                                    r"gf.function traces 'reads'"):
        reads(gf.tensor(data(2)))

    @gf.function
    def branches(x):
        if gf.sum(x) > 0:
            return x
        return -x

    with pytest.raises(gf.SymbolicValueError, match=r"^bool: .*gf.where"):
        branches(gf.tensor(data(2)))

    @gf.function
    def copies(x):
        return gf.tensor(x)  # gf.tensor reads a tensor's values to copy them

    with pytest.raises(gf.SymbolicValueError, match=r"^tensor: "):
        copies(gf.tensor(data(2)))


def test_an_escaped_symbolic_tensor_is_refused_outside_its_trace():
    kept = []

    @gf.function
    def leaks(x):
        y = x * 2.0
        kept.append(y)
        return y

    leaks(gf.tensor(data(3)))
    with pytest.raises(gf.SymbolicValueError, match="escaped the function"):
        gf.add(kept[0], 1.0)


def test_variables_made_inside_get_values_once():
    made = []

    @gf.function
    def f(x):
        if not made:
            made.append(gf.Variable(gf.ones([3]) * 2.0))
        return x + made[0]

    x = data(3)
    np.testing.assert_array_equal(f(gf.tensor(x)).numpy(), x + 2.0)
    assert not made[0]._symbolic
    np.testing.assert_array_equal(made[0].numpy(), [2.0, 2.0, 2.0])

    @gf.function
    def from_input(x):
        return gf.Variable(x * 2.0)

    with pytest.raises(gf.SymbolicValueError, match="depends on the inputs"):
        from_input(gf.tensor(x))


def test_nested_functions_inline():
    inner = gf.function(lambda x: gf.exp(x) - 1.0)
    outer = gf.function(lambda x: inner(x) * 3.0)
    x = gf.tensor(data(6))
    want = ((gf.exp(x) - 1.0) * 3.0).numpy()
    np.testing.assert_allclose(outer(x).numpy(), want, rtol=1e-6, atol=1e-7)
    assert inner.trace_count == 0 and outer.trace_count == 1
    assert len(outer.graph.kernel_nodes()) == 1


def test_structures_and_python_values_pass_through():
    @gf.function
    def f(pair, table):
        a, b = pair
        return {"sum": a + b, "scaled": [table["k"] * 2.0, None], "note": "kept"}

    a, b, k = data(2), data(2), data(2)
    out = f((gf.tensor(a), gf.tensor(b)), {"k": gf.tensor(k)})
    np.testing.assert_array_equal(out["sum"].numpy(), a + b)
    np.testing.assert_array_equal(out["scaled"][0].numpy(), k * 2.0)
    assert out["scaled"][1] is None and out["note"] == "kept"


@pytest.mark.parametrize("name", BACKENDS)
def test_gradient_tape_inside_is_traced(name):
    with backend(name):
        w = gf.Variable(data(4, 3))
        x = data(5, 4)

        def loss_and_grad(x):
            with gf.GradientTape() as tape:
                loss = gf.sum(gf.sigmoid(x @ w) ** 2.0)
            return loss, tape.gradient(loss, w)

        want = [t.numpy() for t in loss_and_grad(gf.tensor(x))]
        f = gf.function(loss_and_grad)
        got = [t.numpy() for t in f(gf.tensor(x))]
        # the same kernels run, fused: the elementwise chain of the gradient (products only,
        # nothing a multiply-add could contract) stays in float32 registers instead of
        # float32 textures, which rounds identically
        assert_same(got, want)


@pytest.mark.parametrize("name", BACKENDS)
def test_outer_tape_differentiates_a_compiled_call(name):
    with backend(name):
        w = gf.Variable(data(3, 2))

        def f(x):
            return gf.tanh(x @ w) * x[:, :2]

        x = gf.tensor(data(4, 3))
        with gf.GradientTape() as tape:
            tape.watch(x)
            y = f(x)
        want = tape.gradient(y, [x, w])
        compiled = gf.function(f)
        with gf.GradientTape() as tape:
            tape.watch(x)
            y2 = compiled(x)
        got = tape.gradient(y2, [x, w])
        # the backward function recomputes the forward under a tape and walks it: the same
        # kernels on the same values (the seed of ones multiplies exactly)
        assert_same([t.numpy() for t in [y2] + got], [t.numpy() for t in [y] + want])
        assert compiled.get_concrete_function(x).backward_function().trace_count == 1


def test_graph_kinds_in_a_trace():
    v = gf.Variable(data(3))
    c = gf.tensor(data(3))

    @gf.function
    def f(x, i):
        v.assign(v + gf.gather(x, i))
        return x * c

    f(gf.tensor(data(3)), gf.tensor(np.array([2, 0, 1], np.int32)))
    kinds = {n.kind for n in f.get_concrete_function(
        gf.tensor(data(3)), gf.tensor(np.array([0, 0, 0], np.int32))).traced_graph.nodes}
    assert kinds == {ir.INPUT, ir.CONST, ir.VARIABLE, ir.CALL, ir.HOST}
    assert [var for var, _ in f.graph.updates] == [v]
