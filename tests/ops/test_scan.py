"""cumsum and cumprod: gl vs numpy along every axis, inclusive/exclusive, forward/reverse, axis
lengths on both sides of the block scan's level switches (one pass; one and two levels of
block totals) in every layout, ints, bools, empty tensors, gradients and bad arguments."""
import itertools

import numpy as np
import pytest

import glflow as gf
from glflow.backends.gl import scan as gl_scan
from helpers import booleans, check_op, fixed, integers, normal, uniform
from tile_limit import capped_tiles


FLAGS = list(itertools.product([False, True], [False, True]))  # (exclusive, reverse)


# Block scan (glflow/backends/gl/scan.py): lengths on both sides of one sequential pass (rows
# of up to SEQ), and of one and two levels of block totals (a line of totals longer than a
# block is cut into blocks again), for texel-aligned rows (ROW4: B positions a block, whole
# texels) and unaligned ones (ROW: R positions a block, whose totals are scanned as ROW4)
B = gl_scan.BLOCKS["ROW4"]
R = gl_scan.BLOCKS["ROW"]
SEQ = gl_scan.SEQUENTIAL
LENGTHS = sorted({1, 2, 3, 4, 5, 7, 8, 13, SEQ - 1, SEQ, SEQ + 1, SEQ + 4, B * B, B * B + 4,
                  B ** 3, B ** 3 + 4, R + 1, R * B, R * B + 1, R * B * B - 1, R * B * B + 1,
                  100, 1000, 1001})


@pytest.mark.parametrize("exclusive,reverse", FLAGS)
@pytest.mark.parametrize("length", LENGTHS)
def test_cumsum_lengths(length, exclusive, reverse):
    # blocks add in another order than numpy's running sum: |error| ~ levels * ulp of the
    # partial sums (~30 for 1000 normal values; numpy's own running sum is further from the
    # exact sums than GL's at 1000 and beyond), hence atol
    check_op(lambda x: gf.cumsum(x, -1, exclusive, reverse), [normal((3, length))],
             rtol=1e-5, atol=2e-5, grad=length <= 100)


@pytest.mark.parametrize("exclusive,reverse", FLAGS)
def test_unaligned_rows_at_every_phase(exclusive, reverse):
    # ROW: a texel's 4 elements may end one line and start the next, and a tensor's last
    # texel may be partly past its end; lengths with last blocks of 1 .. 4 positions and row
    # counts that put lines and the tensor's end at every texel phase (exact: integers)
    for length in (5, 6, 7, 9, 10, 11, 14, 15):
        for rows in (1, 2, 3, 5):
            check_op(lambda x: gf.cumsum(x, 1, exclusive, reverse),
                     [integers((rows, length), -9, 10)])


@pytest.mark.parametrize("shape,axis", [((7,), 0), ((5, 7), 0), ((5, 7), 1), ((2, 3, 5), 1),
                                        ((2, 3, 5), -3), ((4, 2, 8), 1), ((13, 1), 1),
                                        ((3, 50, 6), 1), ((2, 300, 4), 1), ((2, 70, 3), 1),
                                        ((65, 8), 0), ((600, 3), 0), ((1, 9, 1), 1)])
@pytest.mark.parametrize("exclusive,reverse", FLAGS)
def test_cumsum_axes(shape, axis, exclusive, reverse):
    check_op(lambda x: gf.cumsum(x, axis, exclusive, reverse), [normal(shape)], atol=1e-5)


@pytest.mark.parametrize("exclusive,reverse", FLAGS)
@pytest.mark.parametrize("shape,axis", [((7,), 0), ((5, 7), 1), ((2, 3, 5), 1),
                                        ((3, 40), -1), ((40, 3), 0), ((3, 37), 1),
                                        ((2, 70, 4), 1)])
