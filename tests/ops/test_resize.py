"""resize_bilinear / resize_nearest with TF's coordinate rules: gl vs cpu, gradients vs
finite differences, values vs per-pixel loops written from TF's documented formulas."""
import math

import numpy as np
import pytest

import glflow as gf
from helpers import check_op, make_inputs, normal


def _scale(n_in, n_out, align):
    return (n_in - 1) / (n_out - 1) if align and n_out > 1 else n_in / n_out


def reference_bilinear(x, size, align, half):
    n, h, w, c = x.shape
    out = np.zeros((n,) + tuple(size) + (c,))
    sh, sw = _scale(h, size[0], align), _scale(w, size[1], align)
    for i in range(size[0]):
        for j in range(size[1]):
            y = (i + 0.5) * sh - 0.5 if half else i * sh
            z = (j + 0.5) * sw - 0.5 if half else j * sw
            y0, z0 = math.floor(y), math.floor(z)
            ly, lz = y - y0, z - z0
            r0, r1 = max(y0, 0), min(math.ceil(y), h - 1)
            c0, c1 = max(z0, 0), min(math.ceil(z), w - 1)
            top = x[:, r0, c0] + (x[:, r0, c1] - x[:, r0, c0]) * lz
            bottom = x[:, r1, c0] + (x[:, r1, c1] - x[:, r1, c0]) * lz
            out[:, i, j] = top + (bottom - top) * ly
    return out


def reference_nearest(x, size, align, half):
    n, h, w, c = x.shape
    sh, sw = _scale(h, size[0], align), _scale(w, size[1], align)

    def pick(o, s, n_in):
        src = (o + 0.5) * s if half else o * s
        return min(int(math.floor(src + 0.5)) if align else int(math.floor(src)), n_in - 1)
    rows = [pick(i, sh, h) for i in range(size[0])]
    cols = [pick(j, sw, w) for j in range(size[1])]
    return x[:, rows][:, :, cols]


MODES = [(False, False), (True, False), (False, True)]


@pytest.mark.parametrize("align,half", MODES)
@pytest.mark.parametrize("size", [(5, 3), (2, 7), (1, 1)])
def test_resize_bilinear(size, align, half):
    shapes = [normal((2, 3, 4, 3))]
    cpu = check_op(lambda x: gf.resize_bilinear(x, size, align, half), shapes)
    (x,) = [a for _, a in make_inputs(shapes, 0)]
    np.testing.assert_allclose(cpu[0], reference_bilinear(x.astype(np.float64), size, align,
                                                          half), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("align,half", MODES)
@pytest.mark.parametrize("size", [(5, 3), (2, 7)])
def test_resize_nearest(size, align, half):
    shapes = [normal((2, 3, 4, 5))]
    cpu = check_op(lambda x: gf.resize_nearest(x, size, align, half), shapes)
    (x,) = [a for _, a in make_inputs(shapes, 0)]
    np.testing.assert_array_equal(cpu[0], reference_nearest(x, size, align, half))


def test_rank3_images():
    check_op(lambda x: gf.resize_bilinear(x, [4, 6]), [normal((3, 2, 2))])


@pytest.mark.parametrize("call,error,message", [
    (lambda: gf.resize_bilinear(np.zeros((3, 3), np.float32), [2, 2]), ValueError,
     "resize_bilinear: images must have rank"),
    (lambda: gf.resize_nearest(np.zeros((1, 3, 3, 1), np.float32), [2, -2]), ValueError,
     "resize_nearest: size must be positive"),
    (lambda: gf.resize_nearest(np.zeros((1, 3, 3, 1), np.float32), [2]), ValueError,
     "resize_nearest: size must be 2 ints"),
    (lambda: gf.resize_bilinear(np.zeros((1, 3, 3, 1), np.float32), [2, 2], True, True),
     ValueError, "resize_bilinear: align_corners and half_pixel_centers"),
])
def test_bad_arguments(call, error, message):
    with pytest.raises(error, match=message):
        call()
