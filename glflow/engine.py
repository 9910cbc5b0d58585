"""The engine: picks the backend, runs kernels, owns scopes (tidy), the autodiff tape and memory stats.

Ops in `glflow/ops/` call `run(...)` with already-validated arguments; the engine hands the work
to the active backend and wraps the result in a Tensor. Nothing here validates user input.
"""
import os
import sys
import threading
import warnings

_lock = threading.RLock()


class _State:
    def __init__(self):
        self.backend_name = None      # resolved lazily: GL is only touched on first use
        self.backends = {}
        self.scopes = []              # tidy scopes: lists of tensors created inside
        self.tapes = []               # active gradient tapes (innermost last)
        self.live_tensors = 0
        self.live_bytes = 0
        self.kernel_counts = {}       # (backend, kernel) -> launches, for GLFLOW_DEBUG and tests
        self.fallback_reason = None
        self.next_id = 0

    # Tidy scopes and tapes belong to the thread that opened them (as tf.GradientTape's stack
    # does): shared, a tidy in one thread disposed tensors another thread was still using,
    # and one thread's tape removing itself during its backward pass hid another's tape
    # (4 threads running tidy/grad steps failed within 200 steps each).
    @property
    def scopes(self):
        try:
            return _per_thread.scopes
        except AttributeError:
            _per_thread.scopes = []
            return _per_thread.scopes

    @scopes.setter
    def scopes(self, value):
        _per_thread.scopes = value

    @property
    def tapes(self):
        try:
            return _per_thread.tapes
        except AttributeError:
            _per_thread.tapes = []
            return _per_thread.tapes

    @tapes.setter
    def tapes(self, value):
        _per_thread.tapes = value


_per_thread = threading.local()
state = _State()
_local = threading.local()


def _debug_from_environment():
    try:
        return int(os.environ.get("GLFLOW_DEBUG", "0"))
    except ValueError:
        return 0


# Read once: os.environ.get costs ~1 us, and count_kernel asks on every launch.
_debug = _debug_from_environment()


def debug_level():
    return _debug


def set_debug_level(level=None):
    """Change GLFLOW_DEBUG while running (0 off, 1 compiles, 2 kernels, 3 GLSL); None re-reads
    the environment variable. Returns the level now in force."""
    global _debug
    _debug = _debug_from_environment() if level is None else int(level)
    return _debug


# --------------------------------------------------------------------------- backends

def _make_backend(name):
    if name == "cpu":
        from .backends.cpu import CPUBackend
        return CPUBackend()
    if name == "gl":
        from .backends.gl import GLBackend
        return GLBackend()
    raise ValueError(f"set_backend: unknown backend {name!r}; choose 'gl' or 'cpu'")


def _backend_named(name):
    with _lock:
        if name not in state.backends:
            state.backends[name] = _make_backend(name)
        return state.backends[name]


def _resolve_default():
    """GLFLOW_BACKEND=gl|cpu forces a backend; otherwise GL, falling back to cpu with one warning."""
    forced = os.environ.get("GLFLOW_BACKEND", "").strip().lower()
    if forced in ("cpu", "gl"):
        _backend_named(forced)  # GL forced and unusable: the error propagates, as documented
        return forced
    if forced:
        raise ValueError(f"GLFLOW_BACKEND={forced!r}: choose 'gl' or 'cpu'")
    try:
        _backend_named("gl")
        return "gl"
    except Exception as exc:  # no EGL, no driver, no GL 3.3: run on numpy instead
        state.fallback_reason = f"{type(exc).__name__}: {exc}"
        warnings.warn(f"glflow: OpenGL is unavailable ({state.fallback_reason}); "
                      "using the numpy (cpu) backend. Set GLFLOW_BACKEND=gl to make this an error.",
                      RuntimeWarning, stacklevel=_caller_outside_glflow())
        _backend_named("cpu")  # backend() looks the name up: it must exist (was a KeyError)
        return "cpu"


def _caller_outside_glflow():
    """warnings.warn's stacklevel, for a call made here, of the first frame outside the glflow
    package: a warning then names the user's line whichever public function got here (a fixed
    level pointed into glflow for all but one entry point)."""
    frame, level = sys._getframe(2), 2  # 1 is the function that warns
    while frame is not None and _in_glflow(frame.f_code.co_filename):
        frame, level = frame.f_back, level + 1
    return level


def _in_glflow(filename):
    return os.path.abspath(filename).startswith(_PACKAGE_DIR)


_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep


def backend():
    """The active backend object (resolving the default on first use)."""
    name = state.backend_name
    if name is None:
        with _lock:
            if state.backend_name is None:
                state.backend_name = _resolve_default()
            name = state.backend_name
    return state.backends[name]


def set_backend(name):
    """Switch the backend for new tensors: 'gl' or 'cpu'. Raises if the backend cannot start."""
    name = str(name).lower()
    if name not in ("gl", "cpu"):
        raise ValueError(f"set_backend: unknown backend {name!r}; choose 'gl' or 'cpu'")
    with _lock:
        _backend_named(name)
        state.backend_name = name


def get_backend():
    backend()
    return state.backend_name


