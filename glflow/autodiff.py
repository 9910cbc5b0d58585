"""Automatic differentiation: a tape of recorded ops, walked backwards.

Ops record `(name, inputs, outputs, backward)` while a tape is active. Recording order is
execution order, which is a topological order of the graph: walking it backwards visits every
op after all the ops that consumed its outputs, deterministically, with no recursion. Only ops
that depend on a watched tensor are recorded, so constants cost nothing.
Backward functions are glflow ops: gradients run on the GPU, and while an outer tape is
recording they are recorded too, which gives gradients of gradients.
"""
from . import engine
from .tensor import Tensor, Variable


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
        self._nodes = []
        self._tracked = set()
        self._used = False

    def watch(self, *tensors):
        for t in engine._tensors_in(list(tensors)):
            self._tracked.add(t.id)

    def __enter__(self):
        with engine._lock:
            engine.state.tapes.append(self)
        return self

    def __exit__(self, *exc):
        with engine._lock:
            if self in engine.state.tapes:
                engine.state.tapes.remove(self)
        return False

    def _depends(self, t):
        if t.id in self._tracked:
            return True
        return self.watch_variables and isinstance(t, Variable) and t.trainable

    def add(self, name, inputs, outputs, backward):
        if not any(self._depends(t) for t in inputs):
            return
        for t in outputs:
            self._tracked.add(t.id)
        self._nodes.append((name, inputs, outputs, backward))

    def gradient(self, target, sources, output_gradients=None):
        """d(sum of target * output_gradients)/d(sources); sources may be nested lists/dicts.
        A source the target does not depend on gets None (like tf.GradientTape)."""
        if self._used and not self.persistent:
            raise RuntimeError("GradientTape.gradient: a non-persistent tape can be used once")
        self._used = True
        if not isinstance(target, Tensor):
            raise TypeError(f"gradient: target must be a Tensor, got {type(target).__name__}")
        flat = list(engine._tensors_in(sources))
        grads = _backward(self, target, flat, output_gradients)
        result = iter(grads)
        return _restructure(sources, result)


def _restructure(structure, flat_iter):
    if isinstance(structure, Tensor):
        return next(flat_iter)
    if isinstance(structure, dict):
        return {k: _restructure(v, flat_iter) for k, v in structure.items()}
    if isinstance(structure, (list, tuple)):
        return type(structure)(_restructure(v, flat_iter) for v in structure)
    raise TypeError(f"gradient: sources must be tensors (or lists/dicts of them), got {structure!r}")


def _backward(tape, target, sources, output_gradient):
    from . import ops
    was_active = tape in engine.state.tapes
    if was_active:  # the walk itself is recorded only by outer tapes (second order)
        engine.state.tapes.remove(tape)
    try:
        seed = (ops.ones_like(ops.cast(target, "float32")) if output_gradient is None
                else ops.convert(output_gradient, "gradient", "float32"))
        if tuple(seed._shape) != tuple(target._shape):
            raise ValueError(f"gradient: output gradient shape {seed.shape} differs from "
                             f"target shape {target.shape}")
        grads = {target.id: seed}
        keep = {s.id for s in sources}
        cut = []  # (tensor, consuming op): int/bool inputs that stopped a gradient
        for name, inputs, outputs, backward in reversed(tape._nodes):
            # pop: a consumed gradient is released as soon as it has been propagated
            dys = [grads.get(o.id) if o.id in keep else grads.pop(o.id, None) for o in outputs]
            if all(d is None for d in dys):
                continue
            if backward is None:
                if any(tape._depends(t) and t.dtype == "float32" for t in inputs):
                    raise ValueError(f"gradient: op '{name}' is not differentiable, and the "
                                     "target depends on a watched tensor through it")
                cut.extend((t, name) for t in inputs if tape._depends(t))
                continue
            dy = dys[0] if len(outputs) == 1 else [
                d if d is not None else ops.zeros_like(o) for d, o in zip(dys, outputs)]
            if dy is None:
                continue
            in_grads = _call_backward(tape, backward, dy, inputs, keep)
            for t, g in zip(inputs, in_grads):
                if t.dtype != "float32":
                    if tape._depends(t):
                        cut.append((t, name))
                    continue
                if g is None:
                    continue
                if tuple(g._shape) != tuple(t._shape):
                    raise RuntimeError(f"gradient of '{name}': shape {g.shape} for input of "
                                       f"shape {t.shape} (a bug in the op's gradient)")
                prev = grads.get(t.id)
                grads[t.id] = g if prev is None else ops.add(prev, g)
        result = [grads.get(s.id) for s in sources]
        if cut and any(g is None for g in result):
            _refuse_integer_only_paths(tape, sources, result, cut)
        return result
    finally:
        if was_active:
            engine.state.tapes.append(tape)
        if not tape.persistent:
            tape._nodes = []


def _call_backward(tape, backward, dy, inputs, keep):
    """backward(dy), told which input gradients the walk will use when it can skip the rest
    (`takes_needs`): an input no watched tensor flows into (a model's data batch) gets its
    gradient dropped, and for conv2d or matmul that gradient is a kernel as costly as the
    forward pass. A requested source counts as needed even when unwatched, so asking for it
    still gets its gradient."""
    if not getattr(backward, "takes_needs", False):
        return backward(dy)
    needs = [t.dtype == "float32" and (tape._depends(t) or t.id in keep) for t in inputs]
    return backward(dy, needs)


