"""Linear algebra: matmul (2-D and batched, with transposes and batch broadcasting),
fused_matmul (bias and activation inside matmul's passes), dot, outer, band_part and diag.

GL: matmul packs both operands and computes a block per fragment over several render targets
(glflow/backends/gl/matmul.py); fused_matmul runs the bias and activation in matmul's unpack
pass (glflow/backends/gl/linalg.py), so they cost no pass of their own; band_part is one
masking pass (shaders/band_part.frag) that also builds diag(v) straight from v. numpy twins:
glflow/backends/numpy/linalg.py.
"""
import numbers

from ..runtime import dtypes
from ..runtime.registry import INJECTIVE, OUTPUT_FUSABLE
from ..runtime.views import MatrixView, StridedView
from . import _core
from ._primitive import Primitive
from .activations import elu, leaky_relu, relu, relu6, sigmoid
from .arithmetic import add, minimum, mul, sub
from .logic import greater, less, logical_and, where
from .math import square, tanh
from .reduction import sum_to_shape
from .shape import broadcast_to, reshape

__all__ = ["matmul", "fused_matmul", "dot", "outer", "band_part", "diag"]
TENSOR_METHODS = ["matmul", "dot"]


# --------------------------------------------------------------------------- matmul

def _product_grads(call, dz):
    """(da, db) of z = a @ b from the call's attrs, each one matmul of dz with the other
    operand; None, and no matmul, where the tape does not need it (call.needs)."""
    a, b = call.inputs[:2]
    ta, tb = call.attrs["transpose_a"], call.attrs["transpose_b"]
    needs = call.needs or (True, True)
    if not ta and not tb:  # matmul arguments (x, y, transpose_a, transpose_b) of da, db
        da, db = (dz, b, False, True), (a, dz, True, False)
    elif not ta and tb:
        da, db = (dz, b, False, False), (dz, a, True, False)
    elif ta and not tb:
        da, db = (b, dz, False, True), (a, dz, False, False)
    else:
        da, db = (b, dz, True, True), (dz, a, True, True)
    return tuple(sum_to_shape(matmul(*args), t._shape) if need else None
                 for args, t, need in zip((da, db), (a, b), needs))


# attrs: a_view, b_view (MatrixViews), batches, m, k, n; the transpose flags, for the
# gradient only (the views already hold them)
_TRANSPOSES = ("transpose_a", "transpose_b")
MATMUL = Primitive("matmul", "linalg", OUTPUT_FUSABLE, grad=_product_grads, takes_needs=True,
                   hidden=_TRANSPOSES)


def matmul(a, b, transpose_a=False, transpose_b=False):
    """a @ b. 1-D operands act as a row (a) or column (b) vector, as in numpy; leading
    dimensions are batch dimensions and broadcast."""
    a, b = _core.tensors("matmul", a, b)
    if a.rank == 0 or b.rank == 0:
        raise ValueError(f"matmul: operands must have rank >= 1, a is {a.shape}, b is {b.shape}")
    if a.rank == 1 or b.rank == 1:
        if (a.rank == 1 and transpose_a) or (b.rank == 1 and transpose_b):
            raise ValueError("matmul: transpose flags need 2-D or higher operands")
        a2 = reshape(a, [1, a._shape[0]]) if a.rank == 1 else a
        b2 = reshape(b, [b._shape[0], 1]) if b.rank == 1 else b
        y = matmul(a2, b2, transpose_a, transpose_b)
        shape = list(y._shape)
        if a.rank == 1:
            del shape[-2]
        if b.rank == 1:
            del shape[-1]
        return reshape(y, shape)
    m, k, n, batch = _product_shape("matmul", a, b, transpose_a, transpose_b)
    out_shape = tuple(batch) + (m, n)
    _core.check_size("matmul", out_shape)
    a, b = _broadcast_batch(a, batch), _broadcast_batch(b, batch)
    return MATMUL.run((a, b), out_shape, dtypes.promote(a._dtype, b._dtype),
                      _product_attrs(a, b, m, k, n, batch, transpose_a, transpose_b))


def _product_shape(op, a, b, ta, tb):
    m, k = (a._shape[-1], a._shape[-2]) if ta else (a._shape[-2], a._shape[-1])
    k2, n = (b._shape[-1], b._shape[-2]) if tb else (b._shape[-2], b._shape[-1])
    if k != k2:
        raise ValueError(f"{op}: inner dimensions differ: a is {a.shape}, b is {b.shape}"
                         f"{' (transpose_a)' if ta else ''}{' (transpose_b)' if tb else ''}")
    return m, k, n, _core.broadcast_shapes(op, a._shape[:-2], b._shape[:-2])


def _product_attrs(a, b, m, k, n, batch, ta, tb):
    batches = _core.size_of(batch)
    return {"a_view": _view(a, m, k, ta, batches), "b_view": _view(b, k, n, tb, batches),
            "batches": batches, "m": m, "k": k, "n": n, "transpose_a": ta, "transpose_b": tb}


