"""Pooling: max/avg pool (valid, same, explicit, strides, NCHW, aligned channels), 1-D and
global pools, gradients (and their gradients, which run max_pool_grad / avg_pool_grad as
forward kernels) gl vs cpu and vs finite differences; values vs direct loops written here."""
import shutil
import subprocess

import numpy as np
import pytest

import glflow as gf
from glflow.backends.gl.pool import pool_source
from glflow.backends.gl.programs import VERSION_CORE, VERSION_ES, source
from helpers import check_op, make_inputs, normal


def reference_pool(x, window, strides, pads, reduce):
    """Direct loops: windows clipped to x (padding never takes part)."""
    n, h, w, c = x.shape
    oh = (h + sum(pads[0]) - window[0]) // strides[0] + 1
    ow = (w + sum(pads[1]) - window[1]) // strides[1] + 1
    out = np.zeros((n, oh, ow, c))
    for i in range(oh):
        for j in range(ow):
            r0, c0 = i * strides[0] - pads[0][0], j * strides[1] - pads[1][0]
            block = x[:, max(r0, 0):r0 + window[0], max(c0, 0):c0 + window[1], :]
            out[:, i, j, :] = reduce(block.astype(np.float64), axis=(1, 2))
    return out


CASES = [((3, 3), (2, 2), "valid", [(0, 0), (0, 0)]),
         ((3, 2), (2, 1), "same", None),
         ((2, 2), (1, 1), "same", [(0, 1), (0, 1)]),
         ((3, 3), (2, 3), [[1, 1], [2, 0]], [(1, 1), (2, 0)])]


def _max_pool_grad_by_rule(x, dy, k, stride, pads):
    """dx of max_pool written from the documented rule, independently of glflow: each window
    (clipped to the input) sends its dy to its first maximum in row-major (h, w) order, per
    channel; windows sharing that element add up."""
    n, h, w, c = x.shape
    dx = np.zeros_like(x, dtype=np.float64)
    for b in range(n):
        for oh in range(dy.shape[1]):
            for ow in range(dy.shape[2]):
                rows = range(max(oh * stride - pads[0], 0), min(oh * stride - pads[0] + k, h))
                cols = range(max(ow * stride - pads[1], 0), min(ow * stride - pads[1] + k, w))
                for ch in range(c):
                    best = None
                    for i in rows:
                        for j in cols:
                            if best is None or x[b, i, j, ch] > x[b, best[0], best[1], ch]:
                                best = (i, j)
                    dx[b, best[0], best[1], ch] += dy[b, oh, ow, ch]
    return dx


