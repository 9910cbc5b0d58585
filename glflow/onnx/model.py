"""A loaded ONNX model: a Python function of glflow ops, called with numpy arrays or tensors.

    m = gf.onnx.load("model.onnx")
    y = m(x)                        # or m(x1, x2), or m({"input": x}); tensors out
    ys = m.run({"input": x})        # numpy arrays out, in the ONNX output dtypes
    m.inputs, m.outputs             # Ports: name, shape (symbolic dims kept), dtype
    m.function(*tensors)            # the bare function of glflow ops (what graph mode traces)
    m.compiled, m.eager_reason      # calls run compiled, or why they run eagerly

A call checks every input (names, dtypes, ranks, static dims, and that a symbolic dim has
one size across inputs) before any GPU work, then runs inside a tidy, so a call that fails
leaves nothing allocated. It runs compiled (`m.compiled`): through a gf.function over
`m.function`, traced once per input shape signature, optimised, fused and replayed
(compiled.py) when the plan allows it, decided at load time; otherwise (`m.eager_reason`
says why, or `load(..., compile=False)`) the plan's steps run one by one.
"""
import numbers
from collections import ChainMap

import numpy as np

from .. import ops
from ..runtime import state
from ..tensor import Tensor, keep, tidy
from . import compiled, control, convert, types
from .errors import where


HOST_CACHE_SIZE = 64  # distinct input shapes whose host values a model keeps


class OnnxModel:
    """The callable that `glflow.onnx.load` returns."""

    def __init__(self, model_proto, compile=True):
        # the plan keeps what a call needs (constants as numpy arrays); the proto is not kept
        self._plan = convert.build(model_proto)
        self._device_constants = {}  # backend name -> {constant name: Tensor}
        self._host_values = {}  # input shapes -> the host steps' values (plan.shape_pure)
        # constants are uploaded once, now: one glflow cannot hold fails at load time
        self._constants_on_device()
        # None when calls run compiled; else why they run eagerly (decided from the plan)
        self.eager_reason = compiled.eager_reason(self._plan) if compile else \
            "compile=False was asked"
        self._compiled = None if self.eager_reason else compiled.CompiledCall(
            self._execute, [p.name for p in self._plan.inputs], "onnx_model")

    @property
    def compiled(self):
        """Whether calls run through graph mode (see `eager_reason` when they do not)."""
        return self._compiled is not None

    @property
    def graph_function(self):
        """The gf.function compiled calls go through on the active backend (its `graph`,
        `trace_count`, `summary()`); None for a model that runs eagerly."""
        return None if self._compiled is None else self._compiled.function()

    @property
    def inputs(self):
        return list(self._plan.inputs)

    @property
    def outputs(self):
        return list(self._plan.outputs)

    def __repr__(self):
        return f"OnnxModel(inputs={self.inputs}, outputs={self.outputs}, " \
               f"compiled={self.compiled})"

    # ------------------------------------------------------------------ calling
    def __call__(self, *args):
        """Run on numpy arrays or tensors; one output comes back as a Tensor, several as a
        tuple of Tensors in the graph's output order."""
        feeds = self._feeds(args)
        outs = tidy(lambda: [_as_tensor(v, p) for v, p in zip(self._values(feeds),
                                                              self._plan.outputs)])
        return outs[0] if len(outs) == 1 else tuple(outs)

    def run(self, inputs):
        """Run on a dict {name: array} (or a list in input order); a list of numpy arrays in
        the ONNX output dtypes comes back (as onnxruntime's InferenceSession.run does)."""
        if isinstance(inputs, dict):
            feeds = self._feeds((inputs,))
        else:
            feeds = self._feeds(tuple(inputs))

        def body():
            return [_as_numpy(v, p) for v, p in zip(self._values(feeds), self._plan.outputs)]
        return tidy(body)

    def function(self, *inputs):
        """The model as a plain function of tensors: one Tensor per graph input (in the order
        of `inputs`) in, a list of Tensors (one per output) out; no argument checks, no tidy.
        This is what graph mode traces: glflow ops, plus host steps on shapes."""
        feeds = dict(zip((p.name for p in self._plan.inputs), inputs))
        return [_as_tensor(v, p) for v, p in zip(self._execute(feeds), self._plan.outputs)]

    # ------------------------------------------------------------------ inputs
    def _feeds(self, args):
        ports = self._plan.inputs
        if len(args) == 1 and isinstance(args[0], dict):
            given = dict(args[0])
            unknown = [k for k in given if k not in {p.name for p in ports}]
            if unknown:
                raise ValueError(f"onnx model: unknown input {unknown[0]!r}; the inputs are "
                                 f"{[p.name for p in ports]}")
        else:
            if len(args) > len(ports):
                raise ValueError(f"onnx model: {len(args)} inputs given, the model takes "
                                 f"{len(ports)} ({[p.name for p in ports]})")
            given = {p.name: a for p, a in zip(ports, args)}
        missing = [p for p in ports if p.name not in given]
        if missing:
            raise ValueError(f"onnx model: missing input {missing[0].name!r} "
                             f"({_describe(missing[0])})")
        feeds, bound = {}, {}
        for p in ports:
            feeds[p.name] = _check_input(p, given[p.name], bound)
        return feeds

    # ------------------------------------------------------------------ running
    def _values(self, feeds):
        """One value per graph output for checked feeds (run inside the caller's tidy)."""
        if self._compiled is None:
            return self._execute(feeds)
        # the traced graph's inputs are tensors, uploaded as the eager steps upload them
        tensors = [v if isinstance(v, Tensor) else _upload(v, f"onnx input {name!r}")
                   for name, v in feeds.items()]
        return self._compiled.run(tensors)

    def _constants_on_device(self):
        name = state.get_backend()
        on = self._device_constants.get(name)
        if on is None:
            on = {}
            for c in self._plan.device_constants:
                value = self._plan.constants[c]
                if isinstance(value, np.ndarray):  # not a constant sequence or None
                    on[c] = keep(_upload(value, f"onnx constant {c!r}"))
            self._device_constants[name] = on
        return on

    def _execute(self, feeds):
        plan = self._plan
        on_device = self._constants_on_device()
        values = dict(plan.constants)
        values.update(feeds)
        key = _signature(feeds.values()) if plan.shape_pure else None
        known = self._host_values.get(key) if key is not None else None
        if known is not None:  # the shape arithmetic of these input shapes, done before
            values.update(known)
        _run_steps(plan.steps, values, on_device, skip_host=known is not None)
        if key is not None and known is None:
            if len(self._host_values) >= HOST_CACHE_SIZE:
                self._host_values.clear()
            self._host_values[key] = {n: values[n] for n in plan.host}
        return [values[p.name] for p in plan.outputs]