def _broadcast_batch(x, batch):
    """Batch dims equal to the broadcast batch, or all 1 (read with batch stride 0), else copy."""
    own = x._shape[:-2]
    if own == tuple(batch) or _core.size_of(own) == 1:
        return x
    return broadcast_to(x, tuple(batch) + x._shape[-2:])


def _view(x, rows, cols, transposed, batches):
    matrix = x._shape[-2] * x._shape[-1]
    batch_stride = matrix if _core.size_of(x._shape[:-2]) == batches and batches > 1 else 0
    if transposed:  # stored [cols, rows]
        return MatrixView(rows, cols, batch_stride, 1, rows)
    return MatrixView(rows, cols, batch_stride, cols, 1)


# --------------------------------------------------------------------------- fused_matmul

# activation name -> its elementwise kernel (the GL epilogue pastes that kernel's GLSL)
ACTIVATIONS = ("linear", "relu", "relu6", "sigmoid", "tanh", "elu", "leaky_relu")


def _fused_grad(call, dy):
    attrs = call.attrs
    dz = _activation_grad(attrs["activation"], attrs["alpha"], call.output, dy,
                          lambda: _pre_activation(call))
    da, db = _product_grads(call, dz)
    if len(call.inputs) == 2:
        return da, db
    needs = call.needs or (True, True, True)
    return da, db, sum_to_shape(dz, call.inputs[2]._shape) if needs[2] else None


def _pre_activation(call):
    a, b, *bias = call.inputs
    z = matmul(a, b, call.attrs["transpose_a"], call.attrs["transpose_b"])
    return add(z, bias[0]) if bias else z


# attrs: matmul's, and activation, alpha, bias_strides ((batch, row, column) strides)
FUSED_MATMUL = Primitive("fused_matmul", "linalg", OUTPUT_FUSABLE, grad=_fused_grad,
                         takes_needs=True, hidden=_TRANSPOSES)


def _bias_strides(bias_shape, out_shape):
    """(batch, row, column) strides reading a bias broadcast to [batches, m, n], or None when
    the broadcast mixes batch dims (the bias is then materialised first)."""
    padded = (1,) * (len(out_shape) - len(bias_shape)) + tuple(bias_shape)
    bm, bn = padded[-2:]
    m, n = out_shape[-2:]
    if all(d == 1 for d in padded[:-2]):
        batch = 0
    elif padded[:-2] == tuple(out_shape[:-2]):
        batch = bm * bn
    else:
        return None
    return (batch, bn if bm == m and m != 1 else 0, 1 if bn == n and n != 1 else 0)


def fused_matmul(a, b, transpose_a=False, transpose_b=False, bias=None, activation="linear",
                 alpha=0.2):
    """activation(matmul(a, b, transpose_a, transpose_b) + bias) for float32 operands of
    rank >= 2 (leading dims are batch dims and broadcast); bias broadcasts to the result.
    activation: 'linear', 'relu', 'relu6', 'sigmoid', 'tanh', 'elu' (alpha 1, as TF.js) or
    'leaky_relu' (slope `alpha` below 0)."""
    op = "fused_matmul"
    a, b = _core.tensors(op, a, b)
    if activation not in ACTIVATIONS:
        raise ValueError(f"fused_matmul: activation must be one of {', '.join(ACTIVATIONS)}, "
                         f"got {activation!r}")
    if a.rank < 2 or b.rank < 2:
        raise ValueError(f"fused_matmul: operands must have rank >= 2, a is {a.shape}, "
                         f"b is {b.shape}")
    if bias is not None:
        (bias,) = _core.tensors(op, bias)
    for name, t in (("a", a), ("b", b), ("bias", bias)):
        if t is not None and t._dtype != dtypes.FLOAT32:
            raise TypeError(f"fused_matmul: {name} must be float32, got {t.dtype}")
    m, k, n, batch = _product_shape(op, a, b, transpose_a, transpose_b)
    out_shape = tuple(batch) + (m, n)
    strides = None
    if bias is not None:
        joint = _core.broadcast_shapes(op, bias._shape, out_shape, names=("bias", "result"))
        if joint != out_shape:
            raise ValueError(f"fused_matmul: bias of shape {bias.shape} does not broadcast to "
                             f"the result shape {list(out_shape)}")
        strides = _bias_strides(bias._shape, out_shape)
        if strides is None:
            bias = broadcast_to(bias, out_shape)
            strides = (m * n, n, 1)
    _core.check_size(op, out_shape)
    a, b = _broadcast_batch(a, batch), _broadcast_batch(b, batch)
    if k == 0 or _core.size_of(out_shape) == 0:  # no product to fuse into: compose from ops
        z = matmul(a, b, transpose_a, transpose_b)
        return _activate(z if bias is None else add(z, bias), activation, alpha)
    attrs = _product_attrs(a, b, m, k, n, batch, transpose_a, transpose_b)
    attrs.update(activation=activation, alpha=1.0 if activation == "elu" else float(alpha),
                 bias_strides=strides or (0, 0, 0))
    inputs = (a, b) if bias is None else (a, b, bias)
    return FUSED_MATMUL.run(inputs, out_shape, dtypes.FLOAT32, attrs)


