"""Tensor and Variable: immutable n-d arrays whose data lives in a backend's storage, and the
lifetime controls around them (tidy, keep, dispose).

A Tensor never changes after creation; ops make new tensors. So tensors may share one storage
(reshape, Variable.assign and clone share it for free), and a storage goes back to its backend
when the last tensor holding it dies: no manual dispose is needed. `tidy`, `keep` and `dispose`
give deterministic control, as in TensorFlow.js.

This module sits on the runtime layer only. What needs ops (operators, chainable methods,
converting Python values) is installed onto Tensor by `glflow.ops` when it loads.
"""
from math import prod

import numpy as np

from .runtime import counters, dtypes, state


class Storage:
    """One backend allocation (a texture or a numpy array), freed when the last holder dies."""
    __slots__ = ("backend", "handle", "nbytes", "__weakref__")

    def __init__(self, backend, handle, nbytes, counted=False):
        self.backend = backend
        self.handle = handle
        self.nbytes = nbytes
        if not counted:  # Tensor.wrap counts it with the tensor, under one lock
            counters.storage_made(nbytes)

    def __del__(self):
        try:
            self.backend.free(self.handle)
            counters.storage_freed(self.nbytes)
        except Exception:  # interpreter shutdown: modules may already be gone
            pass


class Tensor:
    __array_priority__ = 100  # numpy defers `ndarray + Tensor` to Tensor.__radd__
    # Slots for what every op reads and writes; the per-instance dict is made only when
    # something else is set (a Keras mask, a Variable's name).
    __slots__ = ("_storage", "_shape", "_dtype", "_disposed", "_kept", "_id", "__dict__",
                 "__weakref__")

    _is_variable = False
    # True for graph mode's symbolic tensors (glflow/graph/symbolic.py): no values until the
    # traced graph runs.
    _symbolic = False
    # Set by glflow.ops at import: converts a Python/numpy value into a Tensor with clear
    # errors (Variable and assign need it; validation belongs to the op layer).
    _convert = None

    @classmethod
    def wrap(cls, handle, shape, dtype, backend):
        """A new tensor owning a backend handle just made for it."""
        t = cls.__new__(cls)
        nbytes = prod(shape) * 4  # math.prod on ints: np.prod is far slower on a short tuple
        t._init(Storage(backend, handle, nbytes, counted=True), shape, dtype, nbytes)
        return t

    def _init(self, storage, shape, dtype, new_bytes=0):
        self._storage = storage
        self._shape = tuple(map(int, shape))  # numpy ints in, Python ints kept
        self._dtype = dtype
        self._disposed = False
        self._kept = False
        self._id = counters.new_id()
        counters.tensor_made(new_bytes)
        scopes = state.thread.scopes
        if scopes and not self._is_variable:
            scopes[-1].append(self)

    def _alias(self, shape):
        """A tensor sharing this one's storage under another shape of the same size."""
        t = Tensor.__new__(Tensor)
        t._init(self._live_storage("reshape"), shape, self._dtype)
        return t

    def __del__(self):
        if not getattr(self, "_disposed", True):
            self._disposed = True
            try:
                counters.tensor_dropped()
            except Exception:
                pass

    # ------------------------------------------------------------------ properties
    @property
    def shape(self):
        return list(self._shape)

    @property
    def dtype(self):
        return self._dtype

    @property
    def size(self):
        return prod(self._shape)

    @property
    def rank(self):
        return len(self._shape)

    ndim = rank

    @property
    def nbytes(self):
        return self.size * 4

    @property
    def id(self):
        return self._id

    @property
    def is_disposed(self):
        return self._disposed

    def _live_storage(self, op):
        if self._disposed:
            raise ValueError(f"{op}: tensor {self._id} (shape {list(self._shape)}) is disposed")
        return self._storage

    @property
    def backend(self):
        return self._live_storage("backend").backend

    # ------------------------------------------------------------------ lifetime
    def dispose(self):
        """Release this tensor now; its storage returns to the pool if no other tensor shares it."""
        if self._disposed:
            return
        self._disposed = True
        self._storage = None
        counters.tensor_dropped()

    def keep(self):
        return keep(self)

    # ------------------------------------------------------------------ reading
    def numpy(self):
        """The values as a numpy array (synchronises with the GPU)."""
        st = self._live_storage("numpy")
        return st.backend.read(st.handle, self._shape, self._dtype)

    def data(self):
        """Flat values, like TF.js `dataSync()`."""
        return self.numpy().reshape(-1)

    data_sync = data

    def array(self):
        """Nested Python lists, like TF.js `arraySync()`."""
        return self.numpy().tolist()

    array_sync = array

    def item(self):
        if self.size != 1:
            raise ValueError(f"item: tensor of shape {list(self._shape)} has {self.size} "
                             "elements, not 1")
        return self.numpy().reshape(-1)[0].item()

    def __array__(self, dtype=None, copy=None):
        a = self.numpy()
        return a if dtype is None else a.astype(dtype)

    def __array_function__(self, func, types, args, kwargs):
        """numpy functions (np.sum, np.mean, np.concatenate, ...) read tensors back and
        compute on their values, returning numpy results, as TensorFlow's eager tensors do."""
        return func(*_to_numpy_values(args), **_to_numpy_values(kwargs))

    def __repr__(self):
        if self._disposed:
            return f"Tensor(<disposed>, shape={list(self._shape)}, dtype={self._dtype})"
        name = "Variable" if self._is_variable else "Tensor"
        body = np.array2string(self.numpy(), separator=", ", threshold=200, prefix=name + "(",
                               formatter=_formatter(self._dtype))
        return f"{name}({body}, shape={list(self._shape)}, dtype={self._dtype})"

    __str__ = __repr__

    def __format__(self, spec):
        """f"{loss:.4f}" formats a one-element tensor's value; an empty spec gives repr."""
        if not spec:
            return repr(self)
        if self.size != 1:
            raise TypeError(f"format: a tensor of shape {list(self._shape)} has no scalar "
                            f"format; use format(t.numpy(), ...) or index it first")
        return format(self.item(), spec)

    def print(self):
        print(repr(self))

    def __len__(self):
        if not self._shape:
            raise TypeError("len() of a rank-0 tensor")
        return self._shape[0]

    def __bool__(self):
        if self.size != 1:
            raise ValueError(f"the truth value of a tensor with {self.size} elements is ambiguous")
        return bool(self.item())

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def __index__(self):
        if self._dtype == dtypes.FLOAT32 or self.size != 1:
            raise TypeError(f"only a one-element int32/bool tensor can be used as an index, "
                            f"not {self._dtype} of shape {list(self._shape)}")
        return int(self.item())

    def __iter__(self):
        for i in range(len(self)):
            yield self[i]

    def __hash__(self):
        return object.__hash__(self)

    def __setitem__(self, key, value):
        raise TypeError("Tensor is immutable: use ops to make a new tensor, or a Variable and "
                        "assign()")

    # ------------------------------------------------------------------ copying
    def __reduce__(self):
        """Pickling and copy.deepcopy carry the values, the dtype and the variable fields; the
        copy lives on the backend active when it is unpickled."""
        if self._disposed:
            raise ValueError(f"pickle: tensor {self._id} (shape {list(self._shape)}) is disposed")
        if self._is_variable:
            return (_rebuild_variable, (self.numpy(), self._dtype, self.trainable, self.name))
        return (_rebuild_tensor, (self.numpy(), self._dtype))

    def __copy__(self):
        return self  # immutable: a shallow copy may share everything

    def __deepcopy__(self, memo):
        copy = _rebuild_tensor(self.numpy(), self._dtype) if not self._is_variable else \
            _rebuild_variable(self.numpy(), self._dtype, self.trainable, self.name)
        memo[id(self)] = copy
        return copy

    def to_variable(self, trainable=True, name=None):
        return Variable(self, trainable=trainable, name=name)


