"""SymbolicTensor: what ops return while gf.function traces, a Tensor with a shape and a dtype
but no values yet (it stands for a Value of the graph being built).

Ops see an ordinary Tensor (shape, dtype, rank, every operator and method), so the same Python
code traces and runs eagerly. What needs values on the host at trace time (`numpy()`,
`bool(t)`, `float(t)`, printing the values) raises SymbolicValueError naming the op that asked
and the traced function: a compiled function's values exist only when its graph runs.
"""
import sys

from ..runtime import counters, state
from ..tensor import Tensor


class SymbolicValueError(TypeError):
    """A symbolic tensor's values were needed while tracing."""


class SymbolicTensor(Tensor):
    _symbolic = True

    def __init__(self, value, tracer):
        # Not Tensor._init: a symbolic tensor owns no storage and is no live tensor for
        # memory(); it joins tidy scopes so traced code disposes as eager code does.
        self._storage = None
        self._shape = value.shape
        self._dtype = value.dtype
        self._disposed = False
        self._kept = False
        self._id = counters.new_id()
        self._value = value
        self._tracer = tracer
        scopes = state.thread.scopes
        if scopes:
            scopes[-1].append(self)

    def __del__(self):
        pass

    def dispose(self):
        self._disposed = True

    @property
    def backend(self):
        return self._tracer.backend

    def _live_storage(self, op):
        if self._disposed:
            raise ValueError(f"{op}: tensor {self._id} (shape {list(self._shape)}) is disposed")
        if state.thread.tracer is not self._tracer:
            raise SymbolicValueError(
                f"{op}: a symbolic tensor (shape {list(self._shape)}, {self._dtype}) from "
                f"tracing {self._tracer.name!r} is used outside that trace; it escaped the "
                "function (kept on an object or in a global). Return it instead.")
        return None

    def _materialize(self, op):
        """The values now, computed eagerly (see Tracer.materialize)."""
        if state.thread.tracer is not self._tracer:
            self._live_storage(op)
        return self._tracer.materialize(self, op)

    # ------------------------------------------------------------------ no values here
    def _no_values(self, what):
        op = _asking_op() or what
        raise SymbolicValueError(
            f"{op}: needs the values of a symbolic tensor (shape {list(self._shape)}, "
            f"{self._dtype}) while gf.function traces {self._tracer.name!r}; inside a compiled "
            "function values exist only when its graph runs. Return the tensor and read it "
            "after the call, compute on tensors (gf.where instead of `if`), or run the "
            "function eagerly.")

    def numpy(self):
        self._no_values("numpy")

    def __array__(self, dtype=None, copy=None):
        self._no_values("numpy.asarray")

    def __array_function__(self, func, types, args, kwargs):
        self._no_values(f"numpy.{func.__name__}")

    def item(self):
        self._no_values("item")

    def __bool__(self):
        self._no_values("bool")

    def __float__(self):
        self._no_values("float")

    def __int__(self):
        self._no_values("int")

    def __index__(self):
        self._no_values("index")

    def __format__(self, spec):
        if not spec:
            return repr(self)
        self._no_values("format")

    def __reduce__(self):
        self._no_values("pickle")

    def __deepcopy__(self, memo):
        self._no_values("deepcopy")

    def __repr__(self):
        state = "disposed, " if self._disposed else ""
        return (f"SymbolicTensor({state}{self._value!r}, shape={list(self._shape)}, "
                f"dtype={self._dtype})")

    __str__ = __repr__


def _asking_op():
    """The public glflow op (or layer method) whose code asked for values: the outermost frame
    of glflow.ops before the caller's own code, else None (the user asked directly)."""
    frame = sys._getframe(2)
    op = None
    while frame is not None:
        module = frame.f_globals.get("__name__", "")
        if module.startswith("glflow.ops") or module.startswith("glflow.losses") \
                or module.startswith("glflow.metrics"):
            op = frame.f_code.co_name
        elif module != __name__ and not module.startswith("glflow.tensor"):
            break
        frame = frame.f_back
    return op
