"""Automatic differentiation: a tape of recorded primitive calls, walked backwards.

Every op is a composition of primitives (glflow/ops/_primitive.py), and each primitive run
offers its Call (primitive, inputs, attrs, outputs) to the active tapes. A tape keeps the calls
that depend on a watched tensor. Recording order is execution order, a topological order of
the graph: walking it backwards visits every call after all the calls that consumed its
outputs, deterministically, with no recursion. Gradient rules are glflow ops, so they run on
the GPU, and while an outer tape is recording they are recorded too, which gives gradients of
gradients. The same walk runs under graph mode's tracer, which turns it into graph nodes.
"""
from .ops import cast, convert, ones_like, sum_to_shape, zeros
from .ops._primitive import Call, record
from .runtime import state
from .tensor import Tensor, Variable, tensors_in

_thread = state.thread


class GradientTape:
    """Records ops on watched tensors (and trainable Variables) for `gradient()`.

        with gf.GradientTape() as tape:
            tape.watch(x)
            y = f(x)
        dx = tape.gradient(y, x)
    """

    def __init__(self, persistent=False, watch_accessed_variables=True):
        self.persistent = persistent
        self.watch_variables = watch_accessed_variables
        self._calls = []
        self._tracked = set()   # ids of watched tensors and of outputs of kept calls
        self._saved = set()     # ids of every tensor a kept call holds (tidy spares them)
        self._used = False

    def watch(self, *tensors):
        for t in tensors_in(list(tensors)):
            self._tracked.add(t._id)

    def __enter__(self):
        _thread.tapes.append(self)
        return self

    def __exit__(self, *exc):
        if self in _thread.tapes:
            _thread.tapes.remove(self)
        return False

    def _depends(self, t):
        if t._id in self._tracked:
            return True
        return self.watch_variables and t._is_variable and t.trainable

    def add(self, call):
        """Keep `call` if it depends on a watched tensor (called by every primitive run)."""
        if not any(self._depends(t) for t in call.inputs):
            return
        for t in call.outputs:
            self._tracked.add(t._id)
        for t in call.inputs:
            self._saved.add(t._id)
        for t in call.outputs:
            self._saved.add(t._id)
        self._calls.append(call)

    def holds(self, tensor):
        """Whether a kept call holds this tensor: tidy must not dispose it (as in TF.js)."""
        return tensor._id in self._saved

    def gradient(self, target, sources, output_gradients=None):
        """d(sum of target * output_gradients)/d(sources); sources may be nested lists/dicts.
        A source the target does not depend on gets None (like tf.GradientTape)."""
        if self._used and not self.persistent:
            raise RuntimeError("GradientTape.gradient: a non-persistent tape can be used once")
        self._used = True
        if not isinstance(target, Tensor):
            raise TypeError(f"gradient: target must be a Tensor, got {type(target).__name__}")
        flat = list(tensors_in(sources))
        grads = _backward(self, target, flat, output_gradients)
        return _restructure(sources, iter(grads))

    def watched_variables(self):
        """The trainable Variables the recorded calls read, in first-use order (as TF's);
        call it before a non-persistent tape's gradient(), which clears the record."""
        seen, out = set(), []
        for call in self._calls:
            for t in call.inputs:
                if t._is_variable and t.trainable and t._id not in seen:
                    seen.add(t._id)
                    out.append(t)
        return out


def _restructure(structure, flat_iter):
    if isinstance(structure, Tensor):
        return next(flat_iter)
    if isinstance(structure, dict):
        return {k: _restructure(v, flat_iter) for k, v in structure.items()}
    if isinstance(structure, (list, tuple)):
        return type(structure)(_restructure(v, flat_iter) for v in structure)
    raise TypeError(f"gradient: sources must be tensors (or lists/dicts of them), got {structure!r}")


def _seed(target, output_gradient):
    if output_gradient is None:
        return ones_like(cast(target, "float32"))
    seed = convert(output_gradient, "gradient", "float32")
    if seed._shape != target._shape:
        raise ValueError(f"gradient: output gradient shape {seed.shape} differs from "
                         f"target shape {target.shape}")
    return seed


