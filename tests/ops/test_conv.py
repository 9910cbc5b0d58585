"""Convolutions: conv2d (strides, dilations, groups, padding modes, NCHW), conv1d,
depthwise/separable conv2d and conv2d_transpose, gl vs cpu, gradients vs finite differences,
and the cpu result against a direct-loop reference written independently below."""
import numpy as np
import pytest

import glflow as gf
from glflow.backends.gl import conv_direct, conv_filter_grad
from glflow.runtime import state
from helpers import check_op, normal


# float32 sums of up to ~100 products of O(1) values: absolute errors ~1e-6 * sqrt(terms)
TOL = dict(rtol=1e-5, atol=2e-5)


def reference_conv2d(x, f, strides, pads, dilations, groups=1):
    """Direct loops in float64 over NHWC x and [KH, KW, Cin/groups, Cout] filters."""
    x = np.pad(x.astype(np.float64), [(0, 0), pads[0], pads[1], (0, 0)])
    kh, kw, cg, cout = f.shape
    cog = cout // groups
    n, h, w, _ = x.shape
    oh = (h - (kh - 1) * dilations[0] - 1) // strides[0] + 1
    ow = (w - (kw - 1) * dilations[1] - 1) // strides[1] + 1
    out = np.zeros((n, oh, ow, cout))
    for i in range(oh):
        for j in range(ow):
            for a in range(kh):
                for b in range(kw):
                    pix = x[:, i * strides[0] + a * dilations[0],
                            j * strides[1] + b * dilations[1]]
                    for g in range(groups):
                        out[:, i, j, g * cog:(g + 1) * cog] += (
                            pix[:, g * cg:(g + 1) * cg] @ f[a, b, :, g * cog:(g + 1) * cog])
    return out


