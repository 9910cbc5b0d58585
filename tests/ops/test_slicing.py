"""slice, strided_slice, reverse, split, unstack, getitem: gl vs cpu (bit-exact: they copy
values), gradients vs finite differences, and every result against numpy indexing."""
from hypothesis import given, settings, strategies as st
import numpy as np
import pytest

import glflow as gf
from helpers import check_op, fixed, integers


EXACT = {"rtol": 0, "atol": 0}  # data movement copies values: gl and cpu must agree exactly


def data(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


def check_vs_numpy(fn, array, expected, **kw):
    """check_op (gl vs cpu, gradients) plus the cpu result against an independent numpy oracle."""
    outs = check_op(fn, [fixed(array)], **EXACT, **kw)
    expected = expected if isinstance(expected, list) else [expected]
    assert len(outs) == len(expected)
    for got, want in zip(outs, expected):
        np.testing.assert_array_equal(got, want)


def _sizes(spec, n):
    if isinstance(spec, int):
        return [n // spec] * spec
    return [n - sum(s for s in spec if s != -1) if s == -1 else s for s in spec]


@st.composite
def _shape_and_key(draw):
    shape = draw(st.lists(st.integers(0, 6), min_size=1, max_size=3))
    bound = st.one_of(st.none(), st.integers(-8, 8))
    key = []
    for n in shape:
        if draw(st.booleans()):
            key.append(None)  # a new axis, consuming no axis of x
        key.append(draw(st.one_of(
            st.builds(slice, bound, bound, st.one_of(st.none(), st.integers(-3, 3).filter(bool))),
            st.integers(-n, n - 1) if n else st.just(slice(None)))))
    return shape, tuple(key)


@pytest.mark.parametrize("shape,begin,size", [
    ((7,), [2], [3]), ((7,), 3, None), ((5, 13), [1, 4], [3, -1]),
    ((3, 5, 7), [1, 0, 2], [2, 5, 3]), ((2, 3, 5, 7), [0, 1], [-1, 2]), ((4, 6), [2, 0], [0, 6]),
    ((1,), [0], [1]), ((3, 5), [3, 5], [0, 0]),
])
def test_slice(shape, begin, size):
    x = data(*shape)
    b = [begin] if isinstance(begin, int) else list(begin)
    s = [-1] * len(b) if size is None else list(size)
    index = tuple(slice(bi, None if si == -1 else bi + si) for bi, si in zip(b, s))
    check_vs_numpy(lambda t: gf.slice(t, begin, size), x, x[index])


def test_slice_int_and_bool_dtypes():
    check_op(lambda t: gf.slice(t, [1, 2], [2, 3]), [integers((5, 7))], **EXACT)
    b = np.random.default_rng(3).random((4, 9)) < 0.5
    out = check_op(lambda t: gf.slice(t, [1, 2], [2, 5]), [fixed(b)], **EXACT)[0]
    np.testing.assert_array_equal(out, b[1:3, 2:7])


def test_full_slice_shares_storage():
    x = gf.tensor(data(3, 5))
    assert gf.slice(x, [0, 0], [-1, -1]).numpy().tolist() == x.numpy().tolist()


@pytest.mark.parametrize("args,index", [
    (([1], [6], [2]), np.s_[1:6:2]),
    (([-2], [0], [-1]), np.s_[-2:0:-1]),
    (([0], [0], [-3], 1, 1), np.s_[::-3]),
    (([5], [-100], [-2]), np.s_[5:-100:-2]),
    (([100], [-100], [1]), np.s_[100:-100]),
])
def test_strided_slice_1d(args, index):
    x = data(13)
    begin, end, strides, *masks = args
    kw = dict(zip(["begin_mask", "end_mask"], masks))
    check_vs_numpy(lambda t: gf.strided_slice(t, begin, end, strides, **kw), x, x[index])


@pytest.mark.parametrize("kw,index", [
    ({"begin": [1, 0], "end": [4, 5], "strides": [2, -1], "end_mask": 2}, np.s_[1:4:2, 0::-1]),
    ({"begin": [0, 1], "end": [0, 0], "strides": [1, 1], "ellipsis_mask": 1, "shrink_axis_mask": 2},
     np.s_[..., 1]),
    ({"begin": [1, 0, 2], "end": [2, 0, 5], "strides": [1, 1, 1], "new_axis_mask": 2,
      "shrink_axis_mask": 1}, np.s_[1, None, 2:5]),
    ({"begin": [0, -1], "end": [3, 0], "strides": [1, 1], "shrink_axis_mask": 2}, np.s_[0:3, -1]),
    ({"begin": [0, 0, 0], "end": [0, 0, 0], "strides": [1, 1, 1], "new_axis_mask": 4,
      "ellipsis_mask": 2, "begin_mask": 1, "end_mask": 1}, np.s_[:, ..., None]),
    ({"begin": [4], "end": [1], "strides": [-2]}, np.s_[4:1:-2]),
])
def test_strided_slice_masks(kw, index):
    x = data(5, 6, 7)
    check_vs_numpy(lambda t: gf.strided_slice(t, **kw), x, x[index])


@pytest.mark.parametrize("shape,axis", [((7,), 0), ((5, 13), 1), ((3, 5, 7), [0, 2]),
                                        ((2, 3, 5), None), ((1, 4), -1), ((0, 3), 0)])
def test_reverse(shape, axis):
    x = data(*shape)
    check_vs_numpy(lambda t: gf.reverse(t, axis), x, np.flip(x, axis=axis))


@pytest.mark.parametrize("shape,spec,axis", [((12,), 3, 0), ((5, 13), [2, -1, 4], 1),
                                             ((6, 5, 3), [1, 0, 5], 0), ((3, 7), 1, 1)])
def test_split(shape, spec, axis):
    x = data(*shape)
    cuts = np.cumsum(_sizes(spec, shape[axis]))[:-1]
    check_vs_numpy(lambda t: gf.split(t, spec, axis), x, np.split(x, cuts, axis=axis))


def test_split_gradient_of_one_piece():
    # unused pieces get zero gradient through the one concat of the split's gradient
    x = data(4, 6)
    check_op(lambda t: gf.split(t, 3, axis=1)[1], [fixed(x)], **EXACT)


@pytest.mark.parametrize("shape,axis", [((3,), 0), ((4, 5), 1), ((2, 3, 5), -1), ((3, 1, 2), 1)])
def test_unstack(shape, axis):
    x = data(*shape)
    want = [np.take(x, i, axis=axis) for i in range(x.shape[axis])]
    check_vs_numpy(lambda t: gf.unstack(t, axis), x, want)


@pytest.mark.parametrize("key", [
    1, -1, np.s_[1:4], np.s_[::-2], np.s_[1, ::2], np.s_[..., 3], np.s_[None, 2, 1:, None],
    np.s_[:, -3:-1, ::-1], np.s_[0, 0, 0], np.s_[2:2], np.s_[..., None],
])
def test_getitem_and_gradient(key):
    x = data(4, 5, 6)
    check_vs_numpy(lambda t: t[key], x, x[key])


def test_slicing_composes_with_other_ops():
    x = data(6, 7)
    check_op(lambda t: gf.mul(gf.slice(t, [1, 1], [3, 4]), gf.reverse(t, 1)[2:5, :4]),
             [fixed(x)], rtol=1e-6)


@settings(max_examples=40, deadline=None)
@given(_shape_and_key())
def test_getitem_matches_numpy_property(shape_and_key):
    # random shapes (empty axes too) and slices with any start/stop/step, ints and new axes
    shape, key = shape_and_key
    x = np.arange(int(np.prod(shape)), dtype=np.float32).reshape(shape)
    for backend in ("cpu", "gl"):
        gf.set_backend(backend)
        try:
            np.testing.assert_array_equal(gf.tensor(x)[key].numpy(), x[key])
        finally:
            gf.set_backend("gl")


def test_slice_errors():
    x = gf.zeros([3, 5])
    with pytest.raises(ValueError, match=r"slice: begin\[1\] = 6 is out of range"):
        gf.slice(x, [0, 6], [1, 1])
    with pytest.raises(ValueError, match=r"slice: begin\[0\] \+ size\[0\] = 2 \+ 2 exceeds"):
        gf.slice(x, [2, 0], [2, 1])
    with pytest.raises(ValueError, match=r"slice: size\[1\] = -3 is negative"):
        gf.slice(x, [0, 0], [1, -3])
    with pytest.raises(ValueError, match=r"slice: begin \[0, 0, 0\]"):
        gf.slice(x, [0, 0, 0], [1, 1, 1])
    with pytest.raises(ValueError, match=r"slice: begin\[0\] = -1"):
        gf.slice(x, [-1, 0], [1, 1])
    with pytest.raises(TypeError, match="slice: begin must hold ints"):
        gf.slice(x, [0.5, 0], [1, 1])


def test_strided_slice_errors():
    x = gf.zeros([3, 5])
    with pytest.raises(ValueError, match="strided_slice: strides .* must be non-zero"):
        gf.strided_slice(x, [0], [2], [0])
    with pytest.raises(ValueError, match="strided_slice: begin .* same length"):
        gf.strided_slice(x, [0, 1], [2], [1])
    with pytest.raises(IndexError, match="strided_slice: shrink index 3 is out of range"):
        gf.strided_slice(x, [3], [4], [1], shrink_axis_mask=1)
    with pytest.raises(ValueError, match="strided_slice: spec of 3 entries"):
        gf.strided_slice(x, [0, 0, 0], [1, 1, 1])


def test_split_unstack_reverse_errors():
    x = gf.zeros([4, 6])
    with pytest.raises(ValueError, match="split: cannot split axis 1 of size 6 .* into 4"):
        gf.split(x, 4, axis=1)
    with pytest.raises(ValueError, match=r"split: sizes \[2, 3\] sum to 5, not to the size 6"):
        gf.split(x, [2, 3], axis=1)
    with pytest.raises(ValueError, match="split: sizes .* at most one -1"):
        gf.split(x, [-1, -1], axis=1)
    with pytest.raises(ValueError, match="split: axis 2 is out of range"):
        gf.split(x, 2, axis=2)
    with pytest.raises(ValueError, match="unstack: x is a scalar"):
        gf.unstack(gf.scalar(1.0))
    with pytest.raises(ValueError, match="reverse: axis 3 is out of range"):
        gf.reverse(x, 3)


def test_getitem_errors():
    x = gf.zeros([3, 5])
    with pytest.raises(IndexError, match="getitem: index 3 out of range for axis 0 of size 3"):
        x[3]
    with pytest.raises(IndexError, match="getitem: too many indices"):
        x[0, 0, 0]
    with pytest.raises(TypeError, match=r"getitem: unsupported index .*use gf.gather"):
        x[[0, 1]]
    with pytest.raises(IndexError, match="single ellipsis"):
        x[..., ...]
