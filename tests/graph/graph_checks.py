"""What the graph tests share: tracing a function into a bare graph, running one pass on it,
running a graph, and comparing compiled results with eager ones on both backends."""
import contextlib

import numpy as np

import glflow as gf
from glflow.graph import TensorSpec, Tracer, passes
from glflow.graph.executor import Program
from glflow.runtime import state

BACKENDS = ("cpu", "gl")


@contextlib.contextmanager
def backend(name):
    gf.set_backend(name)
    try:
        yield state.backend()
    finally:
        gf.set_backend("gl")


def trace(fn, *arrays):
    """The graph of fn traced on inputs of these arrays' shapes and dtypes (no passes)."""
    tensors = [gf.tensor(a) for a in arrays]
    tracer = Tracer(getattr(fn, "__name__", "f"))
    with tracer:
        inputs = [tracer.input(TensorSpec(t.shape, t.dtype), t.shape) for t in tensors]
        out = fn(*inputs)
        tracer.returns(list(out) if isinstance(out, (list, tuple)) else [out])
    return tracer.graph


def run(graph, *arrays):
    """Run a graph on numpy inputs on the active backend; numpy outputs."""
    outs = Program(graph, state.backend()).run([gf.tensor(a) for a in arrays])
    return [t.numpy() for t in outs]


def one_pass(name, graph):
    """Apply the named pass once; returns the number of changes."""
    fn = dict(passes.CLEANUP + passes.FUSION)[name]
    changes = fn(graph, state.backend())
    graph.check()
    return changes


def kernels(graph):
    return [n.name for n in graph.kernel_nodes()]


def eager(fn, *arrays):
    out = fn(*[gf.tensor(a) for a in arrays])
    return [t.numpy() for t in (out if isinstance(out, (list, tuple)) else [out])]


def assert_same(got, want, rtol=0.0, atol=0.0):
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert g.shape == w.shape and g.dtype == w.dtype, (g.shape, w.shape, g.dtype, w.dtype)
        if rtol == 0.0 and atol == 0.0:
            np.testing.assert_array_equal(g, w)
        else:
            np.testing.assert_allclose(g, w, rtol=rtol, atol=atol)
