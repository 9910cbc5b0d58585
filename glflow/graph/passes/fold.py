"""Constant folding: a kernel whose inputs are all constants runs once, at compile time, and
its result becomes a constant.

Small results only (FOLD_LIMIT elements): a folded constant is held by the compiled graph for
as long as it lives, so folding `zeros([4096, 4096])` would trade one cheap draw per run for
64 MiB held forever. Aliases (reshape) fold at any size, they hold no new memory. Pure HOST
nodes fold too (a gather's index check on constant indices runs once); stateful ones (random
draws) never do.
"""
from .. import ir
from ..executor import evaluate_node

FOLD_LIMIT = 1 << 16


def foldable(node):
    if ir.host_refs(node):  # an attr computed on every run
        return False
    if node.kind == ir.CALL:
        if not node.prim.alias and any(v.size > FOLD_LIMIT for v in node.outputs):
            return False
    elif node.kind != ir.HOST or node.stateful or node.effect:
        return False
    return all(v.node.kind == ir.CONST for v in node.inputs)


def run(graph, backend):
    folded = 0
    for node in list(graph.nodes):
        if not foldable(node):
            continue
        values = evaluate_node(node, backend)
        for old, tensor in zip(node.outputs, values):
            const = ir.Node(ir.CONST, out_specs=[(old.shape, old.dtype)], tensor=tensor,
                            name="const")
            graph.insert_before(node, const)
            graph.replace_uses(old, const.output)
        graph.remove(node)
        folded += 1
    return folded
