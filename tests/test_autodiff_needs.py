"""Backward functions skip the input gradients the tape will drop: the walk tells a backward
marked `takes_needs` which inputs are watched (or requested), and conv2d and matmul then skip
the kernel of an unwatched input's gradient (a model's data batch). Counted with
counters.kernel_counts; the gradients that are computed must not change."""
import numpy as np
import pytest

import glflow as gf
from glflow.ops._primitive import Call, record
from glflow.runtime import counters, state
from helpers import check_op, normal

RNG = np.random.default_rng(7)
X4 = RNG.normal(size=(2, 5, 5, 3)).astype(np.float32)
W4 = RNG.normal(size=(3, 3, 3, 4)).astype(np.float32)


@pytest.fixture(params=["cpu", "gl"])
def backend(request):
    gf.set_backend(request.param)
    yield request.param
    gf.set_backend("gl")


def launches(backend, kernel, tape, target, sources):
    """(tape.gradient(target, sources), how many `kernel` launches that call made)."""
    key = (backend, kernel)
    before = counters.kernel_counts.get(key, 0)
    grads = tape.gradient(target, sources)
    return grads, counters.kernel_counts.get(key, 0) - before


def gradient_launches(backend, kernel, target_fn, sources, watch=()):
    """launches() of the gradient of target_fn() (its forward ops uncounted)."""
    with gf.GradientTape() as tape:
        tape.watch(*watch)
        y = target_fn()
    return launches(backend, kernel, tape, y, sources)


def test_backward_is_told_which_input_gradients_are_used(backend):
    seen = []

    class Probe:
        """A primitive that records which input gradients the tape asks it for."""
        name, takes_needs, unbroadcast = "probe", True, False

        def grad(self, call, dy):
            seen.append(list(call.needs))
            return [dy if need else None for need in call.needs]
    x, w = gf.tensor([1.0, 2.0]), gf.variable([3.0, 4.0])
    i = gf.tensor([1, 2], dtype="int32")
    with gf.GradientTape(persistent=True) as tape:
        with gf.no_record():
            out = gf.add(x, w)
        record(Call(Probe(), [x, w, i], {}, [out]))
        y = gf.sum(out)
    (dw,) = tape.gradient(y, [w])
    dx, dw2 = tape.gradient(y, [x, w])  # x unwatched but requested: still gets its gradient
    assert seen == [[False, True, False], [True, True, False]]
    for g in (dw, dx, dw2):
        np.testing.assert_array_equal(g.numpy(), [1.0, 1.0])


def _conv2d_dx_reference(w):
    """d sum(conv2d(x, w, 1, 'same')) / dx for 3x3 filters: x[i] meets w[k] wherever the
    output row i + 1 - k exists."""
    dx = np.zeros(X4.shape)
    h, wd = X4.shape[1:3]
    w_sum = w.astype(np.float64).sum(axis=3)
    for kh in range(3):
        for kw in range(3):
            rows = [i for i in range(h) if 0 <= i + 1 - kh < h]
            cols = [j for j in range(wd) if 0 <= j + 1 - kw < wd]
            dx[:, rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1, :] += w_sum[kh, kw]
    return dx


