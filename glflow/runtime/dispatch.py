"""The hook through which a public op can be recorded instead of run.

TensorFlow 1 programs build a graph first and run it later: while a TF1 graph is being built
(glflow/tf1/), `gf.matmul(x, w)` on a placeholder must become an operation of that graph, not a
kernel launch. The public ops (`gf.<op>`, `gf.nn.<op>`) are `dispatchable`: each call first asks
the installed handler, which records the call and returns its graph tensors, or returns
NotImplemented and the op runs as usual. No handler is installed until a TF1 graph is made, so
eager code pays one global read per public call.

TensorFlow's ops take a `name=` argument (the graph operation's name); a dispatchable op whose
function has no `name` parameter accepts and ignores it when it runs, so TF code runs eagerly too.

This module is a leaf: it knows nothing of what the handler does.
"""
import functools
import inspect

NOT_HANDLED = NotImplemented
_handler = None
_wrappers = {}   # fn -> its dispatchable wrapper (one per function: gf.silu is gf.swish)


def install(handler):
    """Set the handler: handler(public, fn, args, kwargs) -> result or NotImplemented."""
    global _handler
    _handler = handler


def dispatchable(fn):
    """fn, asking the installed handler first (the same wrapper for the same function)."""
    made = _wrappers.get(fn)
    if made is not None:
        return made

    drops_name = not _takes_name(fn)

    @functools.wraps(fn)
    def public(*args, **kwargs):
        handler = _handler
        if handler is not None:
            result = handler(public, fn, args, kwargs)
            if result is not NOT_HANDLED:
                return result
        if kwargs and drops_name and "name" in kwargs:
            kwargs = {k: v for k, v in kwargs.items() if k != "name"}
        return fn(*args, **kwargs)
    public.raw = fn
    public.drops_name = drops_name
    _wrappers[fn] = public
    _wrappers[public] = public
    return public


def raw(fn):
    """The function a dispatchable wrapper runs (fn itself when it is not one)."""
    return getattr(fn, "raw", fn)


def _takes_name(fn):
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return True
    return any(p.name == "name" or p.kind == p.VAR_KEYWORD for p in params)
