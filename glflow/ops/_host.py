"""host_call: a step of an op that computes on the host, in numpy, instead of in a kernel.

Some ops must read values on the host: gather checks its indices and scatter builds its tables
from them, multinomial draws from probabilities, random ops draw from numpy's PCG64, an
optimizer computes its step's scalars. Written as `host_call(name, fn, inputs, out_specs)`,
such a step runs at once in eager mode (inputs read back, fn called, results uploaded) and
becomes a HOST node when gf.function traces (glflow/graph/ir.py), so the compiled graph runs
it again on every call with that call's values, instead of baking in the values seen while
tracing.

fn(*numpy arrays) returns one array per out spec `(shape, dtype)`; `stateful` says another
call may return other values (random draws: never folded or merged by graph passes), `effect`
that it must run even when nothing reads its results (it changes Python state).
"""
import contextlib

import numpy as np

from ..runtime import dtypes, state
from . import _core


def tracing():
    """Whether gf.function is tracing on this thread (ops then build graph nodes)."""
    return state.thread.tracer is not None


@contextlib.contextmanager
def init_scope():
    """Run the block eagerly even while gf.function traces (TensorFlow's tf.init_scope): a
    layer's weights, a metric's or an optimizer's variables made there get their initial
    values once, now, instead of becoming graph nodes."""
    tracer = state.thread.tracer
    state.thread.tracer = None
    try:
        yield
    finally:
        state.thread.tracer = tracer


def host_call(name, fn, inputs, out_specs, stateful=False, effect=False):
    """Run fn on the values of `inputs` (tensors) on the host; returns one tensor per spec."""
    tracer = state.thread.tracer
    if tracer is not None:
        return tracer.host(name, fn, list(inputs), [(tuple(s), d) for s, d in out_specs],
                           stateful=stateful, effect=effect)
    arrays = [t.numpy() for t in inputs]
    results = check_results(name, fn(*arrays), out_specs)
    return [_core.from_numpy(r, name, d) for r, (_, d) in zip(results, out_specs)]


class HostScalar:
    """A float computed on the host on every call of a compiled function: one output of a
    HOST node (a one-element symbolic tensor), accepted where a kernel takes a float attr
    (a uniform). A traced optimizer passes its per-step learning rate to the fused update
    kernels this way; the compiled graph puts each call's value into the kernel's attrs."""
    __slots__ = ("tensor",)

    def __init__(self, tensor):
        if tensor.size != 1:
            raise ValueError(f"HostScalar: a one-element tensor is needed, got shape "
                             f"{tensor.shape}")
        self.tensor = tensor

    def __repr__(self):
        return f"HostScalar({self.tensor!r})"


def check_results(name, results, out_specs):
    """fn's results as arrays of the promised shapes and dtypes, else a clear error."""
    if isinstance(results, np.ndarray) or not isinstance(results, (list, tuple)):
        results = [results]
    if len(results) != len(out_specs):
        raise ValueError(f"{name}: the host function returned {len(results)} arrays for "
                         f"{len(out_specs)} outputs")
    out = []
    for i, (r, (shape, dtype)) in enumerate(zip(results, out_specs)):
        array = np.asarray(r)
        if array.shape != tuple(shape):
            raise ValueError(f"{name}: host output {i} has shape {list(array.shape)}, the graph "
                             f"expects {list(shape)}")
        out.append(array.astype(dtypes.numpy_dtype(dtype), copy=False))
    return out