def _rebuild_tensor(values, dtype):
    return Tensor._convert(values, "unpickle", dtype=dtype)


def _rebuild_variable(values, dtype, trainable, name):
    return Variable(Tensor._convert(values, "unpickle", dtype=dtype), trainable=trainable,
                    name=name)


def _to_numpy_values(obj):
    if isinstance(obj, Tensor):
        return obj.numpy()
    if isinstance(obj, (list, tuple)):
        return type(obj)(_to_numpy_values(v) for v in obj)
    if isinstance(obj, dict):
        return {k: _to_numpy_values(v) for k, v in obj.items()}
    return obj


def _formatter(dtype):
    if dtype == dtypes.FLOAT32:
        # str of the numpy scalar: the shortest text that round-trips in float32, with the ".0"
        # numpy's array2string would drop (repr(float(v)) printed float64 digits: 0.1 showed
        # as 0.10000000149011612).
        return {"float_kind": lambda v: str(v) if isinstance(v, np.floating) else repr(float(v))}
    return None


class Variable(Tensor):
    """A mutable holder of tensor values: `assign` swaps in new values of the same shape and dtype."""
    _is_variable = True
    # Set by the TF1 front end (glflow/tf1/variables.py): while a TF1 graph is built,
    # gf.Variable(...) makes a graph Variable there (values set by running its initializer).
    graph_factory = None

    def __new__(cls, *args, **kwargs):
        factory = Variable.graph_factory
        if factory is not None and cls is Variable:
            made = factory(*args, **kwargs)
            if made is not None:
                return made
        return super().__new__(cls)

    def __init__(self, initial_value, trainable=True, name=None, dtype=None):
        value = Tensor._convert(initial_value, "variable", dtype=dtype)
        if value._symbolic:  # made inside gf.function: computed now, as its first trace does
            value = value._materialize("Variable")
        self._init(value._live_storage("variable"), value._shape, value._dtype)
        self.trainable = bool(trainable)
        self.name = name or f"variable_{self._id}"

    def assign(self, value):
        """Swap in new values (a tensor of the same shape and dtype, or array-like values,
        which take the variable's dtype). Returns the variable."""
        # A tensor keeps its own dtype, so a mismatch is refused below instead of being cast
        # (float -> int32 would truncate).
        target = None if isinstance(value, Tensor) else self._dtype
        value = Tensor._convert(value, "assign", dtype=target)
        if value._shape != self._shape:
            raise ValueError(f"assign: shape of new value {list(value._shape)} differs from "
                             f"variable {self.name!r} shape {list(self._shape)}")
        if value._dtype != self._dtype:
            raise TypeError(f"assign: dtype {value._dtype} differs from variable {self.name!r} "
                            f"dtype {self._dtype}")
        tracer = state.thread.tracer
        if tracer is not None:  # inside gf.function: the graph writes it when it runs
            tracer.assign(self, value)
            return self
        storage = value._live_storage("assign")
        if storage.backend is not self.backend:
            storage = Tensor._convert(value.numpy(), "assign", dtype=self._dtype)._storage
        self._storage = storage  # tensors are immutable, so sharing the storage is safe
        return self

    def assign_add(self, delta):
        """variable += delta (TF's assign_add); the addition runs as an op."""
        return self.assign(self.read_value() + delta)

    def assign_sub(self, delta):
        """variable -= delta (TF's assign_sub)."""
        return self.assign(self.read_value() - delta)

    def read_value(self):
        """An immutable Tensor snapshot of the current values (shares storage)."""
        tracer = state.thread.tracer
        if tracer is not None:  # inside gf.function: the value at this point of the graph
            return tracer.read_variable(self)
        return self._alias(self._shape)


