"""Statistics and norms composed from reductions: variance, moments, norm. No kernels of their
own: each is a few passes of sum/max/min and elementwise kernels, and their gradients come
from those ops' gradients."""
import math
import numbers

from ..runtime import dtypes
from . import _core
from .arithmetic import sub
from .math import abs, sqrt, square
from .reduction import max, mean, reduced_shape, sum
from .shape import cast, reshape

__all__ = ["variance", "moments", "norm"]
TENSOR_METHODS = ["variance", "norm"]


def _float(op, x):
    (x,) = _core.tensors(op, x)
    return cast(x, dtypes.FLOAT32) if x.dtype != dtypes.FLOAT32 else x


def _count(op, x, axes):
    count = _core.size_of([x._shape[a] for a in axes])
    if count == 0:
        raise ValueError(f"{op}: cannot average over an empty axis of shape {list(x._shape)}")
    return count


def _moments(op, x, axes, keepdims):
    """(mean with keepdims=True, variance) over `axes`: the one formula behind moments and
    variance. Two passes over the data (mean, then the mean of squared deviations): no
    cancellation for data far from zero."""
    x = _float(op, x)
    reduced = _core.normalize_axes(op, axes, x.rank)
    _count(op, x, reduced)
    centre = mean(x, reduced, keepdims=True)
    return centre, mean(square(sub(x, centre)), reduced, keepdims=keepdims)


def moments(x, axes=None, keepdims=False):
    """(mean, variance) over `axes` (None: all axes), always float32."""
    centre, var = _moments("moments", x, axes, keepdims)
    # var already has the requested shape; the mean, kept for broadcasting, takes it too
    return (centre if keepdims else reshape(centre, var._shape)), var


def variance(x, axis=None, keepdims=False):
    """Population variance (divides by n, like numpy's default) over `axis`."""
    return _moments("variance", x, axis, keepdims)[1]


_VECTOR_ORDS = ("euclidean", 1.0, 2.0, math.inf)
_MATRIX_ORDS = ("euclidean", "fro", 1.0, math.inf)


def _ord_key(ord, allowed, what):  # noqa: A002 - tfjs argument name
    """ord as a str or float if it is one of `allowed`, else a clear error."""
    key = None
    if isinstance(ord, str):
        key = ord
    elif isinstance(ord, numbers.Real) and not isinstance(ord, bool):
        key = float(ord)
    if key not in allowed:
        shown = ", ".join(repr(a) if isinstance(a, str) else f"{a:g}" for a in allowed)
        raise ValueError(f"norm: ord {ord!r} is not supported for {what}; use one of {shown}")
    return key


def norm(x, ord="euclidean", axis=None, keepdims=False):  # noqa: A002 - tfjs argument name
    """Vector or matrix norm, as tf.norm / tfjs norm.
    axis None (all elements, as one vector, like tfjs) or one axis: ord 'euclidean' or 2
    (sqrt of the sum of squares), 1 (sum of |x|), inf (max |x|); 'fro' is allowed with
    axis None (then it is the euclidean norm of all elements).
    axis a pair (rows, cols): ord 'fro'/'euclidean' (sqrt of the sum of squares), 1 (max over
    columns of the column sums of |x|), inf (max over rows of the row sums of |x|); ord 2
    (the spectral norm) needs an SVD and is not supported.
    The gradient of the euclidean norm at x = 0 is not finite (0/0), as in TensorFlow."""
    x = _float("norm", x)
    if axis is None:
        return _vector_norm(x, _ord_key(ord, _VECTOR_ORDS + ("fro",), "axis=None"), None,
                            keepdims)
    if isinstance(axis, numbers.Integral) and not isinstance(axis, bool):
        key = _ord_key(ord, _VECTOR_ORDS, "one axis (a vector norm)")
        _core.normalize_axes("norm", axis, x.rank)
        return _vector_norm(x, key, axis, keepdims)
    try:
        pair = list(axis)
    except TypeError:
        raise TypeError(f"norm: axis must be None, an int or a pair of ints, "
                        f"got {axis!r}") from None
    if len(pair) == 1:
        return norm(x, ord, pair[0], keepdims)
    if len(pair) != 2:
        raise ValueError(f"norm: axis must be None, one axis or two axes, got {axis!r} for x of "
                         f"shape {x.shape}")
    _core.normalize_axes("norm", pair, x.rank)  # range and repeats
    if isinstance(ord, numbers.Real) and not isinstance(ord, bool) and ord == 2:
        raise ValueError("norm: ord 2 over two axes (the spectral norm) is not supported; use "
                         "'fro', 1 or inf")
    key = _ord_key(ord, _MATRIX_ORDS, "two axes (a matrix norm)")
    rows, cols = (a % x.rank for a in pair)
    return _matrix_norm(x, key, rows, cols, keepdims)


def _vector_norm(x, ord, axis, keepdims):  # noqa: A002
    if ord == 1:
        return sum(abs(x), axis, keepdims)
    if ord == math.inf:
        return max(abs(x), axis, keepdims)
    return sqrt(sum(square(x), axis, keepdims))


def _matrix_norm(x, ord, rows, cols, keepdims):  # noqa: A002
    if ord in ("fro", "euclidean"):
        return sqrt(sum(square(x), [rows, cols], keepdims))
    summed, across = (rows, cols) if ord == 1 else (cols, rows)
    y = max(sum(abs(x), summed, keepdims=True), across, keepdims=True)
    return y if keepdims else reshape(y, reduced_shape(x._shape, (rows, cols), False))
