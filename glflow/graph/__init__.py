"""Graph mode: one IR under traced functions, optimised, fused and replayed compiled.

    ir.py              Value, Node, Graph, TensorSpec: the IR (its docstring is the reference)
    symbolic.py        SymbolicTensor: what ops return while tracing
    tracer.py          Tracer: primitive runs, host calls and Variable writes -> graph nodes
    signature.py       when gf.function retraces
    function.py        gf.function, ConcreteFunction (summary, gradients through a call)
    passes/            simplify, fold, cse, dce, fuse_epilogue, fuse_elementwise
    memory_plan.py     buffers shared by liveness
    executor.py        Program: a graph compiled for one backend, run as a loop of steps
    profile.py         gf.profile
    summary.py, dot.py what a graph is, as text and as a picture (expression.py: fused trees)

docs/architecture.md ("Graph mode") describes how the parts fit.
"""
from .function import ConcreteFunction, Function, function
from .ir import Graph, TensorSpec
from .profile import profile
from .symbolic import SymbolicTensor, SymbolicValueError
from .tracer import Tracer

__all__ = ["function", "Function", "ConcreteFunction", "TensorSpec", "profile",
           "SymbolicValueError", "SymbolicTensor", "Tracer", "Graph"]
