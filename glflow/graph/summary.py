"""summary(): a compiled function's story as text: its signature, each pass (nodes and kernels
before and after), the graph as traced and as optimised, and the kernels it launches with the
GLSL generated for fused ones (on the GL backend)."""
from . import ir
from .expression import expression_text


def summary_text(concrete):
    traced, graph = concrete.traced_graph, concrete.graph
    inputs = ", ".join(f"{n.output.dtype}{list(n.output.shape)}" for n in traced.inputs)
    lines = [f"function {concrete.name!r}({inputs})",
             f"  traced:    {len(traced.nodes)} nodes, {len(traced.kernel_nodes())} kernels",
             f"  optimised: {len(graph.nodes)} nodes, {len(graph.kernel_nodes())} kernels", "",
             "passes:"]
    lines += [f"  {record.line()}" for record in concrete.log] or ["  (none: optimize=False)"]
    lines += ["", "graph as traced:", traced.listing(), "", "optimised graph:", graph.listing(),
              "", "kernels:"]
    program = concrete.program()
    for i, step in enumerate(program.steps, 1):
        node = step.node
        shapes = " ".join(str(list(v.shape)) for v in node.inputs)
        out = " ".join(str(list(v.shape)) for v in node.outputs)
        what = node.name if node.kind == ir.CALL else f"host {node.name}"
        detail = ""
        if node.kind == ir.CALL and node.prim.kernel == "fused":
            detail = "  " + expression_text(node.attrs["expr"], node.attrs.get("params", ()))
        elif node.kind == ir.CALL and "prologue" in node.attrs:
            prologue = node.attrs["prologue"]
            detail = "  prologue " + expression_text(prologue["expr"], prologue["params"])
        elif node.kind == ir.CALL and node.prim.name == "fused_matmul":
            detail = (f"  bias={len(node.inputs) == 3} activation="
                      f"{node.attrs['activation']}")
        lines.append(f"  {i:3d}. {what} {shapes} -> {out}{detail}")
        source = getattr(step.launch, "source", None)
        if source is not None and node.kind == ir.CALL and node.prim.kernel == "fused":
            body = source[source.index("void main()"):] if "void main()" in source else source
            lines += ["       GLSL main():"] + [f"         {line}" for line in body.splitlines()]
    planned = len(program.planned)
    lines += ["", f"memory: {planned} intermediates in {len(program._buffer_classes)} planned "
              "buffers; other kernel outputs return to the pool after their last reader"]
    return "\n".join(lines)