def same_pads(size, k, s, d):
    out = -(-size // s)
    total = max((out - 1) * s + (k - 1) * d + 1 - size, 0)
    return (total // 2, total - total // 2)


@pytest.mark.parametrize("strides,padding,dilations,groups", [
    (1, "valid", 1, 1), (2, "same", 1, 1), ((2, 1), "valid", (1, 2), 1),
    (1, "same", 2, 1), (2, [[1, 2], [0, 1]], 1, 2), (1, "same", 1, 3)])
def test_conv2d_matches_direct_reference_and_gradients(strides, padding, dilations, groups):
    shapes = [normal((2, 7, 5, 6)), normal((3, 2, 6 // groups, 6))]
    fn = lambda x, f: gf.conv2d(x, f, strides, padding, dilations=dilations, groups=groups)  # noqa: E731
    cpu = check_op(fn, shapes, **TOL, grad_atol=5e-5)
    from helpers import make_inputs
    x, f = [a for _, a in make_inputs(shapes, 0)]
    s = (strides, strides) if isinstance(strides, int) else strides
    d = (dilations, dilations) if isinstance(dilations, int) else dilations
    if padding == "valid":
        pads = [(0, 0), (0, 0)]
    elif padding == "same":
        pads = [same_pads(7, 3, s[0], d[0]), same_pads(5, 2, s[1], d[1])]
    else:
        pads = padding
    np.testing.assert_allclose(cpu[0], reference_conv2d(x, f, s, pads, d, groups), rtol=1e-5,
                               atol=2e-5)


def test_conv2d_aligned_channels_and_single_pixel_output():
    # Cin % 4 == 0 takes the whole-texel im2col path; 3x3 valid on 3x3 gives one pixel
    check_op(lambda x, f: gf.conv2d(x, f, 1, "same"), [normal((1, 5, 6, 8)), normal((3, 3, 8, 5))],
             **TOL, grad_atol=5e-5)
    check_op(lambda x, f: gf.conv2d(x, f), [normal((3, 3, 3, 4)), normal((3, 3, 4, 1))], **TOL)


def test_conv2d_nchw_equals_nhwc():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 5, 7, 3)).astype(np.float32)
    f = rng.standard_normal((3, 3, 3, 4)).astype(np.float32)
    nhwc = gf.conv2d(x, f, 2, "same").numpy()
    nchw = gf.conv2d(x.transpose(0, 3, 1, 2), f, 2, "same", data_format="NCHW").numpy()
    np.testing.assert_allclose(nchw, nhwc.transpose(0, 3, 1, 2), rtol=1e-6, atol=1e-6)
    check_op(lambda x, f: gf.conv2d(x, f, 1, "valid", "NCHW", 2),
             [normal((1, 3, 7, 6)), normal((2, 2, 3, 2))], **TOL)


def test_conv1d():
    check_op(lambda x, f: gf.conv1d(x, f, 2, "same"), [normal((2, 9, 3)), normal((3, 3, 5))],
             **TOL)
    check_op(lambda x, f: gf.conv1d(x, f, 1, [[2, 1]], "NCW", dilation=2),
             [normal((1, 3, 7)), normal((2, 3, 2))], **TOL)
    check_op(lambda x, f: gf.conv1d(x, f, 2, "same", "NCW", groups=3),
             [normal((2, 6, 9)), normal((3, 2, 6))], **TOL)


def test_depthwise_and_separable():
    check_op(lambda x, f: gf.depthwise_conv2d(x, f, 2, "same"),
             [normal((2, 7, 5, 3)), normal((3, 3, 3, 2))], **TOL)
    check_op(lambda x, d, p: gf.separable_conv2d(x, d, p, 1, "valid", dilations=2),
             [normal((1, 7, 6, 2)), normal((2, 2, 2, 2)), normal((1, 1, 4, 3))], **TOL,
             grad_atol=5e-5)
    rng = np.random.default_rng(5)
    x = rng.standard_normal((1, 6, 5, 3)).astype(np.float32)
    f = rng.standard_normal((3, 2, 3, 2)).astype(np.float32)
    got = gf.depthwise_conv2d(x, f, 1, "valid").numpy()
    want = np.concatenate([reference_conv2d(x[..., c:c + 1], f[:, :, c:c + 1, :], (1, 1),
                                            [(0, 0), (0, 0)], (1, 1)) for c in range(3)], -1)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=2e-5)


@pytest.mark.parametrize("strides,padding,output_shape", [
    (2, "valid", None), (2, "same", None), (3, "same", [1, 8, 10, 2]), (1, "valid", None)])
def test_conv2d_transpose_is_the_input_gradient_of_conv2d(strides, padding, output_shape):
    x_shape, f_shape = (1, 3, 4, 3), (3, 2, 2, 3)
    check_op(lambda x, f: gf.conv2d_transpose(x, f, output_shape, strides, padding),
             [normal(x_shape), normal(f_shape)], **TOL, grad_atol=5e-5)
    rng = np.random.default_rng(1)
    x = rng.standard_normal(x_shape).astype(np.float32)
    f = rng.standard_normal(f_shape).astype(np.float32)
    y = gf.conv2d_transpose(x, f, output_shape, strides, padding)
    # <conv2d_transpose(x), v> == <x, conv2d(v)> for every v: the adjoint identity
    v = rng.standard_normal(y.shape).astype(np.float32)
    lhs = float(np.sum(y.numpy().astype(np.float64) * v))
    rhs = float(np.sum(x.astype(np.float64) * gf.conv2d(v, f, strides, padding).numpy()))
    assert abs(lhs - rhs) <= 1e-4 * max(1.0, abs(lhs))


def test_conv2d_second_order_gradient():
    def loss_grad(x, f):
        return gf.grad(lambda t: gf.sum(gf.square(gf.conv2d(t, f, 2, "same"))))(x)
    check_op(loss_grad, [normal((1, 5, 4, 2)), normal((2, 3, 2, 3))], **TOL, grad_atol=1e-4,
             fd_rtol=1e-4)


def test_conv2d_second_order_through_the_filter_gradient():
    """The filter gradient as an op, differentiated. The test above no longer runs it: its
    inner tape skips the filter gradient it never asks for (autodiff's `needs`)."""
    def filter_grad(x, f):
        return gf.grad(lambda w: gf.sum(gf.square(gf.conv2d(x, w, 2, "same"))))(f)
    check_op(filter_grad, [normal((1, 5, 4, 2)), normal((2, 3, 2, 3))], **TOL, grad_atol=1e-4,
             fd_rtol=1e-4)


@pytest.mark.parametrize("call,message", [
    (lambda: gf.conv2d(np.zeros((5, 5, 3), np.float32), np.zeros((3, 3, 3, 2), np.float32)),
     "conv2d: x must have rank 4"),
    (lambda: gf.conv2d(np.zeros((1, 5, 5, 3), np.float32), np.zeros((3, 3, 2, 2), np.float32)),
     "conv2d: filters have 2 input channels"),
    (lambda: gf.conv2d(np.zeros((1, 5, 5, 4), np.float32), np.zeros((3, 3, 2, 3), np.float32),
                       groups=2), "conv2d: groups"),
    (lambda: gf.conv2d(np.zeros((1, 5, 5, 3), np.float32), np.zeros((3, 3, 1, 3), np.float32),
                       groups=2), "conv2d: groups"),
    (lambda: gf.conv2d(np.zeros((1, 5, 5, 3), np.float32), np.zeros((3, 3, 3, 2), np.float32),
                       padding="full"), "conv2d: padding must be"),
    (lambda: gf.conv2d(np.zeros((1, 5, 5, 3), np.float32), np.zeros((3, 3, 3, 2), np.float32),
                       padding=[[1, -1], [0, 0]]), "conv2d: padding amounts must be >= 0"),
    (lambda: gf.conv2d(np.zeros((1, 2, 5, 3), np.float32), np.zeros((3, 3, 3, 2), np.float32)),
     "conv2d: the filter .* is larger than the padded input"),
    (lambda: gf.conv2d(np.zeros((1, 5, 5, 3), np.float32), np.zeros((3, 3, 3, 2), np.float32),
                       strides=0), "conv2d: strides must be >= 1"),
    (lambda: gf.conv2d(np.zeros((1, 5, 5, 3), np.float32), np.zeros((3, 3, 3, 2), np.float32),
                       data_format="NWHC"), "conv2d: data_format"),
    (lambda: gf.conv1d(np.zeros((1, 5, 3), np.float32), np.zeros((3, 2, 2), np.float32)),
     "conv1d: filters have 2 input channels"),
    (lambda: gf.conv1d(np.zeros((1, 5, 4), np.float32), np.zeros((3, 2, 3), np.float32),
                       groups=2), r"conv1d: groups \(2\) must divide"),
    (lambda: gf.depthwise_conv2d(np.zeros((1, 5, 5, 3), np.float32),
                                 np.zeros((3, 3, 2, 2), np.float32)),
     "depthwise_conv2d: filters have 2 input channels"),
    (lambda: gf.separable_conv2d(np.zeros((1, 5, 5, 3), np.float32),
                                 np.zeros((3, 3, 3, 2), np.float32),
                                 np.zeros((1, 1, 5, 4), np.float32)),
     "separable_conv2d: pointwise_filters must be"),
    (lambda: gf.conv2d_transpose(np.zeros((1, 3, 3, 2), np.float32),
                                 np.zeros((3, 3, 4, 2), np.float32), [1, 9, 9, 4], 2, "same"),
     "conv2d_transpose: output_shape"),
    (lambda: gf.conv2d_transpose(np.zeros((1, 3, 3, 2), np.float32),
                                 np.zeros((3, 3, 4, 5), np.float32)),
     "conv2d_transpose: filters"),
])
def test_bad_arguments_raise_clear_errors(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_int_input_is_a_type_error():
    with pytest.raises(TypeError, match="conv2d: x must be float32"):
        gf.conv2d(np.zeros((1, 3, 3, 1), np.int32), np.zeros((1, 1, 1, 1), np.float32))


# Whole-texel channel groups (Cg % 4 == 0 and Cout / groups % 4 == 0) take the direct GL
# kernel (glflow/backends/gl/conv_direct.py): WINDOW when stride, dilation and input dilation
# are 1 along w, the general path otherwise; widths that are not a multiple of the 8-pixel
# block, batches, groups and asymmetric pads. The input gradient runs the same kernel with
# input dilation (the strides), so strided cases cover that too.
@pytest.mark.parametrize("x_shape,f_shape,strides,padding,dilations,groups", [
    ((2, 7, 13, 8), (3, 3, 8, 4), 1, "same", 1, 1),
    ((1, 9, 11, 4), (3, 3, 4, 8), 2, "same", 1, 1),
    ((1, 8, 10, 4), (2, 3, 4, 4), 1, "valid", 2, 1),
    ((1, 6, 9, 8), (3, 3, 4, 8), 1, [[1, 2], [0, 1]], 1, 2),
    ((1, 5, 19, 4), (1, 5, 4, 12), (1, 3), "valid", 1, 1),
    ((1, 3, 3, 4), (3, 3, 4, 4), 1, "valid", 1, 1)])
def test_conv2d_direct_kernel(monkeypatch, x_shape, f_shape, strides, padding, dilations,
                              groups):
    calls = []
    real_run = conv_direct.run
    monkeypatch.setattr(conv_direct, "run", lambda *a, **k: calls.append(1) or real_run(*a, **k))
    fn = lambda x, f: gf.conv2d(x, f, strides, padding, dilations=dilations, groups=groups)  # noqa: E731
    check_op(fn, [normal(x_shape), normal(f_shape)], **TOL, grad_atol=5e-5)
    assert calls, "the direct GL kernel was not used"


def test_conv2d_direct_kernel_input_dilation():
    # conv2d_transpose with strides 2: the direct kernel with input dilation 2 in both axes
    check_op(lambda x, f: gf.conv2d_transpose(x, f, None, 2, "same"),
             [normal((1, 3, 5, 4)), normal((3, 3, 8, 4))], **TOL, grad_atol=5e-5)


def test_conv2d_direct_kernel_padding_reads_zeros_next_to_inf():
    # padded taps clamp their address onto x's first pixel: they must read 0, not inf * 0
    x = np.ones((1, 5, 9, 4), np.float32)
    x[0, 0, 0] = np.inf
    f = np.abs(normal((3, 3, 4, 4)).make(np.random.default_rng(2), (3, 3, 4, 4)))
    y = check_op(lambda a, b: gf.conv2d(a, b, 1, "same"), [x, f], **TOL, grad=False)[0]
    assert np.isinf(y[0, :2, :2]).all() and np.isfinite(y[0, 2:]).all()
    assert np.isfinite(y[0, :, 2:]).all()


# The filter gradient has a kernel of its own (glflow/backends/gl/conv_filter_grad.py): a
# reduction over output pixels split into chunks of image rows. Cases: whole-texel channels
# (texel fetches) and not (element fetches for x, dy or both), strides, dilations, groups,
# asymmetric and negative-free explicit pads, batches whose image rows do not divide into
# chunks evenly, and input dilation (conv2d_transpose's filter gradient).
@pytest.mark.parametrize("x_shape,f_shape,strides,padding,dilations,groups", [
    ((2, 7, 13, 8), (3, 3, 8, 8), 1, "same", 1, 1),
    ((1, 9, 11, 4), (3, 3, 4, 12), 2, "same", 1, 1),
    ((3, 8, 6, 1), (3, 3, 1, 16), 1, "valid", 1, 1),
    ((1, 8, 10, 5), (2, 3, 5, 3), (1, 2), "valid", 2, 1),
    ((1, 6, 9, 8), (3, 3, 4, 8), 1, [[1, 2], [0, 1]], 1, 2),
    ((2, 7, 5, 6), (3, 2, 2, 9), (2, 3), "same", 1, 3),
    ((1, 5, 19, 4), (1, 5, 4, 4), (1, 3), "valid", 1, 1)])
def test_conv2d_filter_gradient_kernel(monkeypatch, x_shape, f_shape, strides, padding,
                                       dilations, groups):
    calls = []
    real_run = conv_filter_grad.run
    monkeypatch.setattr(conv_filter_grad, "run",
                        lambda *a, **k: calls.append(1) or real_run(*a, **k))
    fn = lambda x, f: gf.conv2d(x, f, strides, padding, dilations=dilations, groups=groups)  # noqa: E731
    check_op(fn, [normal(x_shape), normal(f_shape)], **TOL, grad_atol=5e-5)
    assert calls, "the GL filter-gradient kernel was not used"


def test_conv2d_filter_gradient_kernel_input_dilation_and_many_chunks(monkeypatch):
    calls = []
    real_run = conv_filter_grad.run
    monkeypatch.setattr(conv_filter_grad, "run",
                        lambda *a, **k: calls.append(1) or real_run(*a, **k))
    # strides 2 and 3 in conv2d_transpose: input dilation with both aligned and odd channels
    check_op(lambda x, f: gf.conv2d_transpose(x, f, None, (2, 3), "same"),
             [normal((1, 3, 4, 4)), normal((3, 3, 8, 4))], **TOL, grad_atol=5e-5)
    check_op(lambda x, f: gf.conv2d_transpose(x, f, None, 2, "valid"),
             [normal((2, 3, 4, 3)), normal((2, 3, 5, 3))], **TOL, grad_atol=5e-5)
    # one image row per chunk (forced), so the sum pass adds many chunks
    monkeypatch.setattr(conv_filter_grad, "TARGET_FRAGMENTS", 1 << 20)
    monkeypatch.setattr(conv_filter_grad, "MIN_CHUNK_PIXELS", 1)
    check_op(lambda x, f: gf.conv2d(x, f, 1, "same"), [normal((3, 5, 7, 4)), normal((3, 3, 4, 8))],
             **TOL, grad_atol=5e-5)
    assert len(calls) >= 3, "the GL filter-gradient kernel was not used"


def test_conv2d_filter_gradient_of_empty_batch_is_zero():
    x = gf.tensor(np.zeros((0, 5, 5, 4), np.float32))
    f = gf.tensor(np.ones((3, 3, 4, 4), np.float32))
    previous = gf.get_backend()
    for backend in ("cpu", "gl"):
        gf.set_backend(backend)
        try:
            (g,) = gf.grads(lambda w: gf.sum(gf.conv2d(x, w, 1, "same")))([f])
            np.testing.assert_array_equal(g.numpy(), np.zeros((3, 3, 4, 4), np.float32))
        finally:
            gf.set_backend(previous)


def test_conv2d_filter_gradient_kernel_with_4_render_targets(monkeypatch):
    # GL ES 3.0 guarantees only 4 draw buffers: blocks of 4 rows x 4 channels then
    previous = gf.get_backend()
    gf.set_backend("gl")
    try:
        monkeypatch.setattr(state.backend(), "block_rows", 4)
    finally:
        gf.set_backend(previous)
    for x_shape, f_shape in (((2, 6, 7, 8), (3, 3, 8, 12)), ((1, 5, 6, 3), (2, 3, 3, 5))):
        check_op(lambda x, f: gf.conv2d(x, f, 1, "same"), [normal(x_shape), normal(f_shape)],
                 **TOL, grad_atol=5e-5)


def test_direct_conv_runs_where_im2col_would_not_fit():
    """5 x 64 x 64 output pixels exceed one packed im2col texture (16384 rows on llvmpipe) but
    not the direct kernel's grid: the conv and both its gradients run and agree with numpy."""
    check_op(lambda x, f: gf.conv2d(x, f, 1, "same"), [normal((5, 64, 64, 4)),
                                                       normal((3, 3, 4, 8))], grad=False,
             atol=1e-5)  # 36 products summed in another order than numpy's

    def grads_on(backend):
        gf.set_backend(backend)
        rng = np.random.default_rng(4)
        x = gf.tensor(rng.standard_normal((5, 64, 64, 4)).astype(np.float32))
        f = gf.tensor(rng.standard_normal((3, 3, 4, 8)).astype(np.float32))
        return [g.numpy() for g in gf.grads(lambda a, b: gf.sum(gf.conv2d(a, b, 1, "same")))(
            [x, f])]
    cpu, gl = grads_on("cpu"), grads_on("gl")
    np.testing.assert_allclose(gl[0], cpu[0], rtol=1e-5, atol=1e-4)
    # dW sums 5 * 64 * 64 products per entry: float32 accumulation order differs by ~1e-6 rel
    np.testing.assert_allclose(gl[1], cpu[1], rtol=1e-4, atol=1e-2)


def test_im2col_conv_larger_than_one_packed_texture_runs():
    """3 channels take the im2col path, whose packed rows (9 * 64 * 64 = 36864) exceed a
    texture on llvmpipe (16384): the patch matrix is packed and multiplied in row tiles, and
    the conv and both its gradients agree with numpy (once refused: issue 8)."""
    check_op(lambda x, f: gf.conv2d(x, f, 1, "same"), [normal((9, 64, 64, 3)),
                                                       normal((3, 3, 3, 5))],
             atol=1e-5, grad_atol=1e-2)  # dW sums 9 * 64 * 64 products in another order


def test_fused_conv2d_agrees_on_both_backends():
    """fused_conv2d (conv2d with an elementwise epilogue: bias, activation, scaling, a
    residual add) on GL against its numpy twin, on the direct kernel (channels in whole
    texels) and on im2col + matmul. It has no eager op: graph mode's epilogue fusion makes it
    after differentiation (so it has no gradient), hence the compiled function."""
    def block(x, k, b, r):
        return gf.tanh(gf.conv2d(x, k, 1, "same") * 0.5 + b) + r
    for cin, cout in ((4, 8), (3, 5)):
        f = gf.function(block)
        check_op(f, [normal((2, 5, 4, cin)), normal((3, 3, cin, cout)), normal((cout,)),
                     normal((2, 5, 4, cout))], **TOL, grad=False)
        assert "fused_conv2d" in gf.profile(lambda: f(*[gf.ones(s) for s in (
            (2, 5, 4, cin), (3, 3, cin, cout), (cout,), (2, 5, 4, cout))])).kernel_names