def test_cumprod(shape, axis, exclusive, reverse):
    # factors away from 0 (the gradient divides by x, see cumprod's docstring)
    check_op(lambda x: gf.cumprod(x, axis, exclusive, reverse), [uniform(shape, 0.5, 1.5)],
             rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("length", [1000, 1001])
@pytest.mark.parametrize("exclusive,reverse", FLAGS)
def test_cumprod_long_axis(length, exclusive, reverse):
    # factors near 1 keep 1000-long products finite; float32 products in another order
    # differ by up to ~passes * ulp
    check_op(lambda x: gf.cumprod(x, 1, exclusive, reverse), [uniform((2, length), 0.99, 1.01)],
             rtol=2e-5, grad=False)


def test_integer_and_bool_inputs():
    for exclusive, reverse in FLAGS:
        out = check_op(lambda x, e=exclusive, r=reverse: gf.cumsum(x, 1, e, r), [integers((4, 50))])
        assert out[0].dtype == np.int32
        check_op(lambda x, e=exclusive, r=reverse: gf.cumsum(x, 0, e, r), [booleans((30, 3))])
        check_op(lambda x, e=exclusive, r=reverse: gf.cumprod(x, 1, e, r),
                 [integers((3, 9), -3, 4)])
        for shape, axis in (((3, 1000), 1), ((3, 1001), 1), ((300, 12), 0)):
            check_op(lambda x, e=exclusive, r=reverse, a=axis: gf.cumsum(x, a, e, r),
                     [integers(shape)])


def test_scans_under_capped_tiles():
    # a scan's textures (block totals) are tensor layouts smaller than its input, not tiles;
    # it must not depend on the tile limit
    with capped_tiles(8):
        for shape, axis in (((3, 1000), 1), ((3, 1001), 1), ((70, 12), 0), ((70, 6), 0)):
            check_op(lambda x, a=axis: gf.cumsum(x, a, False, True), [normal(shape)],
                     atol=2e-5, grad=False)


def test_nan_and_inf_propagate_forward_only():
    x = np.array([[1.0, np.nan, 2.0, 3.0], [np.inf, 1.0, -np.inf, 2.0], [0.0, 2.0, np.inf, 1.0]],
                 np.float32)
    for exclusive, reverse in FLAGS:
        check_op(lambda t, e=exclusive, r=reverse: gf.cumsum(t, 1, e, r), [fixed(x)], grad=False)
        check_op(lambda t, e=exclusive, r=reverse: gf.cumprod(t, 1, e, r), [fixed(x)], grad=False)


def test_empty():
    for fn in (gf.cumsum, gf.cumprod):
        for shape, axis in [((0,), 0), ((3, 0), 1), ((0, 4), 1)]:
            out = check_op(lambda x, fn=fn, axis=axis: fn(x, axis),
                           [fixed(np.zeros(shape, np.float32))], grad=False)
            assert out[0].shape == shape


def test_gradients_match_reversed_scans():
    x = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], np.float32)
    dy = np.array([[1.0, 10.0, 100.0], [2.0, 20.0, 200.0]], np.float32)
    for backend in ("cpu", "gl"):
        gf.set_backend(backend)
        t = gf.tensor(x)
        for exclusive, reverse in FLAGS:
            g = gf.grad(lambda v, e=exclusive, r=reverse:
                        gf.sum(gf.cumsum(v, 1, e, r) * gf.tensor(dy)))(t)
            want = np.flip(np.cumsum(np.flip(dy, 1), 1), 1) if not reverse else np.cumsum(dy, 1)
            if exclusive:
                want = want - dy
            np.testing.assert_allclose(g.numpy(), want, err_msg=f"{backend} {exclusive} {reverse}")


@pytest.mark.parametrize("call,error,match", [
    (lambda x: gf.cumsum(x, 2), ValueError, "cumsum: axis 2 is out of range"),
    (lambda x: gf.cumprod(x, -3), ValueError, "cumprod: axis -3 is out of range"),
    (lambda x: gf.cumsum(x, (0, 1)), TypeError, "cumsum: axis must be one int"),
    (lambda x: gf.cumsum(x, 0, exclusive=1), TypeError, "cumsum: exclusive must be True"),
    (lambda x: gf.cumprod(x, 0, reverse="yes"), TypeError, "cumprod: reverse must be True"),
    (lambda x: gf.cumsum(gf.scalar(2.0)), ValueError, "cumsum: x must have rank >= 1"),
])
def test_bad_arguments(call, error, match):
    for backend in ("cpu", "gl"):
        gf.set_backend(backend)
        with pytest.raises(error, match=match):
            call(gf.ones((5, 7)))