# --------------------------------------------------------------------------- lifetime scopes

def tidy(fn_or_name=None, fn=None):
    """Dispose every tensor created inside, except the ones returned (also nested), kept, or
    saved by an active gradient tape (as TF.js does, so a tidy inside a gradient is safe).

    `tidy(fn)` / `tidy(name, fn)` run fn; `with tidy():` scopes a block.
    """
    if callable(fn_or_name):
        fn = fn_or_name
    elif fn_or_name is not None and not isinstance(fn_or_name, str):
        raise TypeError(f"tidy: expected a function, a name and a function, or nothing (as a "
                        f"context manager), got {type(fn_or_name).__name__} {fn_or_name!r}")
    if fn is None:
        return TidyScope()
    if not callable(fn):
        raise TypeError(f"tidy: fn must be callable, got {type(fn).__name__}")
    with TidyScope() as scope:
        result = fn()
        scope.keep_result(result)
    return result


class TidyScope:
    def __init__(self):
        self._kept = set()

    def __enter__(self):
        state.thread.scopes.append([])
        return self

    def keep_result(self, result):
        for t in tensors_in(result):
            self._kept.add(id(t))

    def __exit__(self, *exc):
        scopes = state.thread.scopes
        created = scopes.pop()
        tapes = state.thread.tapes
        survivors = []
        for t in created:
            if (id(t) in self._kept or t._kept or t._disposed
                    or (tapes and any(tape.holds(t) for tape in tapes))):
                survivors.append(t)
            else:
                t.dispose()
        # A tensor kept from an inner scope belongs to the outer one, as in TF.js.
        if scopes:
            scopes[-1].extend(s for s in survivors if not s._kept and not s._disposed)
        return False


def tensors_in(obj):
    """Every Tensor in a value, a (nested) list/tuple or a dict's values."""
    if isinstance(obj, Tensor):
        yield obj
    elif isinstance(obj, dict):
        for v in obj.values():
            yield from tensors_in(v)
    elif isinstance(obj, (list, tuple)):
        for v in obj:
            yield from tensors_in(v)


def keep(tensor):
    """Exempt a tensor from the enclosing tidy scopes."""
    tensor._kept = True
    return tensor


def dispose(obj):
    """Dispose a tensor, or every tensor in a (nested) list/tuple/dict."""
    for t in list(tensors_in(obj)):
        t.dispose()
