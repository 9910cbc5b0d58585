"""py_func: Python code on numpy values as an operation (TF1's tf.py_func, TF2's
tf.numpy_function), the way TF1 programs read files or decode records inside the graph.

In a TF1 graph it is a "host" operation (glflow/tf1/runs.py): it runs between compiled
segments with the run's concrete values, so its outputs may have any shape (their static
shapes are unknown until `set_shape`) and the Python code may block (read a file, wait on a
queue) without holding the GL context other threads need. Eagerly it runs at once. Inside
gf.function, whose graphs fix every shape while tracing, it is refused: use a host_call
(glflow/ops/_host.py) with declared output shapes there.

As in TensorFlow, StopIteration raised by the function (the end of the data) becomes
OutOfRangeError, on which a QueueRunner ends its thread; any other exception becomes
UnknownError naming the operation, with the original as its cause.
"""
import numpy as np

from .. import errors, ops
from ..runtime import dtypes, state
from ..tensor import Tensor
from . import recording
from .graph import HOST, GraphTensor, Operation, building_graph
from .shapes import TensorShape
from .variables import as_graph_tensor


class PyFuncOp(Operation):
    def __init__(self, graph, func, inputs, out_dtypes, stateful, name):
        super().__init__(graph, "PyFunc", name, inputs, (),
                         [(TensorShape(None), d) for d in out_dtypes], HOST)
        self.func = func
        self.out_dtypes = out_dtypes
        self.stateful = stateful

    def run_host(self, values, run):
        return call(self.name, self.func, values, self.out_dtypes)


def call(name, func, arrays, out_dtypes):
    """func(*arrays) checked against out_dtypes: one numpy array per output."""
    try:
        results = func(*arrays)
    except StopIteration:
        raise errors.OutOfRangeError(None, None, f"{name}: the Python function raised "
                                     "StopIteration (end of its data)") from None
    except Exception as exc:
        raise errors.UnknownError(None, None, f"{name}: the Python function raised "
                                  f"{type(exc).__name__}: {exc}") from exc
    if len(out_dtypes) == 1 and not isinstance(results, (list, tuple)):
        results = [results]
    results = list(results) if isinstance(results, (list, tuple)) else [results]
    if len(results) != len(out_dtypes):
        raise errors.InvalidArgumentError(None, None, f"{name}: the Python function returned "
                                          f"{len(results)} values for {len(out_dtypes)} "
                                          f"outputs (Tout {out_dtypes})")
    out = []
    for i, (r, d) in enumerate(zip(results, out_dtypes)):
        array = np.asarray(r.numpy() if isinstance(r, Tensor) else r)
        allowed = {dtypes.FLOAT32: "biuf", dtypes.INT32: "biu", dtypes.BOOL: "b"}[d]
        if array.dtype.kind not in allowed:
            raise errors.InvalidArgumentError(None, None, f"{name}: result {i} has "
                                              f"{array.dtype} values where Tout says {d}")
        out.append(array.astype(dtypes.numpy_dtype(d), copy=False))
    return out


def py_func(func, inp, Tout, stateful=True, name=None):  # noqa: N803 - TensorFlow's name
    """Call func on the numpy values of inp; Tout: the output dtype (one tensor back) or a
    list of dtypes (a list back)."""
    single = not isinstance(Tout, (list, tuple))
    out_dtypes = [dtypes.normalize(d, "py_func") for d in ([Tout] if single else Tout)]
    inp = list(inp) if isinstance(inp, (list, tuple)) else [inp]
    graph = building_graph() or next((x.graph for x in inp if isinstance(x, GraphTensor)
                                      or getattr(x, "_tf1_variable", False)), None)
    if graph is None:
        if state.thread.tracer is not None:
            raise TypeError("py_func: inside gf.function the output shapes of Python code are "
                            "not known while tracing; call it outside the function")
        arrays = [x.numpy() if isinstance(x, Tensor) else np.asarray(x) for x in inp]
        results = call(name or "py_func", func, arrays, out_dtypes)
        with recording.suspended():
            tensors = [ops.tensor(r, dtype=d) for r, d in zip(results, out_dtypes)]
        return tensors[0] if single else tensors
    tensors = [as_graph_tensor(graph, x, None, "py_func") for x in inp]
    op = PyFuncOp(graph, func, tensors, out_dtypes, stateful, name or "PyFunc")
    return op.outputs[0] if single else list(op.outputs)


numpy_function = py_func

__all__ = ["py_func", "numpy_function"]
