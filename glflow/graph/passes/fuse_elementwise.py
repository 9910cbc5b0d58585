"""Elementwise fusion: a tree of elementwise nodes becomes one `fused` kernel.

An elementwise node (its kernel's registry pattern is ELEMENTWISE: arithmetic, math,
activations, comparisons, casts, fill, broadcast_to, and the views transposes and slices read
through) is absorbed into the node that reads it when that node is elementwise too and is its
only reader (a value read elsewhere, returned or assigned to a Variable is kept and computed
once). Each maximal tree becomes one CALL of the `fused` kernel whose attrs hold the expression
tree of its kernels (`("call", kernel, args, param slots, dtype)`, `("in", i)` for leaves),
their float params in slot order, and one view per leaf (or None): the GL backend composes the
kernels' GLSL functions into one generated shader that reads each distinct input once per
texel (glflow/backends/gl/elementwise.py), the numpy backend evaluates the same tree.

Inputs broadcast: every leaf is read broadcast to the tree's output shape, and elementwise
kernels commute with broadcasting, so subtrees of smaller shapes may fuse too. A leaf read
through a view (a transpose) keeps the view, widened to the output shape by zero strides.
Scalar constants become float uniforms (the `fill` kernel's function), not textures to read.
MAX_INPUTS bounds the leaves of one kernel (GL samplers; GL guarantees 16 units).
"""
from ...ops.arithmetic import FUSED
from ...runtime import registry
from ...runtime.views import StridedView
from .. import ir
from .simplify import constant_value

MAX_INPUTS = 12


def fusable(node):
    """An elementwise CALL with one output (a `fused` node is one too)."""
    if node.kind != ir.CALL or node.prim.alias or node.prim.n_outputs != 1 or ir.host_refs(node):
        return False
    kernel = node.prim.kernel
    return kernel == "fused" or registry.get(kernel).pattern == registry.ELEMENTWISE


class _Tree:
    """An expression under construction: leaves (value, view) and params, in slot order."""

    def __init__(self, root_shape):
        self.shape = root_shape
        self.leaves = []
        self.params = []
        self.constants = {}
        self.reserved = 0

    def constant(self, number):
        """The param slot holding a scalar constant (one slot per distinct value)."""
        key = repr(number)
        slot = self.constants.get(key)
        if slot is None:
            slot = self.constants[key] = len(self.params)
            self.params.append(number)
        return slot

    def leaf(self, value, view):
        view = _widen(view, value, self.shape)
        key = (value, view)
        for i, existing in enumerate(self.leaves):
            if existing == key:
                return ("in", i)
        self.leaves.append(key)
        return ("in", len(self.leaves) - 1)


def run(graph, backend=None):
    users = graph.consumers()
    roots = set(graph.roots())
    absorbed = set()
    fused = 0
    for node in reversed(list(graph.nodes)):
        if node in absorbed or not fusable(node):
            continue
        tree = _Tree(node.output.shape)
        tree.reserved = _texture_inputs(node)
        taken = []
        expr = _build(node, None, tree, users, roots, taken, top=True)
        if not taken:
            continue  # a lone node: it already is one kernel
        absorbed.update(taken)
        views = tuple(view for _, view in tree.leaves)
        node.prim = FUSED
        node.name = "fused"
        node.inputs = [value for value, _ in tree.leaves]
        node.attrs = {"expr": expr, "params": tuple(tree.params),
                      "views": views if any(v is not None for v in views) else None}
        fused += 1
    if absorbed:
        graph.nodes = [n for n in graph.nodes if n not in absorbed]
    return fused


def _build(node, view_from_parent, tree, users, roots, taken, top=False):
    """The expression of `node` (inlining its single-reader elementwise producers)."""
    kernel = node.prim.kernel
    views = node.attrs.get("views") if node.attrs else None
    if kernel == "fused":
        inner, params = node.attrs["expr"], node.attrs.get("params", ())
    else:
        spec = registry.get(kernel)
        inner = ("call", kernel, tuple(("in", i) for i in range(len(node.inputs))),
                 tuple(range(len(spec.params))), node.output.dtype)
        params = tuple(node.attrs[p] for p in spec.params)
    offset = len(tree.params)
    tree.params.extend(params)
    args = []
    for i, v in enumerate(node.inputs):
        view = views[i] if views is not None else None
        producer = v.node
        if (view is None and fusable(producer) and producer not in taken
                and v not in roots and len(set(users.get(v, ()))) == 1
                and len(users[v]) == 1 and _room(tree, producer)):
            taken.append(producer)
            args.append(_build(producer, None, tree, users, roots, taken))
        elif view is None and constant_value(v) is not None:
            # a scalar constant becomes a uniform (fill's function), not a texture fetch
            args.append(("call", "fill", (), (tree.constant(constant_value(v)),), v.dtype))
        else:
            args.append(tree.leaf(v, view))
    return _substitute(inner, args, offset)


def _room(tree, producer):
    """Whether inlining the producer keeps the kernel within MAX_INPUTS leaves. `reserved`
    counts the leaves the tree may still get (an upper bound: constants become uniforms and
    repeated leaves are read once): inlining trades the producer's edge for its inputs."""
    wanted = tree.reserved - 1 + _texture_inputs(producer)
    if wanted > MAX_INPUTS:
        return False
    tree.reserved = wanted
    return True


def _texture_inputs(node):
    """Inputs a fused kernel would read from textures (scalar constants become uniforms)."""
    return sum(1 for v in node.inputs if constant_value(v) is None)


def _substitute(expr, args, offset):
    """expr with ("in", i) replaced by args[i] and param slots shifted by offset."""
    if expr[0] == "in":
        return args[expr[1]]
    return ("call", expr[1], tuple(_substitute(a, args, offset) for a in expr[2]),
            tuple(s + offset for s in expr[3])) + tuple(expr[4:])


def _widen(view, value, shape):
    """A leaf's view relative to the fused output shape: None stays None (broadcasting by
    numpy rules needs no view); a view of a smaller shape gets zero strides where the output
    broadcasts it."""
    if view is None or tuple(view.shape) == tuple(shape):
        return view
    pad = len(shape) - len(view.shape)
    vshape = (1,) * pad + tuple(view.shape)
    vstrides = (0,) * pad + tuple(view.strides)
    strides = [0 if vshape[d] == 1 and shape[d] != 1 else vstrides[d] for d in range(len(shape))]
    return StridedView.make(shape, strides, view.offset)
