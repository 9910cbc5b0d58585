"""Graph passes, each a function `run(graph, backend) -> number of changes` in a module of its
own, and the pipeline gf.function applies:

    simplify, fold, cse, dce    repeated until none changes anything (at most ROUNDS rounds)
    fuse_epilogue               bias + activation into matmul
    fuse_elementwise            elementwise trees into one generated kernel
    fuse_prologue               an elementwise tree into the reduction reading it
    dce                         what fusion left unread

`optimize` records every pass (nodes and kernels before and after) for summary() and prints
it at GLFLOW_DEBUG >= 1; at >= 2 it prints the graph after each pass that changed it.
"""
from ...runtime import debug
from . import cse, dce, fold, fuse_elementwise, fuse_epilogue, fuse_prologue, simplify

CLEANUP = (("simplify", simplify.run), ("fold", fold.run), ("cse", cse.run), ("dce", dce.run))
FUSION = (("fuse_epilogue", fuse_epilogue.run), ("fuse_elementwise", fuse_elementwise.run),
          ("fuse_prologue", fuse_prologue.run), ("dce", dce.run))
ROUNDS = 4


class PassRecord:
    __slots__ = ("name", "changes", "nodes", "kernels")

    def __init__(self, name, changes, nodes, kernels):
        self.name = name
        self.changes = changes
        self.nodes = nodes        # (before, after)
        self.kernels = kernels    # (before, after)

    def line(self):
        return (f"{self.name:17s} {self.changes:4d} changes   nodes {self.nodes[0]:4d} -> "
                f"{self.nodes[1]:4d}   kernels {self.kernels[0]:4d} -> {self.kernels[1]:4d}")


def apply(graph, name, fn, backend, log):
    nodes, kernels = len(graph.nodes), len(graph.kernel_nodes())
    changes = fn(graph, backend)
    record = PassRecord(name, changes, (nodes, len(graph.nodes)),
                        (kernels, len(graph.kernel_nodes())))
    log.append(record)
    if debug.level >= 1:
        print(f"[glflow] graph {graph.name}: {record.line()}")
    if debug.level >= 2 and changes:
        print(graph.listing())
    return changes


def optimize(graph, backend, fuse=True):
    """Run the pipeline on `graph` in place; returns the list of PassRecords."""
    log = []
    for _ in range(ROUNDS):
        if not sum(apply(graph, name, fn, backend, log) for name, fn in CLEANUP):
            break
    if fuse:
        for name, fn in FUSION:
            apply(graph, name, fn, backend, log)
    graph.check()
    return log
