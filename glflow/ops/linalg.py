"""matmul (2-D and batched, with transposes and batch broadcasting) and its gradient."""

__all__ = ["matmul"]
TENSOR_METHODS = ["matmul"]
from .. import dtypes, engine, kernels
from ..backends.views import MatrixView
from . import _core

kernels.register("matmul", "special")


def matmul(a, b, transpose_a=False, transpose_b=False):
    """a @ b. 1-D operands act as a row (a) or column (b) vector, as in numpy; leading
    dimensions are batch dimensions and broadcast."""
    a, b = _core.tensors("matmul", a, b)
    if a.rank == 0 or b.rank == 0:
        raise ValueError(f"matmul: operands must have rank >= 1, a is {a.shape}, b is {b.shape}")
    if a.rank == 1 or b.rank == 1:
        from .shape import reshape
        a2 = reshape(a, [1, a._shape[0]]) if a.rank == 1 else a
        b2 = reshape(b, [b._shape[0], 1]) if b.rank == 1 else b
        if (a.rank == 1 and transpose_a) or (b.rank == 1 and transpose_b):
            raise ValueError("matmul: transpose flags need 2-D or higher operands")
        y = matmul(a2, b2, transpose_a, transpose_b)
        shape = list(y._shape)
        if a.rank == 1:
            del shape[-2]
        if b.rank == 1:
            del shape[-1]
        return reshape(y, shape)
    m, k = (a._shape[-1], a._shape[-2]) if transpose_a else (a._shape[-2], a._shape[-1])
    k2, n = (b._shape[-1], b._shape[-2]) if transpose_b else (b._shape[-2], b._shape[-1])
    if k != k2:
        raise ValueError(f"matmul: inner dimensions differ: a is {a.shape}, b is {b.shape}"
                         f"{' (transpose_a)' if transpose_a else ''}"
                         f"{' (transpose_b)' if transpose_b else ''}")
    batch = _core.broadcast_shapes("matmul", a._shape[:-2], b._shape[:-2])
    a, b = _broadcast_batch(a, batch), _broadcast_batch(b, batch)
    batches = _core.size_of(batch)
    out_shape = tuple(batch) + (m, n)
    out_dtype = dtypes.promote(a.dtype, b.dtype)
    be = engine.backend()
    _core.check_size("matmul", out_shape, be)
    if be.name == "gl" and batches * m * n and k:
        from ..backends.gl.matmul import check_fits
        reason = check_fits(be.max_size, batches, m, k, n, be.block_rows)
        if reason:
            raise ValueError(f"matmul: a is {a.shape}, b is {b.shape}: {reason}")
    a_view = _view(a, m, k, transpose_a, batches)
    b_view = _view(b, k, n, transpose_b, batches)
    handle = be.matmul(_core.data_on(a, be), a_view, _core.data_on(b, be), b_view,
                       batches, m, k, n)
    y = engine.wrap(handle, out_shape, out_dtype, be)

    def grad(dy, needs=(True, True)):
        return _grad(a, b, dy, transpose_a, transpose_b, needs)
    grad.takes_needs = True  # Dense's x @ kernel skips dx of the data batch: a whole matmul
    return engine.record("matmul", [a, b], y, grad)


def _broadcast_batch(x, batch):
    """Batch dims equal to the broadcast batch, or all 1 (read with batch stride 0), else copy."""
    own = x._shape[:-2]
    if own == tuple(batch) or _core.size_of(own) == 1:
        return x
    from .shape import broadcast_to
    return broadcast_to(x, tuple(batch) + x._shape[-2:])


def _view(x, rows, cols, transposed, batches):
    matrix = x._shape[-2] * x._shape[-1]
    batch_stride = matrix if _core.size_of(x._shape[:-2]) == batches and batches > 1 else 0
    if transposed:  # stored [cols, rows]
        return MatrixView(rows, cols, batch_stride, 1, rows)
    return MatrixView(rows, cols, batch_stride, cols, 1)


def _grad(a, b, dy, ta, tb, needs=(True, True)):
    """(da, db), each one matmul of dy with the other operand; None, and no matmul, where
    `needs` says the tape drops it."""
    from .reduction import sum_to_shape
    if not ta and not tb:  # matmul arguments (x, y, transpose_a, transpose_b) of da, db
        da, db = (dy, b, False, True), (a, dy, True, False)
    elif not ta and tb:
        da, db = (dy, b, False, False), (dy, a, True, False)
    elif ta and not tb:
        da, db = (b, dy, False, True), (a, dy, False, False)
    else:
        da, db = (b, dy, True, True), (dy, a, True, True)
    return tuple(sum_to_shape(matmul(*args), t._shape) if need else None
                 for args, t, need in zip((da, db), (a, b), needs))
