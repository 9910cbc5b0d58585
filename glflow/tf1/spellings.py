"""The TensorFlow 1 spellings glflow's own ops lack: names, argument names and defaults as
TensorFlow has them, each a thin adapter over glflow ops (or a graph builder), so a TF1
program runs with `import glflow as tf`.

Where glflow already has the TensorFlow name (matmul, cast, equal, identity, zeros, ones,
random_normal, reshape, ...) the glflow op is used as it is. Op-like spellings here are
`dispatchable`: eager calls run now, and while a TF1 graph is built they record one operation.
Graph builders (placeholder, group, no_op) make operations directly.

Two names differ between glflow and TF1, and both forms are here: glflow's `argmax(x)` without
an axis indexes the flattened tensor and its `range` makes float32, while TF1's `argmax` takes
axis 0 and `range` infers int32 from ints (`argmax_v1`, `range_v1`: `gf.compat.v1` has them
under the TF names).
"""
import numbers
from math import prod

import numpy as np

from .. import ops
from ..ops import _core
from ..runtime import dtypes
from ..runtime.dispatch import dispatchable
from ..tensor import Tensor
from .graph import FEED, GRAPH, GroupOp, Operation, building_graph, get_default_graph
from .shapes import TensorShape
from . import variables
from .variables import as_graph_tensor

# TensorFlow's 64-bit names: glflow stores int32 and float32 (values out of the int32 range
# are refused where they are converted, as every int32 conversion is).
int64 = "int64"
float64 = "float64"
float16 = "float16"
uint8 = "uint8"


# --------------------------------------------------------------------------- graph builders

class PlaceholderOp(Operation):
    def __init__(self, graph, dtype, shape, name):
        super().__init__(graph, "Placeholder", name, (), (), [(shape, dtype)], FEED)


class PlaceholderWithDefaultOp(Operation):
    def __init__(self, graph, default, shape, name):
        super().__init__(graph, "PlaceholderWithDefault", name, [default], (),
                         [(shape, default.dtype)], GRAPH)

    def replay(self, ctx):
        return [ctx.value(self.inputs[0])]


def _graph():
    return building_graph() or get_default_graph()


def placeholder(dtype, shape=None, name=None):
    """A tensor whose value each run feeds (`feed_dict={x: values}`); None dims take any size.
    Outside a `with graph.as_default()` block it joins the default graph (TF1's behaviour)."""
    dtype = dtypes.normalize(dtype, "placeholder")
    return PlaceholderOp(_graph(), dtype, TensorShape(shape), name or "Placeholder").outputs[0]


def placeholder_with_default(input, shape, name=None):  # noqa: A002 - TensorFlow's name
    """A placeholder that takes `input`'s value when a run does not feed it."""
    graph = _graph()
    default = as_graph_tensor(graph, input, None, "placeholder_with_default")
    shape = TensorShape(shape)
    if not shape.is_compatible_with(default.shape):
        raise ValueError(f"placeholder_with_default: the default's shape {default.shape} does "
                         f"not fit shape {shape}")
    return PlaceholderWithDefaultOp(graph, default, shape,
                                    name or "PlaceholderWithDefault").outputs[0]


def group(*inputs, name=None):
    """An operation that runs all of `inputs` (operations, tensors, or lists of them)."""
    graph = _graph()
    flat = []
    for x in inputs:
        flat.extend(x if isinstance(x, (list, tuple)) else [x])
    control = graph.current_control_inputs() + [graph._control_op(x) for x in flat]
    return GroupOp(graph, list(dict.fromkeys(control)), name or "group_deps")


def no_op(name=None):
    """An operation that does nothing (with control_dependencies: waits for them)."""
    graph = _graph()
    return GroupOp(graph, graph.current_control_inputs(), name or "NoOp")


# --------------------------------------------------------------------------- Variables

def assign(ref, value, validate_shape=None, use_locking=None, name=None):
    """ref <- value: a graph Variable's assign op; for an eager Variable, an assign op when a
    graph is built or value is a graph tensor, else the assignment now."""
    return _assign(ref, value, "=", name)


def assign_add(ref, value, use_locking=None, name=None):
    return _assign(ref, value, "+", name)


def assign_sub(ref, value, use_locking=None, name=None):
    return _assign(ref, value, "-", name)