@pytest.mark.parametrize("window,strides,padding,pads", CASES)
@pytest.mark.parametrize("op,reduce", [(gf.max_pool, np.max), (gf.avg_pool, np.mean)])
def test_pool2d_values_and_gradients(op, reduce, window, strides, padding, pads):
    shapes = [normal((2, 7, 5, 3))]
    cpu = check_op(lambda x: op(x, window, strides, padding), shapes)
    if pads is not None:
        (x,) = [a for _, a in make_inputs(shapes, 0)]
        np.testing.assert_allclose(cpu[0], reference_pool(x, window, strides, pads, reduce),
                                   rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("op", [gf.max_pool, gf.avg_pool])
def test_pool2d_aligned_channels_nchw_and_second_order(op):
    check_op(lambda x: op(x, 2, 2, "same"), [normal((1, 5, 6, 8))])
    check_op(lambda x: op(x, (2, 3), 1, "valid", "NCHW"), [normal((2, 3, 5, 7))])

    # the gradient as a function of dy runs max_pool_grad / avg_pool_grad forward; its own
    # gradient (an argmax gather / avg_pool) is checked against finite differences
    def pool_grad(x, dy):
        return gf.grad(lambda t: gf.sum(gf.mul(op(t, 3, 2, "same"), dy)))(x)
    check_op(pool_grad, [normal((2, 7, 5, 3)), normal((2, 4, 3, 3))], wrt=[1])
    check_op(pool_grad, [normal((1, 6, 5, 4)), normal((1, 3, 3, 4))], wrt=[1])


@pytest.mark.parametrize("channels", [3, 4])
def test_max_pool_gather_reads_at_each_windows_argmax(channels):
    """The gradient of max_pool_grad with respect to dy reads its cotangent d at each
    window's argmax (a position in the window): max_pool_gather, run forward here, its own
    gradient (max_pool_grad again) checked against finite differences; overlapping padded
    windows, element-wise (3 channels) and texel-wise (4) reads."""
    def gather(x, dy, d):
        def dx(t):
            return gf.grad(lambda u: gf.sum(gf.mul(gf.max_pool(u, 3, 2, "same"), t)))(x)
        return gf.grad(lambda t: gf.sum(gf.mul(dx(t), d)))(dy)
    check_op(gather, [normal((2, 7, 5, channels)), normal((2, 4, 3, channels)),
                      normal((2, 7, 5, channels))], wrt=[2])


def test_max_pool_gradient_goes_to_the_first_maximum_only():
    x = np.zeros((1, 2, 2, 1), np.float32)   # all tied: TF routes dy to the first position
    for backend in ("cpu", "gl"):
        gf.set_backend(backend)
        try:
            dx = gf.grad(lambda t: gf.sum(gf.max_pool(t, 2)))(gf.tensor(x)).numpy()
        finally:
            gf.set_backend("gl")
        np.testing.assert_array_equal(dx.reshape(-1), [1, 0, 0, 0])


@pytest.mark.parametrize("backend", ["gl", "cpu"])
@pytest.mark.parametrize("stride,padding,pads", [(1, "valid", (0, 0)), (2, "same", (0, 0)),
                                                 (1, "same", (0, 0))])
def test_max_pool_gradient_with_tied_windows_follows_the_first_maximum_rule(
        backend, stride, padding, pads):
    # Values from {0, 1, 2}: most windows hold tied maxima, and not at their first position;
    # overlapping windows (stride 1) share argmaxes. 'same' with k = 2 pads after (TF), so
    # the windows start at oh * stride.
    gf.set_backend(backend)
    rng = np.random.default_rng(4)
    x = rng.integers(0, 3, size=(2, 5, 6, 3)).astype(np.float32)
    y = gf.max_pool(gf.tensor(x), 2, stride, padding)
    dy = rng.normal(size=y.shape).astype(np.float32)
    dx = gf.grad(lambda t: gf.sum(gf.max_pool(t, 2, stride, padding) * dy))(gf.tensor(x))
    want = _max_pool_grad_by_rule(x, dy.astype(np.float64), 2, stride, pads)
    np.testing.assert_allclose(dx.numpy(), want, rtol=1e-6, atol=1e-6)
    assert (want != 0).sum() < x.size  # ties really sent dy elsewhere: not every element


def test_pool1d():
    check_op(lambda x: gf.max_pool1d(x, 3, 2, "same"), [normal((2, 9, 3))])
    check_op(lambda x: gf.avg_pool1d(x, 2, 1, [[1, 0]], "NCW"), [normal((1, 3, 7))])


def test_global_pools():
    check_op(lambda x: gf.global_avg_pool(x), [normal((2, 5, 3, 3))])
    check_op(lambda x: gf.global_max_pool(x, "NCHW", keepdims=True), [normal((2, 3, 5, 3))])
    check_op(lambda x: gf.global_avg_pool(x, "NCW"), [normal((2, 3, 7))])
    x = np.random.default_rng(2).standard_normal((2, 4, 5, 3)).astype(np.float32)
    np.testing.assert_allclose(gf.global_max_pool(x).numpy(), x.max(axis=(1, 2)))


@pytest.mark.parametrize("call,error,message", [
    (lambda: gf.max_pool(np.zeros((4, 4, 3), np.float32), 2), ValueError,
     "max_pool: x must have rank 4"),
    (lambda: gf.max_pool(np.zeros((1, 2, 4, 3), np.float32), 3), ValueError,
     "max_pool: the pool window .* is larger than the padded input"),
    (lambda: gf.avg_pool(np.zeros((1, 4, 4, 3), np.float32), 2, padding="full"), ValueError,
     "avg_pool: padding must be"),
    (lambda: gf.avg_pool(np.zeros((1, 4, 4, 3), np.float32), 2, padding=[[2, 0], [0, 0]]),
     ValueError, "avg_pool: padding .* must be smaller than the pool window"),
    (lambda: gf.avg_pool(np.zeros((1, 4, 4, 3), np.float32), -1), ValueError,
     "avg_pool: pool_size must be >= 1"),
    (lambda: gf.max_pool1d(np.zeros((1, 4, 4, 3), np.float32), 2), ValueError,
     "max_pool1d: x must have rank 3"),
    (lambda: gf.global_avg_pool(np.zeros((4, 3), np.float32)), ValueError,
     "global_avg_pool: x must have rank 3 or 4"),
    (lambda: gf.max_pool(np.zeros((1, 4, 4, 3), np.int32), 2), TypeError,
     "max_pool: x must be float32"),
])
def test_bad_arguments(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_nn_shaders_compile_as_glsl_es_300_and_330_core():
    """Every variant of the conv and pooling shaders, as the runtime assembles them."""
    validator = shutil.which("glslangValidator")
    assert validator, "glslangValidator (package glslang-tools) is needed to validate shaders"
    sources = [source("conv/conv2d.frag", d) for d in ([], ["ALIGNED"], ["FLOAT_DIV"],
                                                  ["ALIGNED", "FLOAT_DIV"])]
    sources += [pool_source(k, a) for k in ("max_pool", "avg_pool", "max_pool_argmax",
                                            "max_pool_grad", "avg_pool_grad",
                                            "max_pool_gather")
                for a in (False, True)]
    for text in sources:
        for version in (VERSION_ES, VERSION_CORE):
            result = subprocess.run([validator, "--stdin", "-S", "frag"], check=False,
                                    input=version + text, capture_output=True, text=True)
            assert result.returncode == 0, f"{version.strip()}:\n{result.stdout}\n{text}"