def _signature(values):
    """The input shapes a call's host values depend on (sequences: their lengths too)."""
    return tuple(None if v is None else
                 ("seq",) + _signature(v) if isinstance(v, list) else tuple(v.shape)
                 for v in values)


def _run_steps(steps, values, on_device, skip_host=False):
    for step in steps:
        if isinstance(step, convert.DeviceStep):
            results = _run_device(step, values, on_device)
        elif isinstance(step, control.ControlStep):
            results = step.run(values, _body_runner(values, on_device))
        elif not skip_host:
            results = step.run(values)
        else:
            continue
        for name, value in zip(step.outputs, results):
            if name:
                values[name] = value


def _body_runner(values, on_device):
    """Runs a subgraph's plan in a scope of its own that sees the enclosing values."""
    def run_body(plan, feeds):
        scope = ChainMap(dict(feeds), values)
        _run_steps(plan.steps, scope, on_device)
        return [scope[p.name] for p in plan.outputs]
    return run_body


def _run_device(step, values, on_device):
    args = []
    for i, name in enumerate(step.inputs):
        if not name:
            args.append(None)
        elif i in step.host:
            v = values[name]
            # traced: a device value the mapping takes as a tensor (its checks become HOST
            # nodes); eager calls read it back as ever
            args.append(v if i in step.traced and isinstance(v, Tensor) and v._symbolic
                        else _host(v))
        elif name in on_device:
            args.append(on_device[name])
        else:
            what = f"onnx {where(step.node)} input {name!r}"
            v = values[name]
            if isinstance(v, list):  # a sequence: its elements as tensors
                args.append([e if isinstance(e, Tensor) else _upload(e, what) for e in v])
            else:
                args.append(v if isinstance(v, Tensor) or v is None else _upload(v, what))
    out = step.fn(step.info, *args)
    return out if isinstance(out, tuple) else (out,)  # a list is one value: a sequence


