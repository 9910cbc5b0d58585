"""CPUBackend: data handles are read-only numpy arrays in the tensor's dtype.

Kernels are looked up by name in the family modules (elementwise, reduce, linalg, ...), so the
numpy twin of `shaders/relu.glsl` is `glflow.backends.cpu.elementwise.relu`.
"""
import numpy as np

from ... import engine
from ...dtypes import FLOAT32, numpy_dtype
import importlib
import pkgutil

from . import linalg as _linalg

_found = {}


def kernel_function(name):
    """The numpy kernel `name`, from any module of this package (elementwise, reduce, ...)."""
    fn = _found.get(name)
    if fn is None:
        package = __name__.rsplit(".", 1)[0]
        for info in pkgutil.iter_modules(importlib.import_module(package).__path__):
            if info.name == "backend":
                continue
            module = importlib.import_module(f"{package}.{info.name}")
            candidate = getattr(module, name, None)
            if callable(candidate) and getattr(candidate, "__module__", "") == module.__name__:
                fn = _found[name] = candidate
                break
        else:
            raise KeyError(f"cpu backend has no kernel {name!r}")
    return fn


def _frozen(array):
    array = np.ascontiguousarray(array)
    array.flags.writeable = False
    return array


class CPUBackend:
    name = "cpu"

    def describe(self):
        return {"renderer": "numpy " + np.__version__, "max_elements": self.max_elements()}

    def max_elements(self):
        return 1 << 40

    # ------------------------------------------------------------------ storage
    def upload(self, array):
        return _frozen(np.array(array, copy=True))

    def read(self, data, shape, dtype):
        return np.array(data, dtype=numpy_dtype(dtype)).reshape(shape)

    def free(self, data):
        pass

    def finish(self):
        pass

    def memory_stats(self):
        return {"bytes_in_use": engine.state.live_bytes, "bytes_pooled": 0, "num_textures": 0,
                "num_programs": 0, "num_compiles": 0}

    def empty_cache(self):
        pass

    # ------------------------------------------------------------------ kernels
    def evaluate(self, expr, arrays, params):
        """Evaluate an elementwise expression tree (same trees the GL generator compiles)."""
        if expr[0] == "in":
            return arrays[expr[1]]
        args = [self.evaluate(a, arrays, params) for a in expr[2]]
        args += [params[slot] for slot in expr[3]]
        engine.count_kernel("cpu", expr[1])
        return kernel_function(expr[1])(*args)

    def elementwise(self, expr, inputs, params, out_shape, out_dtype):
        """inputs: [(data, shape, StridedView or None)], broadcast to out_shape (numpy rules)."""
        arrays = [view(d, shape, v) for d, shape, v in inputs]
        result = np.asarray(self.evaluate(expr, arrays, params))
        result = np.broadcast_to(result, out_shape)
        return _frozen(_to_dtype(result, out_dtype))

    def reduce(self, kernel, data, outer, length, inner, out_dtype):
        engine.count_kernel("cpu", kernel)
        x = np.asarray(data).reshape(outer, length, inner)
        return _frozen(_to_dtype(kernel_function(kernel)(x), out_dtype))

    def limit(self, kernel, out_shape, attrs):
        """numpy holds whatever fits in host memory: no per-kernel device limits."""
        return None

    def call(self, kernel, inputs, out_shape, out_dtype, attrs):
        """Run the numpy kernel `kernel(*arrays, **attrs)`; arrays have their tensors' shapes."""
        engine.count_kernel("cpu", kernel)
        arrays = [np.asarray(d).reshape(shape) for d, shape in inputs]
        result = kernel_function(kernel)(*arrays, **attrs)
        if isinstance(result, tuple):  # several outputs of one shape (ops/_core.launch_outputs)
            return tuple(_frozen(_to_dtype(np.asarray(r), out_dtype).reshape(out_shape))
                         for r in result)
        return _frozen(_to_dtype(np.asarray(result), out_dtype).reshape(out_shape))

    def matmul(self, a, a_view, b, b_view, batches, m, k, n):
        engine.count_kernel("cpu", "matmul")
        am = matrix(a, a_view, batches)
        bm = matrix(b, b_view, batches)
        return _frozen(_to_dtype(_linalg.matmul(am, bm), "float32"))


def view(data, shape, strided):
    """The input as a numpy array of its logical shape, read through a StridedView if given."""
    if strided is None:
        return np.asarray(data).reshape(shape)
    flat = np.asarray(data).reshape(-1)
    shape, strides, offset = strided.shape, strided.strides, strided.offset
    index = np.full(shape, offset, dtype=np.int64)
    for d, stride in enumerate(strides):
        axis = np.arange(shape[d], dtype=np.int64) * stride
        index = index + axis.reshape([-1 if i == d else 1 for i in range(len(shape))])
    return flat[index]


def matrix(data, mview, batches):
    """Batch of [rows, cols] matrices read through a matmul MatrixView's strides."""
    flat = np.asarray(data).reshape(-1)
    b = np.arange(batches)[:, None, None] * mview.batch_stride
    r = np.arange(mview.rows)[None, :, None] * mview.row_stride
    c = np.arange(mview.cols)[None, None, :] * mview.col_stride
    return flat[b + r + c]


def _to_dtype(array, dtype):
    if dtype == "bool":
        return array != 0
    if dtype == "int32":
        if array.dtype.kind == "f":
            with np.errstate(invalid="ignore"):
                return np.trunc(array).astype(np.int32)
        return array.astype(np.int32)
    return array.astype(numpy_dtype(FLOAT32))
