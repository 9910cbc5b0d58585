"""Merge layers: combine a list of inputs. Add, Subtract, Multiply, Average, Maximum, Minimum
(elementwise, shapes broadcast) and Concatenate (along one axis)."""
from .. import ops
from .base import Layer
from .shapes import show


def _broadcast(layer, shapes):
    """The broadcast of per-sample shapes (None matches anything), or a clear error."""
    rank = max(len(s) for s in shapes)
    out = []
    for i in range(rank):
        dims = [s[len(s) - rank + i] for s in shapes if len(s) - rank + i >= 0]
        known = {d for d in dims if d is not None and d != 1}
        if len(known) > 1:
            raise ValueError(f"{type(layer).__name__} layer {layer.name!r}: input shapes "
                             f"{', '.join(show(s) for s in shapes)} cannot be combined")
        if known:
            out.append(known.pop())
        else:
            out.append(None if any(d is None for d in dims) else 1)
    return tuple(out)


class _Merge(Layer):
    def _check_list(self, input_shape):
        if not isinstance(input_shape, list) or len(input_shape) < 2 or not all(
                isinstance(s, tuple) for s in input_shape):
            raise ValueError(f"{type(self).__name__} layer {self.name!r}: expects a list of at "
                             f"least 2 inputs, got input shape {input_shape}")

    def build(self, input_shape):
        self._check_list(input_shape)
        _broadcast(self, input_shape)

    def compute_output_shape(self, input_shape):
        self._check_list(input_shape)
        return _broadcast(self, input_shape)

    def call(self, inputs):
        shapes = ([tuple(t.shape) for t in inputs] if isinstance(inputs, (list, tuple))
                  else tuple(inputs.shape))
        self._check_list(shapes)
        _broadcast(self, shapes)
        out = inputs[0]
        for x in inputs[1:]:
            out = self._combine(out, x)
        return self._finish(out, len(inputs))

    def _finish(self, out, n):
        return out


class Add(_Merge):
    def _combine(self, a, b):
        return ops.add(a, b)


class Subtract(_Merge):
    def build(self, input_shape):
        super().build(input_shape)
        if len(input_shape) != 2:
            raise ValueError(f"Subtract layer {self.name!r}: expects exactly 2 inputs, got "
                             f"{len(input_shape)}")

    def _combine(self, a, b):
        return ops.sub(a, b)


class Multiply(_Merge):
    def _combine(self, a, b):
        return ops.mul(a, b)


class Average(_Merge):
    def _combine(self, a, b):
        return ops.add(a, b)

    def _finish(self, out, n):
        return ops.mul(out, 1.0 / n)


class Maximum(_Merge):
    def _combine(self, a, b):
        return ops.maximum(a, b)


class Minimum(_Merge):
    def _combine(self, a, b):
        return ops.minimum(a, b)


class Concatenate(_Merge):
    """Join inputs along `axis` (default the last); the other axes must match."""

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = int(axis)

    def build(self, input_shape):
        self.compute_output_shape(input_shape)

    def compute_output_shape(self, input_shape):
        self._check_list(input_shape)
        rank = len(input_shape[0])
        where = f"Concatenate layer {self.name!r}"
        if any(len(s) != rank for s in input_shape):
            raise ValueError(f"{where}: inputs must have the same rank, got shapes "
                             f"{', '.join(show(s) for s in input_shape)}")
        if not -rank <= self.axis < rank or self.axis % rank == 0:
            raise ValueError(f"{where}: axis {self.axis} must be a non-batch axis of inputs of "
                             f"rank {rank}")
        axis = self.axis % rank
        out = []
        for i in range(rank):
            dims = [s[i] for s in input_shape]
            if i == axis:
                out.append(None if None in dims else sum(dims))
                continue
            known = {d for d in dims if d is not None}
            if len(known) > 1:
                raise ValueError(f"{where}: shapes {', '.join(show(s) for s in input_shape)} "
                                 f"differ outside axis {self.axis}")
            out.append(known.pop() if known else None)
        return tuple(out)

    def call(self, inputs):
        self.compute_output_shape([tuple(t.shape) for t in inputs])
        return ops.concat(list(inputs), self.axis % inputs[0].rank)

    def get_config(self):
        config = super().get_config()
        config["axis"] = self.axis
        return config


def add(inputs, **kwargs):
    return Add(**kwargs)(inputs)


def subtract(inputs, **kwargs):
    return Subtract(**kwargs)(inputs)


def multiply(inputs, **kwargs):
    return Multiply(**kwargs)(inputs)


def average(inputs, **kwargs):
    return Average(**kwargs)(inputs)


def maximum(inputs, **kwargs):
    return Maximum(**kwargs)(inputs)


def minimum(inputs, **kwargs):
    return Minimum(**kwargs)(inputs)


def concatenate(inputs, axis=-1, **kwargs):
    return Concatenate(axis=axis, **kwargs)(inputs)
