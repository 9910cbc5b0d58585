"""Prologue fusion: the elementwise work that makes a reduction's input runs inside the
reduction's first pass.

A reduce_sum, reduce_prod, reduce_max, reduce_min, reduce_any or reduce_all whose input is made
by an elementwise (or already fused) node that nothing else reads takes that node's expression
as its `prologue` attr: its first pass computes each input element from the prologue's inputs
(broadcast or read through views as in a fused kernel) instead of reading a texture someone
wrote first (GL: glflow/backends/gl/reduction.py; numpy: the backend evaluates the expression,
then reduces). `sum(x * y)`, a loss's `sum(-log(p) * onehot)`, a norm's `sum(square(g))` run as
one reduction. Runs after elementwise fusion, so the prologue is a maximal fused tree.
"""
from .. import ir
from ...runtime import registry
from .fuse_elementwise import fusable

REDUCTIONS = ("reduce_sum", "reduce_prod", "reduce_max", "reduce_min", "reduce_any",
              "reduce_all")


def run(graph, backend=None):
    users = graph.consumers()
    roots = set(graph.roots())
    taken = []
    for node in graph.nodes:
        if (node.kind != ir.CALL or node.prim.kernel not in REDUCTIONS
                or len(node.inputs) != 1 or "prologue" in node.attrs):
            continue
        value = node.inputs[0]
        producer = value.node
        if value in roots or len(users.get(value, ())) != 1 or not fusable(producer):
            continue
        expr, params, views = _expression(producer)
        node.attrs = dict(node.attrs, prologue={
            "expr": expr, "params": params, "views": views, "shape": value.shape,
            "input_shapes": tuple(v.shape for v in producer.inputs), "dtype": value.dtype})
        node.inputs = list(producer.inputs)
        taken.append(producer)
    if taken:
        graph.nodes = [n for n in graph.nodes if n not in taken]
    return len(taken)


def _expression(node):
    """(expr, params, views) of an elementwise or fused node."""
    if node.prim.kernel == "fused":
        return node.attrs["expr"], tuple(node.attrs.get("params", ())), node.attrs.get("views")
    spec = registry.get(node.prim.kernel)
    expr = ("call", spec.name, tuple(("in", i) for i in range(len(node.inputs))),
            tuple(range(len(spec.params))), node.output.dtype)
    views = node.attrs.get("views") if node.attrs else None
    return expr, tuple(node.attrs[p] for p in spec.params), views
