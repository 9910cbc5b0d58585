"""Tensor and Variable: immutable n-d arrays whose data lives in a backend's storage.

A Tensor never changes after creation; ops make new tensors. Because of that, tensors may share
one storage (reshape, Variable.assign, clone share it for free) and a storage returns to its
backend's pool when the last tensor holding it dies: no manual dispose is needed.
"""
from math import prod

import numpy as np

from . import engine
from .dtypes import numpy_dtype


class Storage:
    """One backend allocation (a texture or a numpy array), freed when the last holder dies."""
    __slots__ = ("backend", "handle", "nbytes", "__weakref__")

    def __init__(self, backend, handle, nbytes, counted=False):
        self.backend = backend
        self.handle = handle
        self.nbytes = nbytes
        if not counted:  # Tensor._from_data counts it with the tensor, under one lock
            engine.on_alloc(nbytes)

    def __del__(self):
        try:
            self.backend.free(self.handle)
            engine.on_free(self.nbytes)
        except Exception:  # interpreter shutdown: modules may already be gone
            pass


class Tensor:
    __array_priority__ = 100  # numpy defers `ndarray + Tensor` to Tensor.__radd__
    # Slots for what every op reads and writes: eager ops make a tensor each, and slot stores
    # skip the per-instance dict (made only when something else is set: a Keras mask, a
    # Variable's name).
    __slots__ = ("_storage", "_shape", "_dtype", "_disposed", "_kept", "_id", "__dict__",
                 "__weakref__")

    _is_variable = False

    @classmethod
    def _from_data(cls, handle, shape, dtype, backend):
        t = cls.__new__(cls)
        # math.prod on the int tuple: np.prod cost ~4 us per op, a third of eager dispatch.
        nbytes = prod(shape) * 4
        # The storage's bytes are counted by on_create: one lock round-trip per eager op
        # instead of two (each ~0.3 us).
        t._init(Storage(backend, handle, nbytes, counted=True), shape, dtype, nbytes)
        return t

    def _init(self, storage, shape, dtype, new_bytes=0):
        self._storage = storage
        self._shape = tuple(map(int, shape))  # numpy ints in, Python ints kept
        self._dtype = dtype
        self._disposed = False
        self._kept = False
        self._id = engine.on_create(self, new_bytes)

    def _with_shape(self, shape):
        """A tensor sharing this one's storage under another shape of the same size (free reshape)."""
        t = Tensor.__new__(Tensor)
        t._init(self._live_storage("reshape"), shape, self._dtype)
        return t

    def __del__(self):
        if not getattr(self, "_disposed", True):
            self._disposed = True
            try:
                engine.on_release(self)
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
        engine.on_release(self)

    def keep(self):
        return engine.keep(self)

    # ------------------------------------------------------------------ reading
    def numpy(self):
        """The values as a numpy array (synchronises with the GPU)."""
        st = self._live_storage("numpy")
        return st.backend.read(st.handle, self._shape, self._dtype)

    def data(self):
        """Flat values, like tfjs `dataSync()`."""
        return self.numpy().reshape(-1)

    data_sync = data

    def array(self):
        """Nested Python lists, like tfjs `arraySync()`."""
        return self.numpy().tolist()

    def item(self):
        if self.size != 1:
            raise ValueError(f"item: tensor of shape {list(self._shape)} has {self.size} elements, not 1")
        return self.numpy().reshape(-1)[0].item()

    def __array__(self, dtype=None, copy=None):
        a = self.numpy()
        return a if dtype is None else a.astype(dtype)

    def __repr__(self):
        if self._disposed:
            return f"Tensor(<disposed>, shape={list(self._shape)}, dtype={self._dtype})"
        name = "Variable" if self._is_variable else "Tensor"
        body = np.array2string(self.numpy(), separator=", ", threshold=200, prefix=name + "(",
                               formatter=_formatter(self._dtype))
        return f"{name}({body}, shape={list(self._shape)}, dtype={self._dtype})"

    __str__ = __repr__

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

    def __iter__(self):
        for i in range(len(self)):
            yield self[i]

    def __hash__(self):
        return object.__hash__(self)

    def __setitem__(self, key, value):
        raise TypeError("Tensor is immutable: use ops to make a new tensor, or a Variable and assign()")

    # ------------------------------------------------------------------ conversions
    def clone(self):
        from . import ops
        return ops.identity(self)

    def cast(self, dtype):
        from . import ops
        return ops.cast(self, dtype)

    def to_variable(self, trainable=True, name=None):
        return Variable(self, trainable=trainable, name=name)


