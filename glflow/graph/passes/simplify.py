"""Algebraic simplification: rewrites that make the same values with fewer kernels.

- x * 1, 1 * x, x / 1, x + 0, 0 + x, x - 0 -> x (when x already has the result's shape and
  dtype: a broadcasting `x * ones` still has to make the bigger tensor);
- neg(neg(x)) -> x;
- (x * c1) * c2 -> x * (c1 c2) for float32 scalar constants when one of them is a power of
  two (scaling by 2^k commutes with rounding, so the result is the two-step one exactly; other
  reassociations, (x + c1) + c2 among them, would change last bits and are not made). The
  inner product must have no other reader, or nothing is saved;
- reshape(reshape(x)) -> reshape(x); a reshape to x's own shape -> x;
- transpose(transpose(x)) -> one transpose with the composed permutation, or x itself.
"""
import math

import numpy as np

from ...ops import _core
from ...ops.shape import TRANSPOSE
from ...runtime import dtypes
from ...runtime.views import StridedView, contiguous_strides
from .. import ir

MIN_NORMAL = float(np.finfo(np.float32).tiny)
IDENTITY_OPERAND = {"mul": (1.0, (0, 1)), "div": (1.0, (1,)), "add": (0.0, (0, 1)),
                    "sub": (0.0, (1,))}


def constant_value(v):
    """The Python float of a one-element constant, else None (read once, then remembered)."""
    node = v.node
    if node.kind != ir.CONST or v.size != 1:
        return None
    cached = node.attrs.get("value")
    if cached is None:
        cached = node.attrs["value"] = float(node.tensor.numpy().reshape(-1)[0])
    return cached


def run(graph, backend=None):
    changed = 0
    users = graph.consumers()
    roots = set(graph.roots())
    for node in list(graph.nodes):
        if node.kind != ir.CALL or node not in graph.nodes:
            continue
        replacement = _identity_result(node) or _double(node)
        if replacement is not None:
            graph.replace_uses(node.output, replacement)
            changed += 1
            users = graph.consumers()
            continue
        if _reassociate(graph, node, users, roots) or _compose_movement(graph, node, users, roots):
            changed += 1
            users = graph.consumers()
    return changed


def _same_as(v, out):
    return v.shape == out.shape and v.dtype == out.dtype


def _identity_result(node):
    """x for x op identity-element (IDENTITY_OPERAND), else None."""
    found = IDENTITY_OPERAND.get(node.prim.name)
    if found is None or len(node.inputs) != 2 or node.attrs:
        return None
    neutral, positions = found
    out = node.output
    for pos in positions:
        other = node.inputs[1 - pos]
        if constant_value(node.inputs[pos]) == neutral and _same_as(other, out):
            return other
    return None


def _double(node):
    """neg(neg(x)) -> x; reshape to its input's shape -> the input."""
    if node.prim.name == "neg":
        inner = node.inputs[0].node
        if inner.kind == ir.CALL and inner.prim.name == "neg" and \
                _same_as(inner.inputs[0], node.output):
            return inner.inputs[0]
    if node.prim.alias and node.inputs[0].shape == node.output.shape:
        return node.inputs[0]
    return None


def _single_reader(v, users, roots):
    return v not in roots and len(users.get(v, ())) == 1


def _power_of_two(c):
    mantissa, _ = math.frexp(c)
    return abs(mantissa) == 0.5


def _reassociate(graph, node, users, roots):
    """(x * c1) * c2 -> x * (c1 c2), float32 scalars, one of them a power of two."""
    if node.prim.name != "mul" or node.output.dtype != dtypes.FLOAT32 or node.attrs:
        return False
    for pos in (0, 1):
        inner_v, c2 = node.inputs[pos], constant_value(node.inputs[1 - pos])
        inner = inner_v.node
        if c2 is None or inner.kind != ir.CALL or inner.prim is not node.prim or inner.attrs:
            continue
        if not _single_reader(inner_v, users, roots):
            continue
        for ipos in (0, 1):
            x, c1 = inner.inputs[ipos], constant_value(inner.inputs[1 - ipos])
            if c1 is None or x.dtype != dtypes.FLOAT32:
                continue
            if not (_power_of_two(c1) or _power_of_two(c2)):
                continue
            folded = float(np.float32(c1) * np.float32(c2))
            if not math.isfinite(folded) or (folded != 0.0 and abs(folded) < MIN_NORMAL):
                continue  # the product itself must be a normal float32
            const = ir.Node(ir.CONST, out_specs=[((), dtypes.FLOAT32)],
                            tensor=_core.scalar(folded, dtypes.FLOAT32, "simplify"),
                            name="const")
            graph.insert_before(node, const)
            node.inputs = [x, const.output]
            return True
    return False


def _compose_movement(graph, node, users, roots):
    """reshape(reshape(x)) and transpose(transpose(x)) as one node (or none)."""
    inner = node.inputs[0].node if node.inputs else None
    if inner is None or inner.kind != ir.CALL or inner.prim is not node.prim:
        return False
    if node.prim.alias:
        node.inputs = [inner.inputs[0]]
        return True
    if node.prim is not TRANSPOSE:
        return False
    x = inner.inputs[0]
    perm = tuple(inner.attrs["perm"][p] for p in node.attrs["perm"])
    if perm == tuple(range(len(perm))):
        graph.replace_uses(node.output, x)
        return True
    strides = contiguous_strides(x.shape)
    view = StridedView.make([x.shape[p] for p in perm], [strides[p] for p in perm])
    node.inputs = [x]
    node.attrs = {"views": (view,), "perm": perm}
    return True
