"""The logic family (glflow/ops/logic.py): comparisons, logical_not/and/or/xor, where and the
nan/inf tests. bool in / bool out with broadcasting, the ternary where with 3-way broadcasting
and gradients to a and b, and clear errors for bad input."""
from hypothesis import given, settings, strategies as st
import numpy as np
import pytest

import glflow as gf
from glflow.runtime import counters
from helpers import booleans, check_op, fixed, integers, normal, run_on


BROADCASTS = [[(5, 7), (5, 7)], [(3, 1, 5), (4, 1)], [(7,), ()], [(2, 3, 8), (3, 8)],
              [(6, 4), (6, 1)], [(1,), (9, 3)], [(13,), (13,)], [(0, 3), (3,)], [(), ()]]


WHERE_SHAPES = [[(5, 7), (5, 7), (5, 7)], [(5, 7), (7,), ()], [(3, 1), (1, 4), (3, 4)],
                [(2, 1, 5), (3, 1), (1,)], [(), (6,), (6,)], [(4, 1), (), (1, 9)],
                [(13,), (13,), (13,)], [(0, 3), (3,), (1,)], [(4097,), (4097,), ()]]


@pytest.mark.parametrize("name", ["equal", "not_equal", "less", "less_equal", "greater",
                                  "greater_equal"])
def test_comparisons(name):
    a = np.array([[1, 2, 3, np.nan], [0, -1, 5, 2]], np.float32)
    b = np.array([1, 3, 2, np.nan], np.float32)
    check_op(getattr(gf, name), [fixed(a), fixed(b)], grad=False)
    check_op(getattr(gf, name), [integers((3, 5)), integers((5,))], grad=False)


def test_nan_inf_tests():
    x = np.array([[0.0, np.nan, np.inf, -np.inf], [1.0, -2.0, 3e38, 1e-30]], np.float32)
    for name in ("is_nan", "is_inf", "is_finite"):
        out = check_op(getattr(gf, name), [fixed(x)], grad=False)[0]
        assert out.dtype == np.bool_
        np.testing.assert_array_equal(out, getattr(np, name.replace("_", ""))(x))
        check_op(getattr(gf, name), [integers((7,))], grad=False)
        check_op(getattr(gf, name), [(0, 3)], grad=False)


@pytest.mark.parametrize("name", ["logical_and", "logical_or", "logical_xor"])
@pytest.mark.parametrize("shapes", BROADCASTS)
def test_logical_binary(name, shapes):
    out = check_op(getattr(gf, name), [booleans(s) for s in shapes], grad=False)[0]
    assert out.dtype == np.bool_


def test_logical_truth_tables():
    a = np.array([False, False, True, True])
    b = np.array([False, True, False, True])
    for name in ("logical_and", "logical_or", "logical_xor"):
        out = check_op(getattr(gf, name), [fixed(a), fixed(b)], grad=False)[0]
        np.testing.assert_array_equal(out, getattr(np, name)(a, b))
    np.testing.assert_array_equal(gf.logical_not(a).numpy(), [True, True, False, False])


@pytest.mark.parametrize("shape", [(), (1,), (3,), (5, 7), (2, 3, 5), (4097,), (0,)])
def test_logical_not(shape):
    check_op(gf.logical_not, [booleans(shape)], grad=False)


def test_logical_methods_and_comparisons():
    check_op(lambda x, y: (x > 0).logical_and(y < 0).logical_or((x > 1).logical_not())
             .logical_xor(y > x), [normal((4, 5)), normal((5,))], grad=False)


@pytest.mark.parametrize("shapes", WHERE_SHAPES)
def test_where_broadcasts_three_ways(shapes):
    c, a, b = shapes
    check_op(gf.where, [booleans(c), normal(a), normal(b)])


def test_where_dtypes_and_nan():
    c = np.array([True, False, True, False])
    a = np.array([np.nan, np.inf, 1.0, 2.0], np.float32)
    b = np.array([5.0, -np.inf, np.nan, 7.0], np.float32)
    out = check_op(gf.where, [fixed(c), fixed(a), fixed(b)], grad=False)[0]
    np.testing.assert_array_equal(out, np.where(c, a, b))  # a nan not chosen never leaks
    out = check_op(gf.where, [booleans((3, 4)), integers((3, 4)), integers((4,))], grad=False)[0]
    assert out.dtype == np.int32
    out = check_op(gf.where, [booleans((5,)), booleans((5,)), booleans(())], grad=False)[0]
    assert out.dtype == np.bool_
    out = check_op(gf.where, [booleans((5,)), integers((5,)), normal((5,))])[0]
    assert out.dtype == np.float32
    out = check_op(lambda c, a: gf.where(c, a, 0.0), [booleans((2, 3)), normal((3,))])[0]
    assert out.shape == (2, 3)


def test_where_gradient_goes_to_the_chosen_side():
    c = gf.tensor([True, False, True])
    a, b = gf.tensor([1.0, 2.0, 3.0]), gf.tensor([10.0, 20.0, 30.0])
    with gf.GradientTape() as tape:
        tape.watch(a, b)
        y = gf.sum(gf.mul(gf.where(c, a, b), gf.tensor([1.0, 2.0, 3.0])))
    da, db = tape.gradient(y, [a, b])
    np.testing.assert_array_equal(da.numpy(), [1.0, 0.0, 3.0])
    np.testing.assert_array_equal(db.numpy(), [0.0, 2.0, 0.0])


@settings(max_examples=25, deadline=None)
@given(st.lists(st.integers(1, 4), min_size=0, max_size=3),
       st.lists(st.booleans(), min_size=9, max_size=9), st.integers(0, 2**31 - 1))
def test_where_matches_numpy_for_any_broadcast(out_shape, drop, seed):
    """Each operand keeps, drops or collapses to 1 each output axis: every numpy broadcast."""
    rank = len(out_shape)
    shapes = []
    for k in range(3):
        shape = [1 if drop[3 * k + d] else n for d, n in enumerate(out_shape)]
        shapes.append(tuple(shape[rank - (seed >> k) % (rank + 1):]) if rank else ())
    rng = np.random.default_rng(seed)
    c = rng.random(shapes[0]) < 0.5
    a = rng.standard_normal(shapes[1]).astype(np.float32)
    b = rng.standard_normal(shapes[2]).astype(np.float32)
    got = run_on("gl", gf.where, [c, a, b])[0][0]
    np.testing.assert_array_equal(got, np.where(c, a, b))


def test_bad_input_raises_before_any_gl_work():
    f, flags = gf.ones([2, 3]), gf.tensor([[True, False, True], [False, True, True]])
    ints, short = gf.ones([2, 3], "int32"), gf.ones([4])
    before = dict(counters.kernel_counts)
    with pytest.raises(ValueError, match=r"where: .*condition is \[2, 3\], a is \[4\], "
                                         r"b is \[2, 3\]"):
        gf.where(flags, short, f)
    with pytest.raises(TypeError, match=r"where: condition must be bool, got float32"):
        gf.where(f, f, f)
    with pytest.raises(TypeError, match=r"logical_and: a must be bool, got float32 "
                                        r"\(shape \[2, 3\]\)"):
        gf.logical_and(f, flags)
    with pytest.raises(TypeError, match=r"logical_or: b must be bool, got int32"):
        gf.logical_or(flags, ints)
    with pytest.raises(TypeError, match=r"logical_not: x must be bool, got float32"):
        gf.logical_not(f)
    with pytest.raises(ValueError, match=r"logical_xor: .*\[2, 3\].*\[4\]"):
        gf.logical_xor(flags, gf.tensor([True] * 4))
    assert counters.kernel_counts == before
