"""Elementwise fusion: a tree of elementwise nodes becomes one `fused` kernel.

An elementwise node (its kernel's registry pattern is ELEMENTWISE: arithmetic, math,
activations, comparisons, casts, fill, broadcast_to, and the views transposes and slices read
through) joins the tree of the nodes that read it when they are all elementwise and in one
tree (a value read outside the tree, returned or assigned to a Variable is kept and computed
once, by a kernel of its own). A value read twice inside a tree (x * x, or y and -y of one y)
is one subtree used twice: the generated shader computes it once, in a temporary. Each
maximal tree becomes one CALL of the `fused` kernel whose attrs hold the expression tree of its
kernels (`("call", kernel, args, param slots, dtype)`, `("in", i)` for leaves), their float
params in slot order, and one view per leaf (or None): the GL backend composes the kernels'
GLSL functions into one generated shader that reads each distinct input once per texel
(glflow/backends/gl/elementwise.py), the numpy backend evaluates the same tree.

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
    group = _groups(graph, users, roots)
    members = {}
    for node, root in group.items():
        members.setdefault(root, set()).add(node)
    absorbed = set()
    fused = 0
    for root, nodes in members.items():
        if len(nodes) == 1:
            continue  # a lone node: it already is one kernel
        tree = _Tree(root.output.shape)
        expr = _build(root, nodes, tree, {})
        absorbed.update(nodes - {root})
        views = tuple(view for _, view in tree.leaves)
        root.prim = FUSED
        root.name = "fused"
        root.inputs = [value for value, _ in tree.leaves]
        root.attrs = {"expr": expr, "params": tuple(tree.params),
                      "views": views if any(v is not None for v in views) else None}
        fused += 1
    if absorbed:
        graph.nodes = [n for n in graph.nodes if n not in absorbed]
    return fused


def _groups(graph, users, roots):
    """{fusable node: the root of its tree}. In reverse topological order every reader of a
    node is placed before the node: it joins its readers' tree when they all are in one
    tree, read it directly (not through a view), its value is no output and the tree keeps
    within MAX_INPUTS texture inputs; otherwise it roots a tree of its own."""
    group, leaves = {}, {}
    for node in reversed(graph.nodes):
        if not fusable(node):
            continue
        out = node.output
        readers = users.get(out, ())
        trees = {group.get(r) for r in readers}
        root = trees.pop() if len(trees) == 1 else None
        if (root is not None and out not in roots
                and all(not _viewed(r, out) for r in readers)):
            wanted = (leaves[root] - {out}) | _texture_inputs(node)
            if len(wanted) <= MAX_INPUTS:
                group[node] = root
                leaves[root] = wanted
                continue
        group[node] = node
        leaves[node] = _texture_inputs(node)
    return group


def _viewed(reader, value):
    """Whether `reader` reads `value` through a view (a transpose): such an input stays a leaf."""
    views = reader.attrs.get("views") if reader.attrs else None
    return views is not None and any(
        v is value and views[i] is not None for i, v in enumerate(reader.inputs))


def _texture_inputs(node):
    """Inputs a fused kernel would read from textures (scalar constants become uniforms)."""
    return {v for v in node.inputs if constant_value(v) is None}


def _build(node, nodes, tree, built):
    """The expression of `node` with the producers in `nodes` inlined; a producer read more
    than once is built once and its subtree shared (the shader computes it once)."""
    found = built.get(node)
    if found is not None:
        return found
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
        if view is None and v.node in nodes:
            args.append(_build(v.node, nodes, tree, built))
        elif view is None and constant_value(v) is not None:
            # a scalar constant becomes a uniform (fill's function), not a texture fetch
            args.append(("call", "fill", (), (tree.constant(constant_value(v)),), v.dtype))
        else:
            args.append(tree.leaf(v, view))
    expr = built[node] = _substitute(inner, args, offset)
    return expr


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