def test_conv2d_filter_gradient_skips_the_input_gradient_conv(backend):
    x, w = gf.tensor(X4), gf.variable(W4)
    loss = lambda: gf.sum(gf.conv2d(x, w, 1, "same"))  # noqa: E731
    (dw,), convs = gradient_launches(backend, "conv2d", loss, [w])
    assert convs == 0
    (dx, dw_both), convs = gradient_launches(backend, "conv2d", loss, [x, w])
    assert convs == 1
    np.testing.assert_array_equal(dw.numpy(), dw_both.numpy())
    np.testing.assert_allclose(dx.numpy(), _conv2d_dx_reference(W4), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("conv,x_np,w_np", [
    (lambda x, f: gf.depthwise_conv2d(x, f, 1, "same"), X4, W4[..., :1]),
    (lambda x, f: gf.conv2d_transpose(x, f, None, 2, "same"), X4, W4[..., :3]),
    (lambda x, f: gf.conv1d(x, f, 1, "same"), X4[:, 0], W4[0]),
], ids=["depthwise_conv2d", "conv2d_transpose", "conv1d"])
def test_convs_on_conv2d_skip_the_input_gradient_conv(backend, conv, x_np, w_np):
    x, w = gf.tensor(x_np), gf.variable(w_np)
    loss = lambda: gf.sum(gf.square(conv(x, w)))  # noqa: E731
    (dw,), convs = gradient_launches(backend, "conv2d", loss, [w])
    assert convs == 0
    # watched: conv1d reshapes x first, and an unwatched x's reshape is not recorded
    (_, dw_both), convs = gradient_launches(backend, "conv2d", loss, [x, w], watch=[x])
    assert convs == 1
    np.testing.assert_array_equal(dw.numpy(), dw_both.numpy())


def test_second_order_conv2d_skips_the_unwatched_input(backend):
    """d sum(d loss/dw)/dw: the filter gradient's own backward skips its x side too."""
    x, w = gf.tensor(X4), gf.variable(W4)

    def second(sources):
        with gf.GradientTape() as outer:
            with gf.GradientTape() as inner:
                y = gf.sum(gf.square(gf.conv2d(x, w, 1, "same")))
            (dw,) = inner.gradient(y, [w])
            z = gf.sum(dw)
        return launches(backend, "conv2d", outer, z, sources)
    (d2w,), convs = second([w])
    assert convs == 1  # the forward conv of x with ddw; both input-gradient convs skipped
    (d2w_both, _), convs = second([w, x])
    assert convs == 3
    np.testing.assert_array_equal(d2w.numpy(), d2w_both.numpy())


A = RNG.normal(size=(4, 3)).astype(np.float32)
B = RNG.normal(size=(3, 2)).astype(np.float32)


@pytest.mark.parametrize("ta,tb", [(False, False), (False, True), (True, False), (True, True)])
def test_matmul_gradients_skip_the_unwatched_operand(backend, ta, tb):
    a = gf.tensor(A.T.copy() if ta else A)
    b = gf.variable(B.T.copy() if tb else B)
    loss = lambda: gf.sum(gf.matmul(a, b, ta, tb))  # noqa: E731
    (db,), products = gradient_launches(backend, "matmul", loss, [b])
    assert products == 1
    (da, db_both), products = gradient_launches(backend, "matmul", loss, [a, b])
    assert products == 2
    np.testing.assert_array_equal(db.numpy(), db_both.numpy())
    ones = np.ones((A.shape[0], B.shape[1]))
    want_da, want_db = ones @ B.T, A.T @ ones
    np.testing.assert_allclose(da.numpy(), want_da.T if ta else want_da, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(db.numpy(), want_db.T if tb else want_db, rtol=1e-5, atol=1e-5)


def test_fused_matmul_gradients_skip_the_unwatched_operand(backend):
    """Dense's x @ kernel + bias, relu: the data batch's gradient is one matmul less."""
    x, w, bias = gf.tensor(A), gf.variable(B), gf.variable([0.5, -0.25])
    loss = lambda: gf.sum(gf.fused_matmul(x, w, bias=bias, activation="relu"))  # noqa: E731
    (dw, db), products = gradient_launches(backend, "matmul", loss, [w, bias])
    assert products == 1
    (dx, dw_both, db_both), products = gradient_launches(backend, "matmul", loss,
                                                         [x, w, bias])
    assert products == 2
    np.testing.assert_array_equal(dw.numpy(), dw_both.numpy())
    np.testing.assert_array_equal(db.numpy(), db_both.numpy())
    active = (A.astype(np.float64) @ B + [0.5, -0.25]) > 0
    np.testing.assert_allclose(dx.numpy(), active @ B.T, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(dw.numpy(), A.T @ active, rtol=1e-5, atol=1e-5)
