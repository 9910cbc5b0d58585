"""Epilogue fusion: the elementwise work on a matmul's or a conv's result runs inside the pass
that writes it (bias, activation, scaling, a residual add: any elementwise program).

A product (matmul, fused_matmul, a one-group conv2d seen through the reshape that makes it
NHWC, fused_conv2d) whose value only one node reads, an elementwise node or a `fused` group of
one output (elementwise fusion ran first, so it is as large as it gets), of the product's shape
and not through a view, and which is neither returned nor assigned, merges with that reader
into one fused_matmul or fused_conv2d. Its `epilogue` attr holds the reader's program with the
product as input 0 (after the product's own epilogue, if it had one) and the reader's other
inputs as extras: bias, residual, scale. The kernels read an extra at each output element
through (batch, row, column) strides of the product seen as [batches, m, n] (matmul: its batch
dims, rows and columns; conv: 1, N * OH * OW and channels), so an extra must broadcast as a
whole within each of those groups of dims: a bias [C] or [n], a residual of the product's
shape, a scalar, a column [m, 1]; not an [N, 1, 1, C] scale, whose reader stays a pass of its
own. At most MAX_EXTRAS extras (the unpack passes sample 8 product targets; GL guarantees 16).

GL: glflow/backends/gl/epilogue.py pastes the program into matmul's unpack pass or conv_direct's
gather pass; numpy evaluates it on the product. Runs after differentiation (a traced gradient
is in the graph already), so fused products need no gradient.
"""
from math import prod

from ...ops.conv import CONV2D, FUSED_CONV2D
from ...ops.linalg import FUSED_MATMUL, MATMUL
from ...runtime import dtypes
from .. import ir
from . import fused_program
from .fuse_elementwise import fusable

MAX_EXTRAS = 4
_IDENTITY = {"program": ((), (("in", 0),)), "params": (), "strides": ()}


class Site:
    """A product that can take an epilogue: its node, the value its reader reads (conv2d: the
    NHWC reshape), the groups of that value's dims read as (batch, row, column), the alias
    node between them, the fused primitive it becomes."""

    def __init__(self, node, value, dims, alias, fused):
        self.node, self.value, self.dims = node, value, dims
        self.alias, self.fused = alias, fused


class _Refused(Exception):
    pass


def run(graph, backend=None):
    fused = 0
    while _fuse_one(graph):
        fused += 1
    return fused


def _fuse_one(graph):
    users = graph.consumers()
    roots = set(graph.roots())
    for node in graph.nodes:
        site = _site(node, users, roots)
        if site is None or site.value in roots:
            continue
        readers = set(users.get(site.value, ()))
        if len(readers) != 1:
            continue
        reader = readers.pop()
        if not fusable(reader) or reader.output.shape != site.value.shape:
            continue
        try:
            _absorb(graph, site, reader)
        except _Refused:
            continue
        return True
    return False


def _site(node, users, roots):
    if node.kind != ir.CALL or node.output.size == 0:
        return None
    attrs = node.attrs
    if node.prim is MATMUL or node.prim is FUSED_MATMUL:
        if (node.output.dtype != dtypes.FLOAT32 or attrs["k"] == 0
                or any(v.dtype != dtypes.FLOAT32 for v in node.inputs)):
            return None
        rank = len(node.output.shape)
        dims = (tuple(range(rank - 2)), (rank - 2,), (rank - 1,))
        return Site(node, node.output, dims, None, FUSED_MATMUL)
    if node.prim is FUSED_CONV2D and attrs["groups"] == 1:
        return Site(node, node.output, ((), (0, 1, 2), (3,)), None, FUSED_CONV2D)
    if node.prim is CONV2D and attrs["groups"] == 1 and node.output not in roots:
        readers = users.get(node.output, ())
        if len(readers) == 1 and readers[0].is_alias and len(readers[0].output.shape) == 4:
            alias = readers[0]
            return Site(node, alias.output, ((), (0, 1, 2), (3,)), alias, FUSED_CONV2D)
    return None


def _absorb(graph, site, reader):
    """reader becomes the fused product: the product's epilogue, then reader's program."""
    node, value = site.node, site.value
    program, params, leaves = fused_program.build([reader], [reader], value.shape)
    before = node.attrs.get("epilogue", _IDENTITY)
    ops = list(before["program"][0])
    extras, strides = list(node.inputs[2:]), list(before["strides"])
    refs = []
    for leaf, view in leaves:
        if leaf is value:
            if view is not None:
                raise _Refused()  # the product read through a view (a transpose)
            refs.append(before["program"][1][0])
            continue
        found = _strides(leaf.shape, value.shape, site.dims) if view is None else None
        if found is None:
            raise _Refused()
        if (leaf, found) not in zip(extras, strides):
            extras.append(leaf)
            strides.append(found)
        refs.append(("in", 1 + list(zip(extras, strides)).index((leaf, found))))
    if len(extras) > MAX_EXTRAS:
        raise _Refused()
    shift_ops, shift_params = len(ops), len(before["params"])

    def mapped(ref):
        return refs[ref[1]] if ref[0] == "in" else ("t", ref[1] + shift_ops)
    for kernel, args, slots, dtype in program[0]:
        ops.append((kernel, tuple(mapped(a) for a in args),
                    tuple(s + shift_params for s in slots), dtype))
    attrs = {k: v for k, v in node.attrs.items() if k not in ("epilogue", "activation",
                                                                "alpha")}
    attrs["epilogue"] = {"program": (tuple(ops), (mapped(program[1][0]),)),
                         "params": tuple(before["params"]) + tuple(params),
                         "strides": tuple(strides)}
    reader.prim = site.fused
    reader.name = site.fused.name
    reader.inputs = list(node.inputs[:2]) + extras
    reader.attrs = attrs
    graph.remove(node)
    if site.alias is not None:
        graph.remove(site.alias)


def _strides(shape, out_shape, dims):
    """(batch, row, column) strides reading a tensor of `shape` broadcast to out_shape, whose
    dims `dims` groups into batch, row and column; None when a group is neither all the
    tensor's own nor all broadcast."""
    pad = len(out_shape) - len(shape)
    if pad < 0:
        return None
    padded = (1,) * pad + tuple(shape)
    found = []
    for group in dims:
        live = [d for d in group if out_shape[d] != 1]
        if not live or all(padded[d] == 1 for d in live):
            found.append(0)
        elif all(padded[d] == out_shape[d] for d in live):
            found.append(prod(padded[live[-1] + 1:]))  # the tensor's stride of that dim
        else:
            return None
    return tuple(found)
