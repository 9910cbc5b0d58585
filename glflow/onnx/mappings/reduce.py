"""Reductions, arg-reductions, top-k, softmax and matrix products."""
import builtins

import numpy as np

from ... import ops
from .shape import axis_of, ints
from .table import mapping

_REDUCE_ATTRS = {"keepdims": 1, "noop_with_empty_axes": 0, "axes": None}


def _reduction(reduce):
    def run(n, x, axes=None):
        axes = ints(axes) if axes is not None else n["axes"]
        if not axes:  # None or []: every axis, or none at all
            if n["noop_with_empty_axes"]:
                return ops.identity(x)
            axes = list(builtins.range(x.rank))
        axes = sorted({axis_of(a, x.rank) for a in axes})
        return reduce(x, axes, bool(n["keepdims"]))
    return run


def _float(fn):
    return lambda x, axes, keep: fn(ops.cast(x, "float32") if x.dtype == "bool" else x,
                                    axes, keep)


def _sum_square(x, axes, keep):
    return ops.sum(ops.mul(x, x), axes, keep)


def _l1(x, axes, keep):
    return ops.sum(ops.abs(x), axes, keep)


def _l2(x, axes, keep):
    y = ops.sqrt(ops.sum(ops.square(ops.cast(x, "float32")), axes, keep))
    return ops.cast(ops.round(y), "int32") if x.dtype == "int32" else y


def _log_sum(x, axes, keep):
    return ops.log(ops.sum(x, axes, keep))


def _log_sum_exp(x, axes, keep):
    if 0 in x.shape:
        return ops.log(ops.sum(ops.exp(x), axes, keep))
    return ops.logsumexp(x, axes, keep)


def _extreme(fn, empty):
    def run(x, axes, keep):
        if any(x.shape[a] == 0 for a in axes):  # ONNX: the identity of max/min
            shape = [1 if i in axes else d for i, d in enumerate(x.shape)]
            if not keep:
                shape = [d for i, d in enumerate(x.shape) if i not in axes]
            limit = np.iinfo(np.int32) if x.dtype == "int32" else None
            value = (limit.min if empty < 0 else limit.max) if limit else empty
            return ops.fill(shape, value, x.dtype)
        return fn(x, axes, keep)
    return run


_REDUCTIONS = {
    "ReduceSum": ops.sum, "ReduceMean": ops.mean, "ReduceProd": ops.prod,
    "ReduceMax": _extreme(ops.max, -np.inf), "ReduceMin": _extreme(ops.min, np.inf),
    "ReduceSumSquare": _sum_square, "ReduceL1": _l1, "ReduceL2": _l2,
    "ReduceLogSum": _log_sum, "ReduceLogSumExp": _log_sum_exp,
}
for _op, _fn in _REDUCTIONS.items():
    mapping(_op, attrs=_REDUCE_ATTRS, host=(1,))(_reduction(_float(_fn)))


def _arg(fn):
    def run(n, x):
        a = axis_of(n["axis"], x.rank)
        if n["select_last_index"]:  # the first index of the reversed axis, mapped back
            i = fn(ops.reverse(x, a), axis=a, keepdims=bool(n["keepdims"]))
            return ops.sub(x.shape[a] - 1, i)
        return fn(x, axis=a, keepdims=bool(n["keepdims"]))
    return run


_ARG_ATTRS = {"axis": 0, "keepdims": 1, "select_last_index": 0}
mapping("ArgMax", attrs=_ARG_ATTRS)(_arg(ops.argmax))
mapping("ArgMin", attrs=_ARG_ATTRS)(_arg(ops.argmin))


@mapping("TopK", attrs={"axis": -1, "largest": 1, "sorted": 1}, host=(1,))
def top_k(n, x, k):
    k = int(np.asarray(k).reshape(-1)[0])
    a = axis_of(n["axis"], x.rank)
    last = a == x.rank - 1
    moved = x if last else ops.transpose(x, _to_last(x.rank, a))
    if n["largest"]:
        values, indices = ops.top_k(moved, k)
    else:  # the smallest: top-k of -x (ints and floats alike)
        values, indices = ops.top_k(ops.neg(moved), k)
        values = ops.neg(values)
    if not last:
        back = _from_last(x.rank, a)
        values, indices = ops.transpose(values, back), ops.transpose(indices, back)
    return values, indices


def _to_last(rank, a):
    return [d for d in builtins.range(rank) if d != a] + [a]


def _from_last(rank, a):
    perm = list(builtins.range(rank - 1))
    perm.insert(a, rank - 1)
    return perm