def _activate(z, activation, alpha):
    if activation == "linear":
        return z
    if activation == "elu":
        return elu(z, 1.0)
    if activation == "leaky_relu":
        return leaky_relu(z, alpha)
    return {"relu": relu, "relu6": relu6, "sigmoid": sigmoid, "tanh": tanh}[activation](z)


def _activation_grad(activation, alpha, y, dy, pre_activation):
    """dy * activation'(z), from the output y where it determines the slope."""
    if activation == "linear":
        return dy
    if activation == "relu":
        return where(greater(y, 0.0), dy, 0.0)
    if activation == "relu6":
        return where(logical_and(greater(y, 0.0), less(y, 6.0)), dy, 0.0)
    if activation == "sigmoid":
        return mul(dy, mul(y, sub(1.0, y)))
    if activation == "tanh":
        return mul(dy, sub(1.0, square(y)))
    if activation == "elu":  # y + 1 = e^z below 0, 1 above: min(y + 1, 1)
        return mul(dy, minimum(add(y, 1.0), 1.0))
    # leaky_relu: y > 0 exactly where z > 0 when alpha > 0; otherwise recompute z
    sign_of = y if alpha > 0 else pre_activation()
    return where(greater(sign_of, 0.0), dy, mul(dy, alpha))


# --------------------------------------------------------------------------- dot, outer

def dot(a, b):
    """numpy.dot for 1-D and 2-D operands: vector . vector -> scalar, matrix @ vector,
    vector @ matrix, matrix @ matrix (via matmul)."""
    a, b = _core.tensors("dot", a, b)
    if a.rank not in (1, 2) or b.rank not in (1, 2):
        raise ValueError(f"dot: operands must be 1-D or 2-D, a is {a.shape}, b is {b.shape}; "
                         "use matmul for batches")
    if a._shape[-1] != b._shape[0]:
        raise ValueError(f"dot: inner dimensions differ: a is {a.shape}, b is {b.shape}")
    return matmul(a, b)


def outer(a, b):
    """Outer product: [a.size, b.size] with out[i, j] = a[i] * b[j] (inputs are flattened,
    as numpy.outer does). One broadcast multiply."""
    a, b = _core.tensors("outer", a, b)
    return mul(reshape(a, [a.size, 1]), reshape(b, [1, b.size]))


# --------------------------------------------------------------------------- band_part, diag

# attrs: batches, rows, cols, lower, upper, strides ((batch, row, column) strides into x)
BAND_PART = Primitive("band_part", "linalg", INJECTIVE, grad=lambda call, dy: (
    band_part(dy, call.attrs["lower"], call.attrs["upper"]),))
# diag(v): band_part's kernel reading v with row stride 1 and column stride 0
DIAG = Primitive("diag", pattern=INJECTIVE, kernel="band_part",
                 grad=lambda call, dy: (_diagonal(dy),))
# the diagonal of an n x n matrix: the identity kernel reading it with stride n + 1
DIAGONAL = Primitive("diagonal", pattern=INJECTIVE, kernel="identity",
                     grad=lambda call, dy: (diag(dy),))


def _bound(name, v):
    if not isinstance(v, numbers.Integral) or isinstance(v, bool):
        raise TypeError(f"band_part: {name} must be an int, got {v!r}")
    return int(v)


def _band_attrs(rows, cols, lower, upper, strides, out_shape):
    batches = _core.size_of(out_shape) // (rows * cols) if rows * cols else 0
    return {"batches": batches, "rows": rows, "cols": cols, "lower": lower, "upper": upper,
            "strides": tuple(strides)}


def band_part(x, num_lower, num_upper):
    """Keep the band of each innermost matrix: element (r, c) survives when
    (num_lower < 0 or r - c <= num_lower) and (num_upper < 0 or c - r <= num_upper), else 0.
    band_part(x, 0, -1) is the upper triangle, (-1, 0) the lower one, (0, 0) the diagonal."""
    (x,) = _core.tensors("band_part", x)
    lower, upper = _bound("num_lower", num_lower), _bound("num_upper", num_upper)
    if x.rank < 2:
        raise ValueError(f"band_part: x must have rank >= 2, got shape {x.shape}")
    rows, cols = x._shape[-2:]
    return BAND_PART.run((x,), x._shape, x._dtype,
                         _band_attrs(rows, cols, lower, upper, (rows * cols, cols, 1), x._shape))


def diag(x):
    """A 1-D x of size n as the diagonal of an n x n matrix (zeros elsewhere), in one pass."""
    (x,) = _core.tensors("diag", x)
    if x.rank != 1:
        raise ValueError(f"diag: x must be 1-D, got shape {x.shape}")
    n = x._shape[0]
    _core.check_size("diag", (n, n))
    return DIAG.run((x,), (n, n), x._dtype, _band_attrs(n, n, 0, 0, (0, 1, 0), (n, n)))


def _diagonal(m):
    """The diagonal of an n x n matrix: a strided read with stride n + 1."""
    n = m._shape[0]
    return DIAGONAL.run((m,), (n,), m._dtype, {"views": (StridedView.make([n], [n + 1]),)})
