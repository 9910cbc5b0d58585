"""The active backend and the per-thread state of the layers above (tidy scopes, gradient
tapes, the graph tracer).

Backends register a factory here (glflow/backends/__init__.py); the first op that needs a
backend makes the default one. Tidy scopes, tapes and tracers belong to the thread that opened
them, as tf.GradientTape's stack does: shared, a tidy in one thread disposed tensors another
thread was still using.
"""
import os
import sys
import threading
import warnings

from . import devices

_lock = threading.RLock()
_factories = {}       # name -> zero-argument callable making the backend
_backends = {}        # name -> backend object, made once
current = None        # the active backend object; None until first use
current_name = None
fallback_reason = None


class _ThreadState(threading.local):
    def __init__(self):
        self.scopes = []        # tidy scopes: lists of tensors made inside (innermost last)
        self.tapes = []         # active gradient tapes (innermost last)
        self.paused = False     # no_record(): ops run without recording on any tape
        self.tracer = None      # graph mode: primitive calls become graph nodes


thread = _ThreadState()


def register_backend(name, factory):
    _factories[name] = factory


def backend_names():
    return tuple(_factories)


def backend_named(name):
    """The backend `name`, made on first use, whichever backend is active (interop needs the
    GL context even when numpy computes)."""
    return _named(name)


def _named(name):
    with _lock:
        made = _backends.get(name)
        if made is None:
            factory = _factories.get(name)
            if factory is None:
                raise ValueError(f"set_backend: unknown backend {name!r}; choose "
                                 f"{' or '.join(repr(n) for n in _factories)}")
            made = _backends[name] = factory()
        return made


def _resolve_default():
    """GLFLOW_BACKEND=gl|cpu forces a backend; otherwise GL, falling back to cpu with one
    warning (pointing at the user's line) when no GL context can be made."""
    global fallback_reason
    forced = os.environ.get("GLFLOW_BACKEND", "").strip().lower()
    if forced:
        if forced not in _factories:
            raise ValueError(f"GLFLOW_BACKEND={forced!r}: choose 'gl' or 'cpu'")
        _named(forced)  # forced and unusable: the error propagates, as documented
        return forced
    devices.requested()  # a GLFLOW_DEVICE naming no device is an error, not a reason to fall back
    try:
        _named("gl")
        return "gl"
    except Exception as exc:  # no EGL, no driver, no GL 3.3: run on numpy instead
        fallback_reason = f"{type(exc).__name__}: {exc}"
        warnings.warn(f"glflow: OpenGL is unavailable ({fallback_reason}); using the numpy "
                      "(cpu) backend. Set GLFLOW_BACKEND=gl to make this an error.",
                      RuntimeWarning, stacklevel=_user_stacklevel())
        _named("cpu")
        return "cpu"


def _user_stacklevel():
    """The stacklevel of the first frame outside glflow, so a warning names the user's line."""
    frame, level = sys._getframe(1), 1
    package = __name__.split(".")[0]
    while frame is not None and frame.f_globals.get("__name__", "").split(".")[0] == package:
        frame = frame.f_back
        level += 1
    return level


def backend():
    """The active backend object, resolving the default on first use."""
    b = current
    if b is None:
        b = _activate(None)
    return b


def _activate(name):
    global current, current_name
    with _lock:
        if name is None:
            if current is not None:
                return current
            name = _resolve_default()
        b = _named(name)
        current, current_name = b, name
        return b


def set_backend(name):
    """Switch the backend for new tensors: 'gl' or 'cpu'. Raises if it cannot start."""
    name = str(name).lower()
    if name not in _factories:
        raise ValueError(f"set_backend: unknown backend {name!r}; choose "
                         f"{' or '.join(repr(n) for n in _factories)}")
    _activate(name)


def get_backend():
    """The active backend's name."""
    backend()
    return current_name


def made_backends():
    """Backends made so far in this process, by name."""
    return dict(_backends)
