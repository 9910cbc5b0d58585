"""concat and stack (glflow/ops/joining.py): gl vs cpu (bit-exact: they copy values), more inputs
than one pass samples, gradients vs finite differences, results against numpy."""
import numpy as np
import pytest

import glflow as gf
from helpers import booleans, check_op, fixed, integers


EXACT = {"rtol": 0, "atol": 0}  # data movement copies values: gl and cpu must agree exactly


def data(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


def check_vs_numpy(fn, arrays, expected, **kw):
    """check_op (gl vs cpu, gradients) plus the cpu result against an independent numpy oracle."""
    out = check_op(fn, [fixed(a) for a in arrays], **{**EXACT, **kw})[0]
    np.testing.assert_array_equal(out, expected)


@pytest.mark.parametrize("shapes,axis", [
    ([(3,), (5,), (1,)], 0), ([(2, 3), (2, 5)], 1), ([(2, 4), (3, 4), (1, 4)], 0),
    ([(2, 3, 8), (2, 1, 8), (2, 5, 8)], 1), ([(3, 4), (3, 8)], -1), ([(2, 0), (2, 3)], 1),
    ([(5, 3)], 0),
])
def test_concat(shapes, axis):
    arrays = [data(*s, seed=k) for k, s in enumerate(shapes)]
    fn = lambda *ts: gf.concat(list(ts), axis)  # noqa: E731
    check_vs_numpy(fn, arrays, np.concatenate(arrays, axis=axis))


def test_concat_many_inputs_in_groups():
    # more inputs than one pass may read (16 texture units): joined in groups, same result
    arrays = [data(2, k % 3 + 1, seed=k) for k in range(37)]
    fn = lambda *ts: gf.concat(list(ts), 1)  # noqa: E731
    check_vs_numpy(fn, arrays, np.concatenate(arrays, axis=1))


def test_concat_ints_and_bools():
    check_op(lambda a, b: gf.concat([a, b], 0), [integers((2, 3)), integers((4, 3))], **EXACT)
    check_op(lambda a, b: gf.concat([a, b], 1), [booleans((2, 3)), booleans((2, 1))], **EXACT)


@pytest.mark.parametrize("shape,count,axis", [((3,), 2, 0), ((2, 5), 3, 1), ((2, 3), 4, -1),
                                              ((), 5, 0)])
def test_stack(shape, count, axis):
    arrays = [data(*shape, seed=k) for k in range(count)]
    fn = lambda *ts: gf.stack(list(ts), axis)  # noqa: E731
    check_vs_numpy(fn, arrays, np.stack(arrays, axis=axis))


def test_concat_and_stack_errors():
    a, b = gf.zeros([2, 3]), gf.zeros([3, 3])
    with pytest.raises(ValueError, match=r"concat: shapes differ outside axis 1: tensor 0 is "
                                         r"\[2, 3\], tensor 1 is \[3, 3\]"):
        gf.concat([a, b], 1)
    with pytest.raises(TypeError, match="concat: tensors have mixed dtypes"):
        gf.concat([a, gf.zeros([2, 3], "int32")], 0)
    with pytest.raises(ValueError, match="concat: needs at least one tensor"):
        gf.concat([], 0)
    with pytest.raises(TypeError, match="concat: tensors must be a list"):
        gf.concat(a, 0)
    with pytest.raises(ValueError, match="concat: cannot concatenate scalars"):
        gf.concat([gf.scalar(1.0), gf.scalar(2.0)])
    with pytest.raises(ValueError, match="concat: axis 2 is out of range"):
        gf.concat([a, a], 2)
    with pytest.raises(ValueError, match=r"stack: tensors must have the same shape"):
        gf.stack([a, b])
