"""dot, outer, band_part and diag: compositions of matmul/broadcasting, and one masking
kernel (`band_part`) that also builds diag(v) straight from v."""

__all__ = ["dot", "outer", "band_part", "diag"]
TENSOR_METHODS = ["dot"]
import numbers

from .. import engine, kernels
from ..backends.views import StridedView
from . import _core

kernels.register("band_part", "special")


def dot(a, b):
    """numpy.dot for 1-D and 2-D operands: vector . vector -> scalar, matrix @ vector,
    vector @ matrix, matrix @ matrix (via matmul)."""
    a, b = _core.tensors("dot", a, b)
    if a.rank not in (1, 2) or b.rank not in (1, 2):
        raise ValueError(f"dot: operands must be 1-D or 2-D, a is {a.shape}, b is {b.shape}; "
                         "use matmul for batches")
    if a._shape[-1] != b._shape[0]:
        raise ValueError(f"dot: inner dimensions differ: a is {a.shape}, b is {b.shape}")
    from .linalg import matmul
    return matmul(a, b)


def outer(a, b):
    """Outer product: [a.size, b.size] with out[i, j] = a[i] * b[j] (inputs are flattened,
    as numpy.outer does). One broadcast multiply."""
    a, b = _core.tensors("outer", a, b)
    from .elementwise import mul
    from .shape import reshape
    return mul(reshape(a, [a.size, 1]), reshape(b, [1, b.size]))


def _bound(name, v):
    if not isinstance(v, numbers.Integral) or isinstance(v, bool):
        raise TypeError(f"band_part: {name} must be an int, got {v!r}")
    return int(v)


def _band(op, x, rows, cols, lower, upper, strides, out_shape):
    batches = _core.size_of(out_shape) // (rows * cols) if rows * cols else 0
    return _core.launch(op, "band_part", [x], out_shape, x.dtype, batches=batches, rows=rows,
                        cols=cols, lower=lower, upper=upper, strides=tuple(strides))


def band_part(x, num_lower, num_upper):
    """Keep the band of each innermost matrix: element (r, c) survives when
    (num_lower < 0 or r - c <= num_lower) and (num_upper < 0 or c - r <= num_upper), else 0.
    band_part(x, 0, -1) is the upper triangle, (-1, 0) the lower one, (0, 0) the diagonal."""
    (x,) = _core.tensors("band_part", x)
    lower, upper = _bound("num_lower", num_lower), _bound("num_upper", num_upper)
    if x.rank < 2:
        raise ValueError(f"band_part: x must have rank >= 2, got shape {x.shape}")
    rows, cols = x._shape[-2:]
    y = _band("band_part", x, rows, cols, lower, upper, (rows * cols, cols, 1), x._shape)
    return engine.record("band_part", [x], y, lambda dy: (band_part(dy, lower, upper),))


def diag(x):
    """A 1-D x of size n as the diagonal of an n x n matrix (zeros elsewhere), in one pass:
    the band_part kernel reads x with row stride 1 and column stride 0."""
    (x,) = _core.tensors("diag", x)
    if x.rank != 1:
        raise ValueError(f"diag: x must be 1-D, got shape {x.shape}")
    n = x._shape[0]
    y = _band("diag", x, n, n, 0, 0, (0, 1, 0), (n, n))

    def grad(dy):  # the diagonal of dy: a strided view with stride n + 1
        from ._movement import view_copy
        d = view_copy("diag", dy, StridedView([n], [n + 1]))
        return (engine.record("diag", [dy], d, lambda g: (diag(g),)),)
    return engine.record("diag", [x], y, grad)
