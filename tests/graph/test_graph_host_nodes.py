"""Ops that read values on the host work inside compiled functions through HOST nodes: index
checks and scatter tables run with each call's indices (errors at run time, nothing written),
random ops draw new numbers on every call, as the same eager calls would."""
import numpy as np
import pytest

import glflow as gf
from glflow.graph import ir

from graph_checks import BACKENDS, backend

RNG = np.random.default_rng(5)


def data(*shape):
    return RNG.standard_normal(shape).astype(np.float32)


def ints(values):
    return gf.tensor(np.asarray(values, np.int32))


@pytest.mark.parametrize("name", BACKENDS)
def test_gather_family_with_symbolic_indices(name):
    with backend(name):
        x = gf.tensor(data(5, 3))
        table = gf.tensor(data(4, 2))

        def f(x, i, ids, nd):
            return (gf.gather(x, i, axis=0), gf.gather_nd(x, nd),
                    gf.embedding_lookup(table, ids), gf.scatter_nd(nd, gf.ones([2]), [5, 3]))
        compiled = gf.function(f)
        for i, ids, nd in (([4, 0, 0], [[3, 1]], [[0, 2], [4, 1]]),
                           ([1, 2, 3], [[0, 0]], [[4, 2], [4, 2]])):
            args = (x, ints(i), ints(ids), ints(nd))
            for got, want in zip(compiled(*args), f(*args)):
                np.testing.assert_array_equal(got.numpy(), want.numpy())
        assert compiled.trace_count == 1
        assert any(n.kind == ir.HOST for n in compiled.graph.nodes)


@pytest.mark.parametrize("name", BACKENDS)
def test_gather_gradient_scatters_with_each_calls_indices(name):
    with backend(name):
        w = gf.Variable(data(6, 2))

        def grad_of(i):
            with gf.GradientTape() as tape:
                loss = gf.sum(gf.gather(w, i) * 3.0)
            return tape.gradient(loss, w)
        compiled = gf.function(grad_of)
        for i in ([0, 0, 5], [2, 3, 2, 2]):
            np.testing.assert_array_equal(compiled(ints(i)).numpy(), grad_of(ints(i)).numpy())


def test_out_of_range_indices_fail_at_run_time_and_write_nothing():
    v = gf.Variable(np.zeros(3, np.float32))

    @gf.function
    def pick(x, i):
        v.assign(v + 1.0)
        return gf.gather(x, i)

    x = gf.tensor(data(4))
    pick(x, ints([0, 3]))
    before = gf.memory()
    with pytest.raises(IndexError, match=r"gather: index 7 is out of range \[0, 4\) for axis 0"):
        pick(x, ints([1, 7]))
    np.testing.assert_array_equal(v.numpy(), [1.0, 1.0, 1.0])  # the failed call wrote nothing
    after = gf.memory()
    assert after["num_tensors"] == before["num_tensors"]
    assert after["bytes_in_use"] == before["bytes_in_use"]
    np.testing.assert_array_equal(pick(x, ints([3])).numpy(), x.numpy()[[3]])


def test_random_ops_draw_on_every_call_like_eager_calls():
    def draws():
        return (gf.random_uniform([4]), gf.random_normal([3]), gf.truncated_normal([3]),
                gf.bernoulli([5], 0.5), gf.multinomial(gf.zeros([2, 6]), 3),
                gf.shuffle(gf.range(6)), gf.dropout(gf.ones([8]), 0.5))
    compiled = gf.function(draws)
    gf.set_seed(42)
    eager = [[t.numpy() for t in draws()] for _ in range(3)]
    gf.set_seed(42)
    compiled()  # the trace draws nothing: its first run draws the first numbers
    gf.set_seed(42)
    got = [[t.numpy() for t in compiled()] for _ in range(3)]
    for e, g in zip(eager, got):
        for a, b in zip(e, g):
            np.testing.assert_array_equal(a, b)
    assert not np.array_equal(got[0][0], got[1][0])  # new numbers on every call


def test_seeded_ops_repeat_and_a_seeded_dropout_layer_follows_its_stream():
    f = gf.function(lambda: gf.random_uniform([5], seed=3))
    np.testing.assert_array_equal(f().numpy(), f().numpy())
    np.testing.assert_array_equal(f().numpy(), gf.random_uniform([5], seed=3).numpy())

    eager_layer, graph_layer = gf.layers.Dropout(0.5, seed=9), gf.layers.Dropout(0.5, seed=9)
    x = gf.ones([2, 8])
    compiled = gf.function(lambda x: graph_layer(x, training=True))
    for _ in range(3):
        np.testing.assert_array_equal(compiled(x).numpy(), eager_layer(x, training=True).numpy())
