"""The program of a group of elementwise nodes: what a `fused` kernel, a reduction's prologue
or a matmul/conv epilogue computes (the format: glflow/backends/gl/elementwise.py).

`build(members, outputs, shape)` walks the members in graph order and gives each one op (a
`fused` member, an earlier fusion or add_n, gives its own ops): a member's input made by
another member (read directly, not through a view) is that member's op, a one-element constant
is a `fill` op over a float param (a uniform on GL, not a texture to read), anything else a
leaf: an input of the kernel, read broadcast to `shape`, or through its view widened to
`shape`. Equal leaves, equal constants and equal ops (same kernel, arguments, param values
and dtype) are made once. Each op notes its node's dtype, so the numpy twin stores every
intermediate as the unfused kernel would have.
"""
from ...runtime import registry
from ...runtime.views import StridedView
from .simplify import constant_value


class Program:
    """A program under construction: ops, leaves (value, view) and params, in slot order."""

    def __init__(self, shape):
        self.shape = tuple(shape)
        self.ops = []
        self.leaves = []
        self.params = []
        self._leaf_index = {}
        self._constants = {}
        self._made = {}

    def leaf(self, value, view):
        view = widen(view, value, self.shape)
        key = (value, view)
        index = self._leaf_index.get(key)
        if index is None:
            index = self._leaf_index[key] = len(self.leaves)
            self.leaves.append(key)
        return ("in", index)

    def constant(self, number, dtype):
        """A fill op over the param slot holding `number` (one slot per distinct value)."""
        key = repr(number)
        slot = self._constants.get(key)
        if slot is None:
            slot = self._constants[key] = len(self.params)
            self.params.append(number)
        return self.op("fill", (), (slot,), dtype)

    def op(self, kernel, args, slots, dtype):
        key = (kernel, args, tuple(repr(self.params[s]) for s in slots), dtype)
        ref = self._made.get(key)
        if ref is None:
            ref = self._made[key] = ("t", len(self.ops))
            self.ops.append((kernel, args, slots, dtype))
        return ref

    def add(self, node, args):
        """The op(s) of one node over argument refs (one per input); returns its output ref."""
        inner, params = node_program(node)[:2]
        offset = len(self.params)
        self.params.extend(params)
        local = []
        for kernel, inner_args, slots, dtype in inner[0]:
            mapped = tuple(args[a[1]] if a[0] == "in" else local[a[1]] for a in inner_args)
            local.append(self.op(kernel, mapped, tuple(s + offset for s in slots), dtype))
        out = inner[1][0]
        return args[out[1]] if out[0] == "in" else local[out[1]]


def build(members, outputs, shape):
    """(program, params, leaves) of `members` (nodes in graph order) computing the values of
    `outputs` (members), inputs read at `shape`; leaves are (value, view) pairs in input
    order."""
    prog = Program(shape)
    inside = set(members)
    refs = {}
    for node in members:
        views = node.attrs.get("views") if node.attrs else None
        args = []
        for i, v in enumerate(node.inputs):
            view = views[i] if views is not None else None
            if view is None and v.node in inside:
                args.append(refs[v.node])
            elif view is None and constant_value(v) is not None:
                args.append(prog.constant(constant_value(v), v.dtype))
            else:
                args.append(prog.leaf(v, view))
        refs[node] = prog.add(node, args)
    program = (tuple(prog.ops), tuple(refs[n] for n in outputs))
    return program, tuple(prog.params), prog.leaves


def node_program(node):
    """(program, params, views) of one elementwise or `fused` node over its own inputs."""
    if node.prim.kernel == "fused":
        return node.attrs["program"], tuple(node.attrs.get("params", ())), \
            node.attrs.get("views")
    spec = registry.get(node.prim.kernel)
    args = tuple(("in", i) for i in range(len(node.inputs)))
    program = (((spec.name, args, tuple(range(len(spec.params))), node.output.dtype),),
               (("t", 0),))
    views = node.attrs.get("views") if node.attrs else None
    return program, tuple(node.attrs[p] for p in spec.params), views


def size(node):
    """Ops a node adds to a program at most: its own (a `fused` node's program), and a fill
    for each scalar constant it reads."""
    own = len(node.attrs["program"][0]) if node.prim.kernel == "fused" else 1
    return own + sum(1 for v in node.inputs if constant_value(v) is not None)


def widen(view, value, shape):
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
