"""TensorShape: a TF1 graph tensor's static shape, with None where a dimension (or the rank) is
not known while the graph is built (a placeholder's batch dimension).

It reads as TensorFlow 2's does: `shape[i]` is an int or None, `as_list()`, `rank`/`ndims`
(None for an unknown rank), `is_fully_defined()`, and it compares equal to lists and tuples of
the same dims (`x.shape == [None, 784]`)."""
import numbers
from math import prod


class TensorShape:
    __slots__ = ("dims",)

    def __init__(self, dims):
        if isinstance(dims, TensorShape):
            dims = dims.dims
        if dims is None:
            self.dims = None
            return
        if isinstance(dims, numbers.Integral):
            dims = (dims,)
        out = []
        for d in dims:
            if d is not None and (not isinstance(d, numbers.Integral) or isinstance(d, bool)):
                raise TypeError(f"TensorShape: dimensions are ints or None, got {d!r} in "
                                f"{list(dims)!r}")
            if d is not None and d < 0:
                raise ValueError(f"TensorShape: negative dimension in {list(dims)!r}")
            out.append(None if d is None else int(d))
        self.dims = tuple(out)

    # ------------------------------------------------------------------ reading
    @property
    def rank(self):
        return None if self.dims is None else len(self.dims)

    ndims = rank

    def as_list(self):
        if self.dims is None:
            raise ValueError("as_list() is not defined on an unknown TensorShape")
        return list(self.dims)

    def is_fully_defined(self):
        return self.dims is not None and None not in self.dims

    def num_elements(self):
        """The number of elements, None when not fully defined."""
        return prod(self.dims) if self.is_fully_defined() else None

    def __len__(self):
        if self.dims is None:
            raise ValueError("len() of a TensorShape of unknown rank")
        return len(self.dims)

    def __iter__(self):
        if self.dims is None:
            raise ValueError("cannot iterate over a TensorShape of unknown rank")
        return iter(self.dims)

    def __getitem__(self, key):
        if self.dims is None:
            return TensorShape(None) if isinstance(key, slice) else None
        if isinstance(key, slice):
            return TensorShape(self.dims[key])
        return self.dims[key]

    # ------------------------------------------------------------------ relations
    def is_compatible_with(self, other):
        """Whether a shape could be both: equal ranks and equal dims where both are known."""
        other = as_shape(other)
        if self.dims is None or other.dims is None:
            return True
        return len(self.dims) == len(other.dims) and all(
            a is None or b is None or a == b for a, b in zip(self.dims, other.dims))

    def merge_with(self, other):
        """The shape both describe, more known than either (ValueError if they conflict)."""
        other = as_shape(other)
        if not self.is_compatible_with(other):
            raise ValueError(f"shapes {self} and {other} are not compatible")
        if self.dims is None:
            return other
        if other.dims is None:
            return self
        return TensorShape([a if a is not None else b for a, b in zip(self.dims, other.dims)])

    def accepts(self, shape):
        """Whether a concrete shape may stand for this one (a feed's, a run's)."""
        return self.is_compatible_with(TensorShape(shape))

    def __eq__(self, other):
        if isinstance(other, (list, tuple)):
            other = TensorShape(other) if all(
                d is None or isinstance(d, numbers.Integral) for d in other) else None
        return isinstance(other, TensorShape) and self.dims == other.dims

    def __hash__(self):
        return hash(self.dims)

    def __repr__(self):
        return "TensorShape(None)" if self.dims is None else f"TensorShape({list(self.dims)})"

    def __str__(self):
        if self.dims is None:
            return "<unknown>"
        return "(" + ", ".join("?" if d is None else str(d) for d in self.dims) + \
            ("," if len(self.dims) == 1 else "") + ")"


def as_shape(value):
    return value if isinstance(value, TensorShape) else TensorShape(value)


def unknown_shape():
    return TensorShape(None)
