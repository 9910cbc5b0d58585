"""Prologue fusion: the elementwise work that makes a reduction's input runs inside the
reduction's first pass.

A reduce_sum, reduce_prod, reduce_max, reduce_min, reduce_any or reduce_all whose input is made
by an elementwise (or already fused) node of one output that nothing else reads takes that
node's program (glflow/backends/gl/elementwise.py) as its `prologue` attr: its first pass
computes each input element from the prologue's inputs (broadcast or read through views as in
a fused kernel) instead of reading a texture someone wrote first (GL:
glflow/backends/gl/reduction.py; numpy: the backend evaluates the program, then reduces).
`sum(x * y)`, a loss's `sum(-log(p) * onehot)`, a norm's `sum(square(g))` run as one
reduction. Runs after elementwise fusion, so the prologue is a maximal fused group (which may
hold copies of cheap values other kernels compute too: fuse_elementwise.py).
"""
from .fuse_elementwise import fusable, takes_prologue
from .fused_program import node_program


def run(graph, backend=None):
    users = graph.consumers()
    roots = set(graph.roots())
    taken = []
    for node in graph.nodes:
        if not takes_prologue(node):
            continue
        value = node.inputs[0]
        producer = value.node
        if value in roots or len(users.get(value, ())) != 1 or not fusable(producer):
            continue
        program, params, views = node_program(producer)
        node.attrs = dict(node.attrs, prologue={
            "program": program, "params": params, "views": views, "shape": value.shape,
            "input_shapes": tuple(v.shape for v in producer.inputs), "dtype": value.dtype})
        node.inputs = list(producer.inputs)
        taken.append(producer)
    if taken:
        graph.nodes = [n for n in graph.nodes if n not in taken]
    return len(taken)