def _softmax(fn):
    def run(n, x):
        a = axis_of(n["axis"], x.rank)
        if n.opset >= 13:
            return fn(x, a)
        # before opset 13: over the axes from `axis` on, flattened into one
        flat = ops.reshape(x, [int(np.prod(x.shape[:a])), -1])
        return ops.reshape(fn(flat, 1), list(x.shape))
    return run


mapping("Softmax", attrs={"axis": -1})(_softmax(ops.softmax))
mapping("LogSoftmax", attrs={"axis": -1})(_softmax(ops.log_softmax))


@mapping("Hardmax", attrs={"axis": -1})
def hardmax(n, x):
    a = axis_of(n["axis"], x.rank)
    i = ops.argmax(x, axis=a, keepdims=True)
    positions = ops.reshape(ops.range(0, x.shape[a], 1, dtype="int32"),
                            [x.shape[a] if d == a else 1 for d in builtins.range(x.rank)])
    return ops.cast(ops.equal(positions, i), "float32")


@mapping("MatMul")
def matmul(n, a, b):
    if a.dtype != "float32":  # integer products: computed in float32, exact below 2**24
        y = ops.matmul(ops.cast(a, "float32"), ops.cast(b, "float32"))
        return ops.cast(ops.round(y), a.dtype)
    return ops.matmul(a, b)


@mapping("Gemm", attrs={"alpha": 1.0, "beta": 1.0, "transA": 0, "transB": 0})
def gemm(n, a, b, c=None):
    y = ops.matmul(a, b, transpose_a=bool(n["transA"]), transpose_b=bool(n["transB"]))
    if n["alpha"] != 1.0:
        y = ops.mul(y, n["alpha"])
    if c is not None:
        y = ops.add(y, ops.mul(c, n["beta"]) if n["beta"] != 1.0 else c)
    return y


@mapping("Einsum", attrs={"equation": None})
def einsum(n, *xs):
    return _einsum(n, n["equation"], xs)


def _einsum(n, equation, xs):
    """Einsum as transposes, broadcasts, one product and a sum: each operand is brought to
    one axis order over every letter, multiplied, and the letters not kept are summed."""
    eq = equation.replace(" ", "")
    lhs, arrow, rhs = eq.partition("->")
    terms = lhs.split(",")
    # '...' stands for the leading axes a term's letters leave over, aligned from the right
    # across operands (numpy's rule): each becomes letters the equation does not use
    spare = [c for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ" if c not in eq]
    widths = [x.rank - (len(t) - 3) if "..." in t else 0 for t, x in zip(terms, xs)]
    wide = max(widths, default=0)
    lead = "".join(spare[:wide])
    terms = [t.replace("...", lead[wide - w:]) for t, w in zip(terms, widths)]
    lhs = ",".join(terms)
    if not arrow:
        counts = {c: lhs.count(c) for c in lhs if c.isalpha() and c not in lead}
        rhs = lead + "".join(sorted(c for c in counts if counts[c] == 1))
    rhs = rhs.replace("...", lead)
    letters = list(dict.fromkeys(c for c in lhs if c.isalpha()))
    sizes = {}
    aligned = []
    for term, x in zip(terms, xs):
        x = _diagonal(x, term)
        term = "".join(dict.fromkeys(term))
        sizes.update(zip(term, x.shape))
        order = [term.index(c) for c in letters if c in term]
        y = ops.transpose(x, order) if order != list(builtins.range(len(order))) else x
        aligned.append(ops.reshape(y, [sizes[c] if c in term else 1 for c in letters]))
    y = aligned[0]
    for z in aligned[1:]:
        y = ops.mul(y, z)
    drop = [i for i, c in enumerate(letters) if c not in rhs]
    if drop:
        y = ops.sum(y, drop)
    kept = [c for c in letters if c in rhs]
    perm = [kept.index(c) for c in rhs]
    return ops.transpose(y, perm) if perm != sorted(perm) else ops.identity(y)


def _diagonal(x, term):
    """x with repeated letters of its term (a diagonal, 'ii') collapsed to one axis."""
    while len(set(term)) != len(term):
        c = next(c for c in term if term.count(c) > 1)
        i, j = term.index(c), term.index(c, term.index(c) + 1)
        n = x.shape[i]
        eye = np.zeros([n if d in (i, j) else 1 for d in builtins.range(x.rank)], np.float32)
        idx = [np.arange(n) if d in (i, j) else 0 for d in builtins.range(x.rank)]
        eye[tuple(idx)] = 1.0
        x = ops.sum(ops.mul(x, ops.tensor(eye)), j)
        term = term[:j] + term[j + 1:]
    return x
