"""NumpyBackend ("cpu"): data handles are read-only numpy arrays in the tensor's dtype.

Kernels come from the `KERNELS` table of each family module here, so the numpy twin of
`shaders/activations/relu.glsl` is `glflow.backends.numpy.activations.relu`. A kernel is
called as `fn(*arrays, **attrs)` with arrays in their tensors' shapes, except that
- elementwise kernels get their float params positionally, after the arrays, and inputs read
  through `views` (a StridedView per input, or None) arrive already read through them;
- the `fused` kernel is an elementwise program (graph mode's fusion; one output or several),
  evaluated op by op with the same twins (numpy/elementwise.py); a reduction may carry such a
  program as its `prologue` (graph mode fused the elementwise work that made its input).
"""
import numpy as np

from ...runtime import counters, registry
from ...runtime.dtypes import numpy_dtype
from ._common import to_dtype as _to_dtype
from ._common import view
from . import elementwise
from . import interop as _interop
from . import (activations, arithmetic, conv, creation, indexing, joining, linalg, logic, math,
               optimizer_updates, padding, pool, reduction, scan, search, shape, slicing,
               softmax)

FAMILIES = (activations, arithmetic, conv, creation, indexing, joining, linalg, logic, math,
            optimizer_updates, padding, pool, reduction, scan, search, shape, slicing, softmax)


def _table():
    table = {}
    for module in FAMILIES:
        for name, fn in module.KERNELS.items():
            if name in table:
                raise ValueError(f"numpy backend: kernel {name!r} in two families")
            table[name] = fn
    return table


KERNELS = _table()


def kernel_function(name):
    """The numpy twin of kernel `name`."""
    try:
        return KERNELS[name]
    except KeyError:
        raise KeyError(f"the numpy backend has no kernel {name!r}") from None


def _frozen(array):
    array = np.ascontiguousarray(array)
    array.flags.writeable = False
    return array


class NumpyBackend:
    name = "cpu"

    def describe(self):
        return {"renderer": "numpy " + np.__version__, "max_elements": self.limit("max_elements")}

    def limit(self, what):
        """Capabilities ops ask about: numpy holds whatever fits in host memory and every
        int32 exactly, and one call reads any number of inputs (None: no limit)."""
        if what == "max_elements":
            return 1 << 40
        if what in ("exact_int", "max_inputs"):
            return None
        raise ValueError(f"limit: unknown capability {what!r}")

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
        return {"bytes_in_use": counters.live_bytes, "bytes_pooled": 0, "num_textures": 0,
                "num_programs": 0, "num_compiles": 0}

    def empty_cache(self):
        pass

    # ------------------------------------------------------------------ graph mode
    def prepare(self, kernel, in_shapes, out_shape, dtype, attrs):
        """A launch for compiled replay: plain `run` calls with the arguments fixed (numpy
        has nothing to resolve ahead)."""
        run = self.run

        def launch(handles, out=None):
            return run(kernel, list(zip(handles, in_shapes)), out_shape, dtype, attrs)
        launch.into_buffer = False
        return launch

    # ------------------------------------------------------------------ kernels
    def run(self, kernel, inputs, out_shape, dtype, attrs):
        """Run kernel `kernel` on [(array, shape)] inputs; returns the output array (a tuple
        of them for a several-output kernel)."""
        if kernel == "fused":
            counters.count_kernel(self.name, kernel)
            arrays = _read_inputs(inputs, attrs.get("views"))
            program = attrs["program"]
            results = self.evaluate(program, arrays, attrs.get("params", ()))
            if len(results) == 1:
                return _output(np.broadcast_to(np.asarray(results[0]), out_shape), dtype,
                               out_shape)
            # several outputs (graph mode): out_shape holds one shape each
            return tuple(_output(np.broadcast_to(np.asarray(r), shape), d, shape)
                         for r, shape, d in zip(results, out_shape,
                                                elementwise.output_dtypes(program, dtype)))
        spec = registry.get(kernel)
        fn = kernel_function(kernel)
        counters.count_kernel(self.name, kernel)
        if spec.pattern == registry.ELEMENTWISE:
            arrays = _read_inputs(inputs, attrs.get("views"))
            result = fn(*arrays, *[attrs[p] for p in spec.params])
            return _output(np.broadcast_to(np.asarray(result), out_shape), dtype, out_shape)
        arrays = [np.asarray(d).reshape(shape) for d, shape in inputs]
        if attrs and "prologue" in attrs:  # graph mode fused an elementwise prologue in
            arrays = [self._prologue(attrs["prologue"], inputs)]
            attrs = {k: v for k, v in attrs.items() if k != "prologue"}
        result = fn(*arrays, **attrs)
        if isinstance(result, tuple):  # several outputs: out_shape holds one shape each
            return tuple(_output(r, dtype, shape) for r, shape in zip(result, out_shape))
        return _output(result, dtype, out_shape)

    def _prologue(self, prologue, inputs):
        """A reduction's fused elementwise prologue: the input it would have read."""
        arrays = _read_inputs(inputs, prologue.get("views"))
        (value,) = self.evaluate(prologue["program"], arrays, prologue.get("params", ()))
        shape = tuple(prologue["shape"])
        return _to_dtype(np.broadcast_to(np.asarray(value), shape), prologue["dtype"])

    # ------------------------------------------------------------------ interop
    # glflow/interop.py: textures of glflow's GL context <-> tensors. This backend has no
    # GPU: it reads the texture back and uploads a new one (numpy/interop.py converts); the
    # caller holds the context's GL section.
    def from_texture(self, texture, flip_y):
        counters.count_kernel(self.name, "from_texture")
        return _frozen(_interop.from_texture(texture.read(alignment=1), texture.size,
                                             texture.components, texture.dtype, flip_y))

    def to_texture(self, data, shape, dtype, flip_y, ctx):
        counters.count_kernel(self.name, "to_texture")
        height, width, components = shape
        raw = _interop.to_texture(np.asarray(data).reshape(shape), dtype, flip_y)
        return ctx.texture((width, height), components, data=raw, dtype=dtype, alignment=1)

    def evaluate(self, program, arrays, params):
        """The outputs of an elementwise program (numpy/elementwise.py), each op counted as a
        kernel this backend ran."""
        return elementwise.evaluate(program, arrays, params, self._count)

    def _count(self, kernel):
        counters.count_kernel(self.name, kernel)


def _read_inputs(inputs, views):
    if views is None:
        return [np.asarray(d).reshape(shape) for d, shape in inputs]
    return [view(d, shape, v) for (d, shape), v in zip(inputs, views)]


def _output(array, dtype, out_shape):
    return _frozen(_to_dtype(np.asarray(array), dtype).reshape(out_shape))