def _formatter(dtype):
    if dtype == "float32":
        # str of the numpy scalar: the shortest text that round-trips in the storage type (as
        # numpy prints), with the ".0" that numpy's array2string would drop. repr(float(v))
        # printed float32 values with float64 digits (0.1 showed as 0.10000000149011612).
        return {"float_kind": lambda v: str(v) if isinstance(v, np.floating) else repr(float(v))}
    return None


def _install_operators():
    """Operators and chainable methods call the public ops (imported late: ops import tensor)."""
    from . import ops

    def binary(fn, reflected=False):
        if reflected:
            return lambda self, other: fn(other, self)
        return lambda self, other: fn(self, other)

    table = {"__add__": ops.add, "__sub__": ops.sub, "__mul__": ops.mul, "__truediv__": ops.div,
             "__pow__": ops.pow, "__matmul__": ops.matmul}
    for name, fn in table.items():
        setattr(Tensor, name, binary(fn))
        setattr(Tensor, name.replace("__", "__r", 1), binary(fn, reflected=True))
    compare = {"__lt__": ops.less, "__le__": ops.less_equal, "__gt__": ops.greater,
               "__ge__": ops.greater_equal}
    for name, fn in compare.items():
        setattr(Tensor, name, binary(fn))
    Tensor.__eq__ = binary(ops.equal)
    Tensor.__ne__ = binary(ops.not_equal)
    Tensor.__neg__ = lambda self: ops.neg(self)
    Tensor.__pos__ = lambda self: self
    Tensor.__abs__ = lambda self: ops.abs(self)
    Tensor.__getitem__ = lambda self, key: ops.getitem(self, key)
    Tensor.__hash__ = lambda self: object.__hash__(self)
    for name in ops.TENSOR_METHODS:
        if not hasattr(Tensor, name):
            setattr(Tensor, name, getattr(ops, name))


class Variable(Tensor):
    """A mutable holder of tensor values: `assign` swaps in new values of the same shape and dtype."""
    _is_variable = True

    def __init__(self, initial_value, trainable=True, name=None, dtype=None):
        from . import ops
        value = ops.convert(initial_value, "variable", dtype=dtype)
        self._init(value._live_storage("variable"), value._shape, value._dtype)
        self.trainable = bool(trainable)
        self.name = name or f"variable_{self._id}"

    def assign(self, value):
        from . import ops
        # Plain values (lists, numpy) take the variable's dtype; a tensor keeps its own, so a
        # mismatch is refused below instead of being cast (float -> int32 would truncate).
        target = None if isinstance(value, Tensor) else self._dtype
        value = ops.convert(value, "assign", dtype=target)
        if tuple(value._shape) != self._shape:
            raise ValueError(f"assign: shape of new value {list(value._shape)} differs from "
                             f"variable {self.name!r} shape {list(self._shape)}")
        if value._dtype != self._dtype:
            raise TypeError(f"assign: dtype {value._dtype} differs from variable {self.name!r} "
                            f"dtype {self._dtype}")
        storage = value._live_storage("assign")
        if storage.backend is not self.backend:
            value = ops.convert(value.numpy(), "assign", dtype=self._dtype)
            storage = value._storage
        self._storage = storage  # tensors are immutable, so sharing the storage is safe
        return self

    def read_value(self):
        """An immutable Tensor snapshot of the current values (shares storage)."""
        return self._with_shape(self._shape)


def as_numpy_dtype(dtype):
    return numpy_dtype(dtype)
