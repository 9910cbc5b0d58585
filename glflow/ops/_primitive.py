"""Primitives: the one place where kernels launch and where the gradient tape records.

A primitive is a registered kernel plus its gradient, defined side by side in
`glflow/ops/<family>.py`:

    def _mul_grad(call, dy):
        a, b = call.inputs
        return sum_to_shape(mul(dy, b), a._shape), sum_to_shape(mul(dy, a), b._shape)

    MUL = Primitive("mul", "arithmetic", ELEMENTWISE, grad=_mul_grad)
    ...
    y = MUL.run([a, b], out_shape, out_dtype)

Every op is a composition of primitive runs, so a primitive run is the whole vocabulary the
backends, the tape and graph mode see. Each run is one `Call` as data (primitive, inputs,
attrs, outputs): the tape keeps the calls that depend on a watched tensor and walks them
backwards; graph mode's tracer turns them into graph nodes instead of launching them.

The gradient function gets the Call and dy (a list of dys for a several-output primitive) and
returns one gradient per input, None where there is none. A primitive made with
`takes_needs=True` also gets `call.needs`: which input gradients the tape will use, so conv2d
and matmul skip the costly ones nobody wants (a model's data batch).
"""
from ..runtime import registry, state
from ..runtime.registry import ELEMENTWISE, INJECTIVE, OPAQUE, OUTPUT_FUSABLE, REDUCE  # noqa: F401
from ..tensor import Storage, Tensor

NO_ATTRS = {}  # shared by every call without attributes; never written
_thread = state.thread


class Call:
    """One primitive run: what the tape records and graph mode traces."""
    __slots__ = ("prim", "inputs", "attrs", "outputs", "needs")

    def __init__(self, prim, inputs, attrs, outputs):
        self.prim = prim
        self.inputs = inputs
        self.attrs = attrs
        self.outputs = outputs
        self.needs = None

    @property
    def output(self):
        return self.outputs[0]

    def __repr__(self):
        shapes = ", ".join(str(list(t._shape)) for t in self.inputs)
        return f"Call({self.prim.name}({shapes}) -> {[list(o._shape) for o in self.outputs]})"


class Primitive:
    """A kernel with its gradient. `run` launches it on the active backend (or hands it to
    graph mode's tracer) and records it on the active gradient tapes."""
    __slots__ = ("name", "kernel", "grad", "takes_needs", "n_outputs", "alias", "unbroadcast",
                 "hidden", "_pattern")

    def __init__(self, name, family=None, pattern=None, grad=None, kernel=None, params=(),
                 requires=(), outputs=1, takes_needs=False, alias=False, unbroadcast=False,
                 hidden=()):
        """A primitive runs the kernel of its own name, registered here with its family and
        pattern, or an existing `kernel` under other attributes and another gradient
        (transpose and slice both run the `identity` kernel through a view)."""
        self.name = name
        self._pattern = pattern
        if kernel is None and not alias:
            registry.register(name, family, pattern, params=params,
                              differentiable=grad is not None, requires=requires)
            kernel = name
        self.kernel = kernel
        self.grad = grad
        self.takes_needs = takes_needs
        self.n_outputs = outputs
        # An alias primitive (reshape) makes no new data: its output shares input 0's
        # storage, so it never reaches a backend.
        self.alias = alias
        # The gradient may come back in the output's (broadcast) shape; the tape sums it to
        # each input's shape (numpy broadcasting's rule for gradients).
        self.unbroadcast = unbroadcast
        # attrs kept for the gradient only (the host copy of gather's indices, matmul's
        # transpose flags): recorded with the call, never passed to the kernel
        self.hidden = frozenset(hidden)

    def __repr__(self):
        return f"Primitive({self.name!r})"

    @property
    def pattern(self):
        """How graph mode may fuse it (runtime/registry.py): the kernel's pattern unless
        given (a view read through the identity kernel is INJECTIVE, not elementwise)."""
        return self._pattern or registry.get(self.kernel).pattern

    def run(self, inputs, out_shape, dtype, attrs=NO_ATTRS):
        """Run on tensors already validated by the op; returns the output tensor. A primitive
        with several outputs takes a tuple of output shapes and returns a list of tensors."""
        tracer = _thread.tracer
        if tracer is not None:
            return tracer.call(self, inputs, out_shape, dtype, attrs)
        if self.alias:
            out = inputs[0]._alias(out_shape)
            outputs = [out]
        else:
            kernel_attrs = attrs
            if self.hidden:
                kernel_attrs = {k: v for k, v in attrs.items() if k not in self.hidden}
            if self.n_outputs == 1:
                out = launch(self.kernel, inputs, tuple(out_shape), dtype, kernel_attrs)
                outputs = [out]
            else:
                out = outputs = launch_many(self.kernel, inputs, out_shape, dtype, kernel_attrs)
        if _thread.tapes and not _thread.paused:
            record(Call(self, inputs, attrs, outputs))
        return out


def launch(kernel, inputs, out_shape, dtype, attrs=NO_ATTRS):
    """Run `kernel` on the active backend and wrap what it made (no recording)."""
    b = state.current or state.backend()
    return Tensor.wrap(b.run(kernel, _handles(inputs, b), out_shape, dtype, attrs), out_shape,
                       dtype, b)


def launch_many(kernel, inputs, out_shapes, dtype, attrs=NO_ATTRS):
    """launch() for a kernel with several outputs, one shape each (the backend gets the tuple
    of shapes and returns a tuple of handles)."""
    b = state.current or state.backend()
    out_shapes = tuple(tuple(s) for s in out_shapes)
    handles = b.run(kernel, _handles(inputs, b), out_shapes, dtype, attrs)
    return [Tensor.wrap(h, s, dtype, b) for h, s in zip(handles, out_shapes)]


def _handles(inputs, b):
    args = []
    for t in inputs:
        st = t._storage
        if st is None or st.backend is not b:  # disposed, or made on the other backend
            st = _storage_on(t, b)
        args.append((st.handle, t._shape))
    return args


def _storage_on(t, b):
    """The tensor's storage on backend b: a tensor made before set_backend moves once."""
    st = t._live_storage("op")
    if st.backend is b:
        return st
    handle = b.upload(t.numpy())
    st = Storage(b, handle, st.nbytes)
    t._storage = st
    return st


def record(call):
    """Offer a call to every active tape (each keeps it if it depends on a watched tensor)."""
    for tape in _thread.tapes:
        tape.add(call)


def recording():
    return bool(_thread.tapes) and not _thread.paused