def _host(value):
    """A value an op needs on the host (a shape, bounds, a count). A value the GPU computed
    is read back here, which waits for the GPU: the one place a call reads a tensor."""
    if isinstance(value, Tensor):
        array = value.numpy()
        return array.astype(np.int64) if array.dtype == np.int32 else array
    return value


def _upload(array, what):
    kind = types.array_kind(array)
    if kind == "float":
        array = np.asarray(array, np.float32)
    elif kind == "other":
        raise TypeError(f"{what}: values of dtype {array.dtype} have no glflow dtype")
    return ops.convert(array, what, {"float": "float32", "int": "int32", "bool": "bool"}[kind])


def _check_input(port, value, bound):
    """The value as a numpy array or Tensor after checking its dtype and shape (a list of
    them for a sequence; None for an empty optional)."""
    if port.kind.startswith("optional") and value is None:
        return None
    if port.kind.endswith("sequence"):
        if not isinstance(value, (list, tuple)):
            raise TypeError(f"onnx model: input {port.name!r} is a sequence: give a list of "
                            f"arrays, got {type(value).__name__}")
        return [_check_input(_element(port), v, {}) for v in value]
    if isinstance(value, Tensor):
        value._live_storage(f"onnx input {port.name!r}")
        kind = {"float32": "float", "int32": "int", "bool": "bool"}[value.dtype]
    else:
        if isinstance(value, (str, bytes)):
            raise TypeError(f"onnx model: input {port.name!r} must be an array, got a string")
        value = np.asarray(value)
        kind = types.array_kind(value)
        if kind == "float" and port.elem_type and types.kind(port.elem_type) == "float":
            value = value.astype(types.numpy_dtype(port.elem_type), copy=False)
    want = types.kind(port.elem_type) if port.elem_type else None
    if want is not None and kind != want:
        raise TypeError(f"onnx model: input {port.name!r} must hold {want} values "
                        f"({types.name(port.elem_type)}), got dtype {value.dtype}")
    if port.shape is not None:
        shape = tuple(value.shape)
        if len(shape) != len(port.shape) or any(
                isinstance(d, numbers.Integral) and d != s for d, s in zip(port.shape, shape)):
            raise ValueError(f"onnx model: input {port.name!r} must have shape "
                             f"{_dims(port.shape)}, got {list(shape)}")
        for d, s in zip(port.shape, shape):
            if isinstance(d, str) and d not in ("", "?"):  # '?': unknown, by convention
                if bound.setdefault(d, (s, port.name))[0] != s:
                    first = bound[d]
                    raise ValueError(f"onnx model: dimension {d!r} is {first[0]} in input "
                                     f"{first[1]!r} but {s} in input {port.name!r}")
    return value


def _element(port):
    return type(port)(port.name, port.shape, port.elem_type)


def _dims(shape):
    return "[" + ", ".join("?" if d is None else str(d) for d in shape) + "]"


def _describe(port):
    shape = "unknown shape" if port.shape is None else f"shape {_dims(port.shape)}"
    return f"{types.name(port.elem_type) if port.elem_type else 'unknown type'}, {shape}"


def _as_tensor(value, port):
    if isinstance(value, list):
        return [_as_tensor(v, port) for v in value]
    if isinstance(value, Tensor) or value is None:
        return value
    return _upload(np.asarray(value), f"onnx output {port.name!r}")


def _as_numpy(value, port):
    if isinstance(value, list):
        return [_as_numpy(v, port) for v in value]
    if value is None:
        return None
    array = value.numpy() if isinstance(value, Tensor) else np.asarray(value)
    if port.elem_type and port.elem_type in types.SUPPORTED:
        array = array.astype(types.numpy_dtype(port.elem_type), copy=False)
    return array
