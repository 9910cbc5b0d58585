"""fused_matmul: activation(a @ b + bias) in the passes of one matmul. On GL the bias and
the activation run inside matmul's final unpack pass (glflow/backends/gl/kernels/fused.py),
so they cost no pass and no intermediate texture of their own."""

__all__ = ["fused_matmul"]
from .. import dtypes, engine, kernels
from . import _core
from .linalg import _broadcast_batch, _grad, _view

kernels.register("fused_matmul", "special")

# activation name -> its elementwise kernel (the epilogue pastes that kernel's GLSL)
ACTIVATIONS = ("linear", "relu", "relu6", "sigmoid", "tanh", "elu", "leaky_relu")


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
    activation: 'linear', 'relu', 'relu6', 'sigmoid', 'tanh', 'elu' (alpha 1, as tfjs) or
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
        if t is not None and t.dtype != dtypes.FLOAT32:
            raise TypeError(f"fused_matmul: {name} must be float32, got {t.dtype}")
    m, k = (a._shape[-1], a._shape[-2]) if transpose_a else a._shape[-2:]
    k2, n = (b._shape[-1], b._shape[-2]) if transpose_b else b._shape[-2:]
    if k != k2:
        raise ValueError(f"fused_matmul: inner dimensions differ: a is {a.shape}, b is {b.shape}"
                         f"{' (transpose_a)' if transpose_a else ''}"
                         f"{' (transpose_b)' if transpose_b else ''}")
    batch = _core.broadcast_shapes(op, a._shape[:-2], b._shape[:-2])
    out_shape = tuple(batch) + (m, n)
    strides = None
    if bias is not None:
        joint = _core.broadcast_shapes(op, bias._shape, out_shape, names=("bias", "result"))
        if joint != out_shape:
            raise ValueError(f"fused_matmul: bias of shape {bias.shape} does not broadcast to "
                             f"the result shape {list(out_shape)}")
        strides = _bias_strides(bias._shape, out_shape)
        if strides is None:
            from .shape import broadcast_to
            bias = broadcast_to(bias, out_shape)
            strides = (m * n, n, 1)
    a, b = _broadcast_batch(a, batch), _broadcast_batch(b, batch)
    batches = _core.size_of(batch)
    be = engine.backend()
    _core.check_size(op, out_shape, be)
    if be.name == "gl" and batches * m * n and k:
        from ..backends.gl.matmul import check_fits
        reason = check_fits(be.max_size, batches, m, k, n, be.block_rows)
        if reason:
            raise ValueError(f"fused_matmul: a is {a.shape}, b is {b.shape}: {reason}")
    if k == 0 or batches * m * n == 0:  # no product to fuse into: compose from ops
        return _composed(a, b, transpose_a, transpose_b, bias, activation, alpha)
    inputs = [a, b] + ([bias] if bias is not None else [])
    y = _core.launch(op, "fused_matmul", inputs, out_shape, dtypes.FLOAT32,
                     a_view=_view(a, m, k, transpose_a, batches),
                     b_view=_view(b, k, n, transpose_b, batches), batches=batches, m=m, k=k,
                     n=n, activation=activation,
                     alpha=1.0 if activation == "elu" else float(alpha),
                     bias_strides=strides or (0, 0, 0))

    def grad(dy, needs=(True, True, True)):
        dz = _activation_grad(activation, alpha, y, dy,
                              lambda: fused_matmul(a, b, transpose_a, transpose_b, bias))
        da, db = _grad(a, b, dz, transpose_a, transpose_b, needs[:2])
        if bias is None:
            return da, db
        from .reduction import sum_to_shape
        return da, db, sum_to_shape(dz, bias._shape) if needs[2] else None
    grad.takes_needs = True  # Dense's first layer skips dx of the data batch: a whole matmul
    return engine.record(op, inputs, y, grad)


def _activate(z, activation, alpha):
    from . import activations, elementwise
    if activation == "linear":
        return z
    if activation in ("elu", "leaky_relu"):
        return getattr(activations, activation)(z, 1.0 if activation == "elu" else alpha)
    return getattr(activations if activation == "relu6" else elementwise, activation)(z)


def _composed(a, b, ta, tb, bias, activation, alpha):
    """The unfused ops (recorded one by one): for shapes with nothing to fuse into."""
    from .elementwise import add
    from .linalg import matmul
    z = matmul(a, b, ta, tb)
    return _activate(z if bias is None else add(z, bias), activation, alpha)


def _activation_grad(activation, alpha, y, dy, pre_activation):
    """dy * activation'(z), from the output y where it determines the slope."""
    from .elementwise import add, binary, minimum, mul, square, sub
    if activation == "linear":
        return dy
    zero = _core.scalar_constant(0.0, dtypes.FLOAT32, "fused_matmul")
    if activation == "relu":
        return mul(dy, binary("greater", y, zero, out_dtype=dtypes.FLOAT32))
    if activation == "relu6":
        six = _core.scalar_constant(6.0, dtypes.FLOAT32, "fused_matmul")
        inside = mul(binary("greater", y, zero, out_dtype=dtypes.FLOAT32),
                     binary("less", y, six, out_dtype=dtypes.FLOAT32))
        return mul(dy, inside)
    if activation == "sigmoid":
        return mul(dy, mul(y, sub(1.0, y)))
    if activation == "tanh":
        return mul(dy, sub(1.0, square(y)))
    if activation == "elu":  # y + 1 = e^z below 0, 1 above: min(y + 1, 1)
        return mul(dy, minimum(add(y, 1.0), 1.0))
    # leaky_relu: y > 0 exactly where z > 0 when alpha > 0; otherwise recompute z
    sign_of = y if alpha > 0 else pre_activation()
    positive = binary("greater", sign_of, zero, out_dtype=dtypes.FLOAT32)
    return mul(dy, add(mul(positive, 1.0 - alpha), alpha))