def _assign(ref, value, mode, name):
    if getattr(ref, "_tf1_variable", False):
        return variables.assign_op(ref, value, mode, name)
    graph = building_graph() or getattr(value, "graph", None)
    if graph is not None and isinstance(ref, Tensor) and ref._is_variable:
        return variables.assign_op(ref, value, mode, name, graph)
    method = {"=": ref.assign, "+": ref.assign_add, "-": ref.assign_sub}[mode]
    return method(value)


# --------------------------------------------------------------------------- values and shapes

@dispatchable
def constant(value, dtype=None, shape=None, name="Const", verify_shape=False):
    """A tensor of `value`; with `shape`, a scalar is repeated and a list is reshaped."""
    array = _core.to_numpy(value, "constant", dtype)
    if shape is not None:
        shape = _core.check_shape(shape, "constant")
        if array.size == 1 and not verify_shape:
            array = np.full(shape, array.reshape(()), array.dtype)
        elif array.size == prod(shape) and not verify_shape:
            array = array.reshape(shape)
        elif tuple(array.shape) != shape:
            raise ValueError(f"constant: {array.size} values cannot fill shape {list(shape)}")
    return _core.from_numpy(array, "constant")


@dispatchable
def shape(input, name=None, out_type="int32"):  # noqa: A002 - TensorFlow's name
    """The shape of `input` as an int32 tensor (its dims in this run)."""
    (x,) = _core.tensors("shape", input)
    return ops.tensor(np.asarray(x._shape, np.int32), dtype=dtypes.INT32)


@dispatchable
def size(input, name=None, out_type="int32"):  # noqa: A002 - TensorFlow's name
    (x,) = _core.tensors("size", input)
    return ops.scalar(prod(x._shape), dtype=dtypes.INT32)


@dispatchable
def rank(input, name=None):  # noqa: A002 - TensorFlow's name
    (x,) = _core.tensors("rank", input)
    return ops.scalar(len(x._shape), dtype=dtypes.INT32)


@dispatchable
def to_float(x, name="ToFloat"):
    return ops.cast(x, dtypes.FLOAT32)


@dispatchable
def to_int32(x, name="ToInt32"):
    return ops.cast(x, dtypes.INT32)


# --------------------------------------------------------------------------- arithmetic names

@dispatchable
def multiply(x, y, name=None):
    return ops.mul(x, y)


@dispatchable
def subtract(x, y, name=None):
    return ops.sub(x, y)


@dispatchable
def divide(x, y, name=None):
    return ops.div(x, y)


truediv = realdiv = divide


@dispatchable
def div(x, y, name=None):
    """TF1's div: floor division for two integer tensors, true division otherwise."""
    x, y = _core.tensors("div", x, y)
    if x._dtype == dtypes.INT32 and y._dtype == dtypes.INT32:
        return ops.floor_div(x, y)
    return ops.div(x, y)


@dispatchable
def floordiv(x, y, name=None):
    return ops.floor_div(x, y)


@dispatchable
def negative(x, name=None):
    return ops.neg(x)


# --------------------------------------------------------------------------- reductions

def _axis(op, axis, reduction_indices):
    if reduction_indices is not None:
        if axis is not None:
            raise ValueError(f"{op}: give axis or reduction_indices, not both")
        return reduction_indices
    return axis


def _keepdims(op, keepdims, keep_dims):
    if keep_dims is not None:
        if keepdims is not None:
            raise ValueError(f"{op}: give keepdims or keep_dims, not both")
        return bool(keep_dims)
    return bool(keepdims)


def _reduction(reduce, tf_name):
    def reduction(input_tensor, axis=None, keepdims=None, name=None, reduction_indices=None,
                  keep_dims=None):
        return reduce(input_tensor, _axis(tf_name, axis, reduction_indices),
                      _keepdims(tf_name, keepdims, keep_dims))
    reduction.__name__ = reduction.__qualname__ = tf_name
    reduction.__doc__ = (f"TensorFlow's {tf_name}: glflow's {reduce.__name__} over `axis` "
                         "(reduction_indices, keep_dims: TF1's older names).")
    return dispatchable(reduction)


