"""Graphs as pictures: Graphviz DOT text, and PNG through Graphviz.

`to_dot(graph)` needs nothing. `to_png(graph, path)` renders with the `graphviz` Python
package (the optional `graph` extra) or, without it, Graphviz's `dot` program directly; where
neither can render (Debian: `apt-get install graphviz`) it writes the DOT text next to `path`
(same name, .dot) and warns, so a picture is one `dot -Tpng` away. Files are written atomically.
"""
import os
import shutil
import subprocess
import warnings

from ..atomic_write import write_bytes
from .expression import node_detail

try:
    import graphviz
except ImportError:  # optional: the `graph` extra
    graphviz = None

COLOURS = {"input": "lightblue", "const": "lightgrey", "variable": "khaki", "host": "plum",
           "fused": "palegreen", "fused_matmul": "palegreen", "fused_conv2d": "palegreen"}


def _quote(text):
    """A DOT string: backslashes and quotes escaped, newlines as DOT's line breaks."""
    escaped = str(text).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return '"' + escaped + '"'


def to_dot(graph):
    """The graph as DOT text: one box per node (kind colours), edges labelled with shapes."""
    lines = [f"digraph {_quote(graph.name)} {{", "  rankdir=TB;",
             '  node [shape=box, style="rounded,filled", fontname="Helvetica", fontsize=10];',
             '  edge [fontname="Helvetica", fontsize=9];']
    made_by = {}
    for node in graph.nodes:
        label = node.name
        detail = node_detail(node)
        if detail:
            label += "\n" + detail.replace("; ", "\n")
        colour = COLOURS.get(node.name, COLOURS.get(node.kind, "white"))
        lines.append(f"  n{node.id} [label={_quote(label)}, fillcolor={colour}];")
        for v in node.outputs:
            made_by[v] = node
        for v in node.inputs:
            src = made_by.get(v)
            if src is not None:
                lines.append(f"  n{src.id} -> n{node.id} "
                             f"[label={_quote(f'{v.dtype}{list(v.shape)}')}];")
    for i, v in enumerate(graph.outputs):
        lines.append(f'  out{i} [label="output {i}", shape=oval, fillcolor=white];')
        if v in made_by:
            lines.append(f"  n{made_by[v].id} -> out{i};")
    for i, (var, v) in enumerate(graph.updates):
        name = getattr(var, "name", "variable")
        lines.append(f"  upd{i} [label={_quote(name + ' <-')}, shape=oval, fillcolor=khaki];")
        if v in made_by:
            lines.append(f"  n{made_by[v].id} -> upd{i};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def render_png(dot_text):
    """PNG bytes of DOT text, or None when no Graphviz is available."""
    if graphviz is not None:
        try:
            return graphviz.Source(dot_text).pipe(format="png")
        except graphviz.ExecutableNotFound:
            return None
    program = shutil.which("dot")
    if program is None:
        return None
    done = subprocess.run([program, "-Tpng"], input=dot_text.encode(), capture_output=True,
                          check=True)
    return done.stdout


def to_png(graph, path):
    """Write the graph as a PNG at `path`; without Graphviz, DOT text at path's .dot twin
    (with a warning). Returns the path written."""
    text = to_dot(graph)
    png = render_png(text)
    if png is None:
        dot_path = os.path.splitext(path)[0] + ".dot"
        write_bytes(dot_path, text.encode())
        warnings.warn(f"to_png: Graphviz is not installed (no `dot` program); wrote the graph "
                      f"as DOT text to {dot_path} instead. Install it (Debian: apt-get install "
                      "graphviz) and run `dot -Tpng` on that file, or call to_png again.",
                      RuntimeWarning, stacklevel=2)
        return dot_path
    write_bytes(path, png)
    return path