def _refuse_integer_only_paths(tape, sources, result, cut):
    """A source that got no gradient but feeds an int32/bool result the target used (argmax,
    comparisons, ...): asking for that gradient is a mistake worth naming, not a silent None.
    One iterative walk up from the cut tensors (graphs can be thousands of ops deep)."""
    producers = {o.id: inputs for _, inputs, outputs, _ in tape._nodes for o in outputs}
    names = {o.id: name for name, _, outputs, _ in tape._nodes for o in outputs}
    missing = {s.id: s for s, g in zip(sources, result) if g is None}
    for t, consumer in cut:
        stack, seen = [t], set()
        while stack:
            u = stack.pop()
            if u.id in missing:
                source = missing[u.id]
                raise ValueError(
                    f"gradient: the target depends on a watched tensor of shape "
                    f"{source.shape} only through '{names.get(t.id, 'an input')}', whose "
                    f"{t.dtype} result (used by '{consumer}') carries no gradient; argmax, "
                    "comparisons and other integer/bool results are not differentiable")
            if u.id in seen:
                continue
            seen.add(u.id)
            stack.extend(producers.get(u.id, ()))


def grad(f):
    """grad(f)(x, dy=None) -> df/dx for a function of one tensor."""
    def g(x, dy=None):
        from . import ops
        x = ops.convert(x, "grad")
        with GradientTape() as tape:
            tape.watch(x)
            y = f(x)
        return _or_zeros(tape.gradient(y, x, dy), x)
    return g


def grads(f):
    """grads(f)(xs, dy=None) -> [df/dx for x in xs]."""
    def g(xs, dy=None):
        from . import ops
        xs = [ops.convert(x, "grads") for x in xs]
        with GradientTape() as tape:
            tape.watch(*xs)
            y = f(*xs)
        return [_or_zeros(d, x) for d, x in zip(tape.gradient(y, xs, dy), xs)]
    return g


def value_and_grad(f):
    """value_and_grad(f)(x, dy=None) -> (f(x), df/dx)."""
    def g(x, dy=None):
        from . import ops
        x = ops.convert(x, "value_and_grad")
        with GradientTape() as tape:
            tape.watch(x)
            y = f(x)
        return y, _or_zeros(tape.gradient(y, x, dy), x)
    return g


def value_and_grads(f):
    """value_and_grads(f)(xs, dy=None) -> (f(*xs), [df/dx for x in xs])."""
    def g(xs, dy=None):
        from . import ops
        xs = [ops.convert(x, "value_and_grads") for x in xs]
        with GradientTape() as tape:
            tape.watch(*xs)
            y = f(*xs)
        return y, [_or_zeros(d, x) for d, x in zip(tape.gradient(y, xs, dy), xs)]
    return g


def variable_grads(f, var_list=None):
    """Run f() (a scalar loss) and differentiate it with respect to trainable variables.
    Returns {"value": loss, "grads": {variable name: gradient}} like tfjs."""
    with GradientTape(watch_accessed_variables=var_list is None) as tape:
        if var_list is not None:
            tape.watch(*var_list)
        value = f()
    if not isinstance(value, Tensor) or value.size != 1:
        raise ValueError("variable_grads: f must return a scalar tensor (the loss)")
    if var_list is None:
        var_list = _variables_used(tape)
    grads_ = tape.gradient(value, list(var_list))
    return {"value": value, "grads": {v.name: _or_zeros(g, v) for v, g in zip(var_list, grads_)}}


def _variables_used(tape):
    seen, out = set(), []
    for _, inputs, _, _ in tape._nodes:
        for t in inputs:
            if isinstance(t, Variable) and t.trainable and t.id not in seen:
                seen.add(t.id)
                out.append(t)
    return out


def custom_grad(f):
    """Decorate f(*xs) -> (value, grad_fn) where grad_fn(dy) returns one gradient per input."""
    def wrapped(*xs):
        from . import ops
        xs = [ops.convert(x, "custom_grad") for x in xs]
        with engine.no_record():
            value, grad_fn = f(*xs)

        def backward(dy):
            out = grad_fn(dy)
            return _checked_custom_grads(list(out) if isinstance(out, (list, tuple)) else [out],
                                         xs)
        return engine.record("custom_grad", xs, value, backward)
    return wrapped


def _checked_custom_grads(grads, xs):
    """One Tensor (or None) per input, of the input's shape: fewer silently gave zeros, and a
    numpy array failed with AttributeError '_shape'."""
    if len(grads) != len(xs):
        raise ValueError(f"custom_grad: the gradient function returned {len(grads)} "
                         f"gradient(s) for {len(xs)} input(s); return one per input (None "
                         "for an input without one)")
    for i, (g, x) in enumerate(zip(grads, xs)):
        if g is None:
            continue
        if not isinstance(g, Tensor):
            raise TypeError(f"custom_grad: gradient {i} is a {type(g).__name__}, not a Tensor; "
                            "compute it with glflow ops (gf.tensor(array) wraps an array)")
        if tuple(g._shape) != tuple(x._shape):
            raise ValueError(f"custom_grad: gradient {i} has shape {g.shape}, but input {i} "
                             f"has shape {x.shape}")
    return grads


def _or_zeros(g, x):
    if g is not None:
        return g
    from . import ops
    return ops.zeros(x.shape)
