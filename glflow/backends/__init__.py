"""Backends: `gl` (fragment shaders through headless OpenGL) and `cpu` (numpy, the oracle).

Both implement one interface, which is all the layers above ever call (through the runtime's
backend slot, never by importing a backend):
- storage: `upload(array) -> handle`, `read(handle, shape, dtype) -> array`, `free(handle)`;
- `run(kernel, inputs, out_shape, dtype, attrs) -> handle`: inputs are (handle, shape) pairs;
- `limit(what)`: a capability the op layer checks arguments against ("max_elements",
  "exact_int");
- `finish()`, `memory_stats()`, `empty_cache()`, `describe()`.
Importing this package registers both with the runtime; neither makes a GL context until used.
"""
from ..runtime import state
from .gl import GLBackend
from .numpy import NumpyBackend

state.register_backend("gl", GLBackend)
state.register_backend("cpu", NumpyBackend)
