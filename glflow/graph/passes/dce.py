"""Dead-code elimination: drop nodes whose values nothing needs.

Needed are the graph's outputs and variable writes, what needed nodes read, INPUT nodes (a
caller feeds them whatever the graph does with them) and HOST nodes marked `effect` (they
change Python state: an optimizer's step counter)."""
from .. import ir


def run(graph, backend=None):
    live = set(graph.roots())
    kept = []
    for node in reversed(graph.nodes):
        if node.kind == ir.INPUT or node.effect or any(v in live for v in node.outputs):
            kept.append(node)
            live.update(node.inputs)
            live.update(ref.value for _, ref in ir.host_refs(node))
    removed = len(graph.nodes) - len(kept)
    kept.reverse()
    graph.nodes = kept
    return removed
