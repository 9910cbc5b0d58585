"""The hook through which a public op can be recorded instead of run.

TensorFlow 1 programs build a graph first and run it later: while a TF1 graph is being built
(glflow/tf1/), `gf.matmul(x, w)` on a placeholder must become an operation of that graph, not a
kernel launch. The public ops (`gf.<op>`, `gf.nn.<op>`) are `dispatchable`, which reaches the
TF1 front end in two ways, so eager code pays almost nothing:

- while a graph is being built (`with graph.as_default():`), the installed `building` hook
  records every call (it returns NotImplemented when no graph is being built);
- outside, the op runs; a graph tensor among its arguments cannot be converted into a tensor
  and raises DeferredArgument there (before anything runs on it), which the wrapper hands to
  the `deferred` hook: the call is recorded into that tensor's graph.

Nothing is installed until a TF1 graph is made. TensorFlow's ops take a `name=` argument (the
graph operation's name); a dispatchable op whose function has no `name` parameter accepts and
ignores it when it runs, so TF code runs eagerly too.

This module is a leaf: it knows nothing of what the hooks do.
"""
import functools
import inspect

_hooks = {"building": None, "deferred": None}
_wrappers = {}   # fn -> its dispatchable wrapper (one per function: gf.silu is gf.swish)


class DeferredArgument(TypeError):
    """A graph tensor was given where an op needs values now (its conversion raises this)."""


def install(building, deferred):
    """building(fn, args, kwargs) -> result or NotImplemented; deferred(fn, args, kwargs)."""
    _hooks["building"] = building
    _hooks["deferred"] = deferred


def dispatchable(fn):
    """fn, recorded instead of run while a graph is built or on graph tensors (the same
    wrapper for the same function)."""
    made = _wrappers.get(fn)
    if made is not None:
        return made
    drops_name = not _takes_name(fn)

    @functools.wraps(fn)
    def public(*args, **kwargs):
        building = _hooks["building"]
        if building is not None:
            result = building(fn, args, kwargs)
            if result is not NotImplemented:
                return result
        if kwargs and drops_name and "name" in kwargs:
            call_kwargs = {k: v for k, v in kwargs.items() if k != "name"}
        else:
            call_kwargs = kwargs
        try:
            return fn(*args, **call_kwargs)
        except DeferredArgument:
            if _hooks["deferred"] is None:
                raise
            return _hooks["deferred"](fn, args, kwargs)
    public.raw = fn
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
