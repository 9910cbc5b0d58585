"""Input signatures: what decides whether gf.function can reuse a traced graph.

A call's arguments (positional and keyword, nested lists, tuples and dicts) are walked once:
- a Tensor, or a numpy array (converted to one), is a graph input: it contributes its shape and
  dtype, never its values;
- a Variable is captured by reference: its identity counts, its values are read at run time;
- a Python bool, int, float, str or None counts by value (`training=True` and `training=False`
  trace two graphs; so does `n=3` after `n=2`: pass tensors for values that change often);
- any other object counts by identity (a layer, a model), and is kept alive by the cache.
"""
import numbers

import numpy as np

from ..ops import _core
from ..tensor import Tensor

TENSOR, VARIABLE, VALUE, OBJECT, LIST, TUPLE, DICT = "T", "V", "S", "O", "L", "U", "D"


class Signature:
    """The key of one call, its tensor leaves (to feed) and how to rebuild the arguments."""
    __slots__ = ("key", "tensors", "keep")

    def __init__(self, key, tensors, keep):
        self.key = key
        self.tensors = tensors
        self.keep = keep


def of_call(args, kwargs, op):
    """The Signature of f(*args, **kwargs)."""
    tensors, keep = [], []
    key = (_key((tuple(args), kwargs), tensors, keep, op),)
    return Signature(key, tensors, keep)


def _key(obj, tensors, keep, op):
    if isinstance(obj, Tensor):
        if obj._is_variable:
            keep.append(obj)
            return (VARIABLE, id(obj))
        obj._live_storage(op)
        tensors.append(obj)
        return (TENSOR, obj._shape, obj._dtype)
    if isinstance(obj, np.ndarray):
        t = _core.convert(obj, op)
        tensors.append(t)
        return (TENSOR, t._shape, t._dtype)
    if obj is None or isinstance(obj, (bool, str, bytes)):
        return (VALUE, type(obj).__name__, obj)
    if isinstance(obj, numbers.Number):
        return (VALUE, type(obj).__name__, obj if obj == obj else repr(obj))
    if isinstance(obj, list):
        return (LIST,) + tuple(_key(v, tensors, keep, op) for v in obj)
    if isinstance(obj, tuple):
        return (TUPLE,) + tuple(_key(v, tensors, keep, op) for v in obj)
    if isinstance(obj, dict):
        items = sorted(obj.items(), key=lambda kv: repr(kv[0]))
        return (DICT,) + tuple((repr(k), _key(v, tensors, keep, op)) for k, v in items)
    keep.append(obj)
    return (OBJECT, id(obj))


def input_template(obj):
    """The arguments with each graph-input leaf (a Tensor that is no Variable, a numpy array)
    replaced by its index: fill_template puts the next call's tensors back."""
    count = [0]

    def walk(o):
        if (isinstance(o, Tensor) and not o._is_variable) or isinstance(o, np.ndarray):
            count[0] += 1
            return _Slot(count[0] - 1)
        if isinstance(o, list):
            return [walk(v) for v in o]
        if isinstance(o, tuple):
            items = [walk(v) for v in o]
            return type(o)(*items) if hasattr(o, "_fields") else tuple(items)
        if isinstance(o, dict):  # in _key's order, so slot i is signature tensor i
            walked = {k: walk(v) for k, v in sorted(o.items(), key=lambda kv: repr(kv[0]))}
            return {k: walked[k] for k in o}
        return o
    return walk(obj)


def output_template(result):
    """(template, tensors): the result with each Tensor replaced by its index in `tensors`."""
    tensors = []

    def walk(obj):
        if isinstance(obj, Tensor):
            tensors.append(obj)
            return _Slot(len(tensors) - 1)
        if isinstance(obj, list):
            return [walk(v) for v in obj]
        if isinstance(obj, tuple):
            items = [walk(v) for v in obj]
            return type(obj)(*items) if hasattr(obj, "_fields") else tuple(items)
        if isinstance(obj, dict):
            return {k: walk(v) for k, v in obj.items()}
        return obj
    return walk(result), tensors


def fill_template(template, values):
    if isinstance(template, _Slot):
        return values[template.index]
    if isinstance(template, list):
        return [fill_template(v, values) for v in template]
    if isinstance(template, tuple):
        items = [fill_template(v, values) for v in template]
        return type(template)(*items) if hasattr(template, "_fields") else tuple(items)
    if isinstance(template, dict):
        return {k: fill_template(v, values) for k, v in template.items()}
    return template


class _Slot:
    __slots__ = ("index",)

    def __init__(self, index):
        self.index = index
