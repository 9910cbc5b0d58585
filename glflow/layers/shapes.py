"""What a built layer accepts (InputSpec) and small helpers on shape tuples, where None
marks an unknown size (usually the batch)."""
import numpy as np

from ..tensor import Tensor
from .node import KerasTensor


class InputSpec:
    """What a built layer accepts: rank (ndim / min_ndim / max_ndim) and sizes of given axes."""

    def __init__(self, ndim=None, min_ndim=None, max_ndim=None, axes=None):
        self.ndim = ndim
        self.min_ndim = min_ndim
        self.max_ndim = max_ndim
        self.axes = dict(axes or {})

    def check(self, layer, index, shape):
        rank = len(shape)
        where = f"{type(layer).__name__} layer {layer.name!r}: input {index}"
        if self.ndim is not None and rank != self.ndim:
            raise ValueError(f"{where} must have rank {self.ndim}, got shape {show(shape)}")
        if self.min_ndim is not None and rank < self.min_ndim:
            raise ValueError(f"{where} must have rank >= {self.min_ndim}, got shape {show(shape)}")
        if self.max_ndim is not None and rank > self.max_ndim:
            raise ValueError(f"{where} must have rank <= {self.max_ndim}, got shape {show(shape)}")
        for axis, size in self.axes.items():
            if size is None or not -rank <= axis < rank:
                continue
            got = shape[axis]
            if got is not None and got != size:
                raise ValueError(f"{where} has shape {show(shape)}, but the layer was built for "
                                 f"size {size} on axis {axis}")


def show(shape):
    return "[" + ", ".join("None" if d is None else str(d) for d in shape) + "]"


def shape_of(x):
    """Shape tuple of a Tensor, KerasTensor or array; nested structures give nested lists."""
    if isinstance(x, (Tensor, KerasTensor)):
        return tuple(x.shape)
    if isinstance(x, (list, tuple)):
        return [shape_of(v) for v in x]
    if isinstance(x, dict):
        return {k: shape_of(v) for k, v in x.items()}
    return tuple(np.shape(x))


def first_shape(shape):
    return shape if isinstance(shape, tuple) else (flatten_shapes(shape) or [None])[0]


def flatten_shapes(shapes):
    if isinstance(shapes, tuple):
        return [shapes]
    if isinstance(shapes, dict):
        shapes = list(shapes.values())
    return [s for item in shapes for s in flatten_shapes(item)]


def map_shapes(fn, shapes):
    if isinstance(shapes, tuple):
        return fn(shapes)
    if isinstance(shapes, dict):
        return {k: map_shapes(fn, v) for k, v in shapes.items()}
    return [map_shapes(fn, s) for s in shapes]