def _backward(tape, target, sources, output_gradient):
    was_active = tape in _thread.tapes
    if was_active:  # the walk itself is recorded only by outer tapes (second order)
        _thread.tapes.remove(tape)
    try:
        grads = {target._id: _seed(target, output_gradient)}
        keep = {s._id for s in sources}
        cut = []  # (tensor, consuming call): int/bool inputs that stopped a gradient
        for call in reversed(tape._calls):
            # pop: a consumed gradient is released as soon as it has been propagated
            dys = [grads.get(o._id) if o._id in keep else grads.pop(o._id, None)
                   for o in call.outputs]
            if all(d is None for d in dys):
                continue
            prim = call.prim
            if prim.grad is None:
                if any(tape._depends(t) and t._dtype == "float32" for t in call.inputs):
                    raise ValueError(f"gradient: op '{prim.name}' is not differentiable, and "
                                     "the target depends on a watched tensor through it")
                cut.extend((t, call) for t in call.inputs if tape._depends(t))
                continue
            dy = dys[0] if len(call.outputs) == 1 else [
                d if d is not None else zeros(o.shape) for d, o in zip(dys, call.outputs)]
            for t, g in zip(call.inputs, _input_gradients(tape, call, dy, keep)):
                if t._dtype != "float32":
                    if tape._depends(t):
                        cut.append((t, call))
                    continue
                if g is None:
                    continue
                if g._shape != t._shape:
                    if not prim.unbroadcast:
                        raise RuntimeError(f"gradient of '{prim.name}': shape {g.shape} for "
                                           f"input of shape {t.shape} (a bug in its gradient)")
                    g = sum_to_shape(g, t._shape)
                prev = grads.get(t._id)
                grads[t._id] = g if prev is None else prev + g
        result = [grads.get(s._id) for s in sources]
        if cut and any(g is None for g in result):
            _refuse_integer_only_paths(tape, sources, result, cut)
        return result
    finally:
        if was_active:
            _thread.tapes.append(tape)
        if not tape.persistent:
            tape._calls = []
            tape._saved = set()


def _input_gradients(tape, call, dy, keep):
    """The primitive's gradient, told which input gradients the walk will use when it can skip
    the rest (`takes_needs`): an input no watched tensor flows into (a model's data batch)
    gets its gradient dropped, and for conv2d or matmul that gradient is a kernel as costly
    as the forward pass. A requested source counts as needed even when unwatched."""
    if call.prim.takes_needs:
        call.needs = tuple(t._dtype == "float32" and (tape._depends(t) or t._id in keep)
                           for t in call.inputs)
    return call.prim.grad(call, dy)


def _refuse_integer_only_paths(tape, sources, result, cut):
    """A source that got no gradient but feeds an int32/bool result the target used (argmax,
    comparisons, ...): asking for that gradient is a mistake worth naming, not a silent None.
    One iterative walk up from the cut tensors (graphs can be thousands of ops deep)."""
    producers = {o._id: call for call in tape._calls for o in call.outputs}
    missing = {s._id: s for s, g in zip(sources, result) if g is None}
    for t, consumer in cut:
        stack, seen = [t], set()
        while stack:
            u = stack.pop()
            if u._id in missing:
                source = missing[u._id]
                made_by = producers.get(t._id)
                name = made_by.prim.name if made_by is not None else "an input"
                raise ValueError(
                    f"gradient: the target depends on a watched tensor of shape "
                    f"{source.shape} only through '{name}', whose {t.dtype} result (used by "
                    f"'{consumer.prim.name}') carries no gradient; argmax, comparisons and "
                    "other integer/bool results are not differentiable")
            if u._id in seen:
                continue
            seen.add(u._id)
            producer = producers.get(u._id)
            if producer is not None:
                stack.extend(producer.inputs)


class no_record:
    """Run ops without recording them on any tape (optimizer updates, metrics, inference)."""

    def __enter__(self):
        self._prev = _thread.paused
        _thread.paused = True

    def __exit__(self, *exc):
        _thread.paused = self._prev
        return False


def grad(f):
    """grad(f)(x, dy=None) -> df/dx for a function of one tensor."""
    def g(x, dy=None):
        x = convert(x, "grad")
        with GradientTape() as tape:
            tape.watch(x)
            y = f(x)
        return _or_zeros(tape.gradient(y, x, dy), x)
    return g