# --------------------------------------------------------------------------- tensors

def new_id():
    with _lock:
        state.next_id += 1
        return state.next_id


def on_create(tensor, new_bytes=0):
    """Bookkeeping for a new tensor: its id, stats and the innermost tidy scope (one lock
    round-trip per tensor: eager ops make one on every launch), plus the bytes of a storage
    made for it (on_alloc's work, done here to save a lock). Returns the id."""
    with _lock:
        state.next_id += 1
        state.live_tensors += 1
        state.live_bytes += new_bytes
        if state.scopes and not tensor._is_variable:
            state.scopes[-1].append(tensor)
        return state.next_id


def on_release(tensor):
    with _lock:
        state.live_tensors -= 1


def on_alloc(nbytes):
    """A storage (texture or array) came to life; tensors sharing it count it once."""
    with _lock:
        state.live_bytes += nbytes


def on_free(nbytes):
    with _lock:
        state.live_bytes -= nbytes


def count_kernel(backend_name, kernel):
    key = (backend_name, kernel)
    state.kernel_counts[key] = state.kernel_counts.get(key, 0) + 1
    if _debug >= 2:  # the global, not debug_level(): a call less on every launch
        print(f"[glflow] {backend_name}: {kernel}")


def wrap(data, shape, dtype, backend_obj):
    return (_Tensor or _tensor_class())._from_data(data, tuple(shape), dtype, backend_obj)


def _tensor_class():
    """glflow.tensor imports this module, so Tensor is looked up late, once (an import
    statement per op cost ~1 us)."""
    global _Tensor
    if _Tensor is None:
        from .tensor import Tensor
        _Tensor = Tensor
    return _Tensor


_Tensor = None


# --------------------------------------------------------------------------- scopes

def tidy(fn_or_name=None, fn=None):
    """Dispose every tensor created inside, except the ones returned (also nested) or kept.

    `tidy(fn)` / `tidy(name, fn)` run fn; `with tidy():` scopes a block.
    """
    if callable(fn_or_name):
        fn = fn_or_name
    elif fn_or_name is not None and not isinstance(fn_or_name, str) or not (
            fn is None or callable(fn)):  # tidy(5) returned a scope and ran nothing
        raise TypeError(f"tidy: expected tidy(fn), tidy(name, fn) or `with tidy():`, got "
                        f"arguments of type {type(fn_or_name).__name__} and "
                        f"{type(fn).__name__}")
    if fn is None:
        return _TidyScope()
    with _TidyScope() as scope:
        result = fn()
        scope.keep_result(result)
    return result


class _TidyScope:
    def __init__(self):
        self._kept = set()

    def __enter__(self):
        with _lock:
            state.scopes.append([])
        return self

    def keep_result(self, result):
        for t in _tensors_in(result):
            self._kept.add(id(t))

    def __exit__(self, *exc):
        with _lock:
            created = state.scopes.pop()
        survivors = []
        for t in created:
            if id(t) in self._kept or t._kept or t._disposed:
                survivors.append(t)
            else:
                t.dispose()
        # A tensor kept from an inner scope belongs to the outer one, like tfjs.
        if state.scopes:
            with _lock:
                state.scopes[-1].extend(s for s in survivors if not s._kept and not s._disposed)
        return False


def _tensors_in(obj):
    from .tensor import Tensor
    if isinstance(obj, Tensor):
        yield obj
    elif isinstance(obj, dict):
        for v in obj.values():
            yield from _tensors_in(v)
    elif isinstance(obj, (list, tuple)):
        for v in obj:
            yield from _tensors_in(v)


def keep(tensor):
    """Exempt a tensor from the enclosing tidy scopes."""
    tensor._kept = True
    return tensor


def dispose(obj):
    """Dispose a tensor, or every tensor in a (nested) list/tuple/dict."""
    for t in list(_tensors_in(obj)):
        t.dispose()


# --------------------------------------------------------------------------- tape

def recording():
    return bool(state.tapes) and not getattr(_local, "paused", False)


def record(name, inputs, output, backward):
    """Remember `output = name(*inputs)` and its vector-Jacobian product on every active tape."""
    tapes = state.tapes  # recording()'s test inline: every eager op passes here
    if not tapes or getattr(_local, "paused", False):
        return output
    outputs = output if isinstance(output, (list, tuple)) else [output]
    for tape in tapes:
        tape.add(name, list(inputs), list(outputs), backward)
    return output


class no_record:
    """Run ops without recording them (inside gradient functions, optimizers, metrics)."""

    def __enter__(self):
        self._prev = getattr(_local, "paused", False)
        _local.paused = True

    def __exit__(self, *exc):
        _local.paused = self._prev
        return False


# --------------------------------------------------------------------------- stats

def memory():
    """Tensors alive, their bytes, and the active backend's textures/pool/program stats."""
    b = backend()
    info = {"backend": state.backend_name, "num_tensors": state.live_tensors,
            "num_bytes": state.live_bytes}
    info.update(b.memory_stats())
    return info


def empty_cache():
    """Free pooled (unused) GPU memory for real."""
    backend().empty_cache()