reduce_sum = _reduction(ops.sum, "reduce_sum")
reduce_mean = _reduction(ops.mean, "reduce_mean")
reduce_max = _reduction(ops.max, "reduce_max")
reduce_min = _reduction(ops.min, "reduce_min")
reduce_prod = _reduction(ops.prod, "reduce_prod")
reduce_any = _reduction(ops.any, "reduce_any")
reduce_all = _reduction(ops.all, "reduce_all")
reduce_logsumexp = _reduction(ops.logsumexp, "reduce_logsumexp")


def _index_type(op, output_type):
    if dtypes.normalize(output_type, op) != dtypes.INT32:
        raise TypeError(f"{op}: output_type must be an integer type, got {output_type!r}")


@dispatchable
def argmax(x, axis=None, keepdims=False, output_type="int32", dimension=None, name=None):
    """glflow's argmax (axis None: of the flattened tensor) with TensorFlow's output_type
    (int32 or int64; the indices are int32) and its older `dimension` name."""
    _index_type("argmax", output_type)
    return ops.argmax(x, _axis("argmax", axis, dimension), keepdims)


@dispatchable
def argmin(x, axis=None, keepdims=False, output_type="int32", dimension=None, name=None):
    _index_type("argmin", output_type)
    return ops.argmin(x, _axis("argmin", axis, dimension), keepdims)


@dispatchable
def argmax_v1(input, axis=None, name=None, dimension=None, output_type="int64"):  # noqa: A002
    """TF1's argmax: axis None means axis 0."""
    _index_type("argmax", output_type)
    axis = _axis("argmax", axis, dimension)
    return ops.argmax(input, 0 if axis is None else axis)


@dispatchable
def argmin_v1(input, axis=None, name=None, dimension=None, output_type="int64"):  # noqa: A002
    _index_type("argmin", output_type)
    axis = _axis("argmin", axis, dimension)
    return ops.argmin(input, 0 if axis is None else axis)


@dispatchable
def range_v1(start, limit=None, delta=1, dtype=None, name="range"):
    """TF's range: int32 when start, limit and delta are ints, else float32."""
    if limit is None:
        start, limit = 0, start
    if dtype is None:
        ints = all(isinstance(v, numbers.Integral) and not isinstance(v, Tensor)
                   for v in (start, limit, delta))
        dtype = dtypes.INT32 if ints else dtypes.FLOAT32
    return ops.range(start, limit, delta, dtype=dtype)


# --------------------------------------------------------------------------- clipping

@dispatchable
def clip_by_norm(t, clip_norm, axes=None, name=None):
    """t * clip_norm / max(||t||, clip_norm) (the L2 norm over `axes`, all by default)."""
    (t,) = _core.tensors("clip_by_norm", t)
    norm = ops.sqrt(ops.sum(ops.square(t), axis=axes, keepdims=True))
    return ops.div(ops.mul(t, clip_norm), ops.maximum(norm, clip_norm))


@dispatchable
def global_norm(t_list, name=None):
    """sqrt(sum of every tensor's squared L2 norm); None entries are skipped."""
    terms = [ops.sum(ops.square(t)) for t in t_list if t is not None]
    if not terms:
        raise ValueError("global_norm: t_list holds no tensors")
    return ops.sqrt(ops.add_n(terms) if len(terms) > 1 else terms[0])


@dispatchable
def clip_by_global_norm(t_list, clip_norm, use_norm=None, name=None):
    """(clipped tensors, global norm): each t * clip_norm / max(global_norm, clip_norm)."""
    t_list = list(t_list)
    norm = global_norm.raw(t_list) if use_norm is None else use_norm
    scale = ops.div(clip_norm, ops.maximum(norm, clip_norm))
    return [None if t is None else ops.mul(t, scale) for t in t_list], norm


__all__ = ["placeholder", "placeholder_with_default", "group", "no_op", "assign",
           "assign_add", "assign_sub", "constant", "shape", "size", "rank", "to_float",
           "to_int32", "multiply", "subtract", "divide", "truediv", "realdiv", "div",
           "floordiv", "negative", "reduce_sum", "reduce_mean", "reduce_max", "reduce_min",
           "reduce_prod", "reduce_any", "reduce_all", "reduce_logsumexp", "argmax", "argmin",
           "clip_by_norm", "global_norm", "clip_by_global_norm", "int64", "float64", "float16",
           "uint8"]