def grads(f):
    """grads(f)(xs, dy=None) -> [df/dx for x in xs]."""
    def g(xs, dy=None):
        xs = [convert(x, "grads") for x in xs]
        with GradientTape() as tape:
            tape.watch(*xs)
            y = f(*xs)
        return [_or_zeros(d, x) for d, x in zip(tape.gradient(y, xs, dy), xs)]
    return g


def value_and_grad(f):
    """value_and_grad(f)(x, dy=None) -> (f(x), df/dx)."""
    def g(x, dy=None):
        x = convert(x, "value_and_grad")
        with GradientTape() as tape:
            tape.watch(x)
            y = f(x)
        return y, _or_zeros(tape.gradient(y, x, dy), x)
    return g


def value_and_grads(f):
    """value_and_grads(f)(xs, dy=None) -> (f(*xs), [df/dx for x in xs])."""
    def g(xs, dy=None):
        xs = [convert(x, "value_and_grads") for x in xs]
        with GradientTape() as tape:
            tape.watch(*xs)
            y = f(*xs)
        return y, [_or_zeros(d, x) for d, x in zip(tape.gradient(y, xs, dy), xs)]
    return g


def variable_grads(f, var_list=None):
    """Run f() (a scalar loss) and differentiate it with respect to trainable variables.
    Returns {"value": loss, "grads": {variable name: gradient}} like TF.js."""
    with GradientTape(watch_accessed_variables=var_list is None) as tape:
        if var_list is not None:
            tape.watch(*var_list)
        value = f()
    if not isinstance(value, Tensor) or value.size != 1:
        raise ValueError("variable_grads: f must return a scalar tensor (the loss)")
    if var_list is None:
        var_list = tape.watched_variables()
    grads_ = tape.gradient(value, list(var_list))
    return {"value": value, "grads": {v.name: _or_zeros(g, v) for v, g in zip(var_list, grads_)}}


class _CustomGradient:
    """The primitive-like record of a custom_grad call: its gradient is the user's function."""
    __slots__ = ("name", "grad", "takes_needs", "unbroadcast")

    def __init__(self, grad_fn, n_inputs):
        self.name = "custom_grad"
        self.takes_needs = False
        self.unbroadcast = False
        self.grad = lambda call, dy: _user_gradients(grad_fn(dy), call.inputs)


def _user_gradients(out, inputs):
    """Check what a custom gradient function returned: one tensor (or None) per input."""
    out = list(out) if isinstance(out, (list, tuple)) else [out]
    if len(out) != len(inputs):
        raise ValueError(f"custom_grad: the gradient function returned {len(out)} gradients "
                         f"for {len(inputs)} inputs; return one per input (None for none)")
    checked = []
    for i, (g, x) in enumerate(zip(out, inputs)):
        if g is not None and not isinstance(g, Tensor):
            raise TypeError(f"custom_grad: gradient {i} must be a Tensor or None, got "
                            f"{type(g).__name__}; wrap values with gf.tensor(...)")
        if g is not None and g._shape != x._shape:
            raise ValueError(f"custom_grad: gradient {i} has shape {g.shape}, input {i} has "
                             f"shape {x.shape}")
        checked.append(g)
    return checked


def custom_grad(f):
    """Decorate f(*xs) -> (value, grad_fn) where grad_fn(dy) returns one gradient per input."""
    def wrapped(*xs):
        xs = [convert(x, "custom_grad") for x in xs]
        with no_record():
            value, grad_fn = f(*xs)
        if not isinstance(value, Tensor):
            raise TypeError(f"custom_grad: f must return (value tensor, gradient function), "
                            f"got a {type(value).__name__} value")
        if not callable(grad_fn):
            raise TypeError("custom_grad: f must return (value, gradient function); the "
                            f"second item is a {type(grad_fn).__name__}")
        if _thread.tapes and not _thread.paused:
            record(Call(_CustomGradient(grad_fn, len(xs)), xs, {}, [value]))
        return value
    return wrapped


def _or_zeros(g, x):
    return g if g is not None else zeros(x.shape)


__all__ = ["GradientTape", "grad", "grads", "value_and_grad", "value_and_grads",
           "variable_grads", "custom_grad", "no_record"]
