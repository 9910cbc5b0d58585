"""pad (glflow/ops/padding.py): constant, reflect and symmetric. gl vs cpu (bit-exact: it copies
values), gradients vs finite differences, results against numpy.pad."""
from hypothesis import given, settings, strategies as st
import numpy as np
import pytest

import glflow as gf
from helpers import check_op, fixed


EXACT = {"rtol": 0, "atol": 0}  # data movement copies values: gl and cpu must agree exactly


def data(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


def check_vs_numpy(fn, arrays, expected, **kw):
    """check_op (gl vs cpu, gradients) plus the cpu result against an independent numpy oracle."""
    out = check_op(fn, [fixed(a) for a in arrays], **{**EXACT, **kw})[0]
    np.testing.assert_array_equal(out, expected)


@pytest.mark.parametrize("shape,paddings", [
    ((5,), [[2, 3]]), ((3, 4), [[1, 0], [2, 2]]), ((2, 3, 5), [[0, 1], [2, 1], [1, 3]]),
    ((1, 1), [[0, 3], [4, 0]]), ((2, 3, 1, 2), [[1, 1], [0, 0], [2, 1], [1, 0]]),
])
@pytest.mark.parametrize("mode", ["constant", "reflect", "symmetric"])
def test_pad(shape, paddings, mode):
    limit = 1 if mode == "reflect" else 0
    paddings = [[min(b, n - limit), min(a, n - limit)] if mode != "constant" else [b, a]
                for (b, a), n in zip(paddings, shape)]
    x = data(*shape)
    want = (np.pad(x, paddings, constant_values=0) if mode == "constant" else
            np.pad(x, paddings, mode=mode))
    check_vs_numpy(lambda t: gf.pad(t, paddings, mode), [x], want)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.integers(1, 5), min_size=1, max_size=3),
       st.sampled_from(["constant", "reflect", "symmetric"]), st.data())
def test_pad_matches_numpy_property(shape, mode, draw):
    limit = {"constant": 6, "reflect": None, "symmetric": None}[mode]
    pairs = [[draw.draw(st.integers(0, limit if limit else n - (mode == "reflect")))
              for _ in range(2)] for n in shape]
    x = np.arange(int(np.prod(shape)), dtype=np.float32).reshape(shape)
    want = np.pad(x, pairs, mode=mode)
    for backend in ("cpu", "gl"):
        gf.set_backend(backend)
        try:
            np.testing.assert_array_equal(gf.pad(gf.tensor(x), pairs, mode).numpy(), want)
        finally:
            gf.set_backend("gl")


def test_pad_constant_value_and_dtypes():
    x = data(3, 5)
    check_vs_numpy(lambda t: gf.pad(t, [[1, 2], [0, 3]], constant_values=-1.5), [x],
                   np.pad(x, [[1, 2], [0, 3]], constant_values=-1.5))
    i = np.arange(12, dtype=np.int32).reshape(3, 4)
    out = check_op(lambda t: gf.pad(t, [[1, 1], [2, 0]], "symmetric"), [fixed(i)], **EXACT)[0]
    np.testing.assert_array_equal(out, np.pad(i, [[1, 1], [2, 0]], mode="symmetric"))
    out = check_op(lambda t: gf.pad(t, [[0, 1], [1, 1]], constant_values=7), [fixed(i)], **EXACT)[0]
    np.testing.assert_array_equal(out, np.pad(i, [[0, 1], [1, 1]], constant_values=7))


def test_pad_empty_and_large_margins():
    check_vs_numpy(lambda t: gf.pad(t, [[1, 2], [0, 0]], constant_values=3.0),
                   [np.zeros((0, 3), np.float32)], np.full((3, 3), 3.0, np.float32))
    x = data(3)
    check_vs_numpy(lambda t: gf.pad(t, [[3, 3]], "symmetric"), [x],
                   np.pad(x, [[3, 3]], mode="symmetric"))


def test_pad_errors():
    x = gf.zeros([3, 4])
    with pytest.raises(ValueError, match="pad: mode must be one of constant, reflect, symmetric"):
        gf.pad(x, [[1, 1], [1, 1]], "wrap")
    with pytest.raises(ValueError, match=r"pad: paddings .* one \[before, after\] pair per axis"):
        gf.pad(x, [[1, 1]])
    with pytest.raises(ValueError, match="pad: paddings .* must not be negative"):
        gf.pad(x, [[1, -1], [0, 0]])
    with pytest.raises(ValueError, match="pad: reflect padding .* of axis 0 must be at most 2"):
        gf.pad(x, [[3, 0], [0, 0]], "reflect")
    with pytest.raises(ValueError, match="pad: symmetric padding .* of axis 1 must be at most 4"):
        gf.pad(x, [[0, 0], [0, 5]], "symmetric")
    with pytest.raises(TypeError, match="pad: paddings must hold ints"):
        gf.pad(x, [[0.5, 0], [0, 0]])
    with pytest.raises(ValueError, match="pad: constant_values 0.5 is not a whole number"):
        gf.pad(gf.zeros([2], "int32"), [[1, 1]], constant_values=0.5)
