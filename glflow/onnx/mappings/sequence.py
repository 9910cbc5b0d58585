"""Sequences and optionals: a sequence value is a Python list of tensors, an empty optional
is None. Positions and split sizes arrive on the host (`host=`)."""
import builtins

import numpy as np

from ... import ops
from .shape import axis_of, ints
from .table import mapping


def _position(pos, length, insert=False):
    p = int(np.asarray(pos).reshape(-1)[0])
    return p + length + (1 if insert else 0) if p < 0 else p


@mapping("SequenceEmpty", attrs={"dtype": None})
def sequence_empty(n):
    return []


@mapping("SequenceConstruct")
def sequence_construct(n, *xs):
    return list(xs)


@mapping("SequenceAt", host=(1,))
def sequence_at(n, seq, pos):
    return ops.identity(seq[_position(pos, len(seq))])


@mapping("SequenceInsert", host=(2,))
def sequence_insert(n, seq, x, pos=None):
    at = len(seq) if pos is None else _position(pos, len(seq), insert=True)
    return seq[:at] + [x] + seq[at:]


@mapping("SequenceErase", host=(1,))
def sequence_erase(n, seq, pos=None):
    at = len(seq) - 1 if pos is None else _position(pos, len(seq))
    return seq[:at] + seq[at + 1:]


@mapping("SequenceLength")
def sequence_length(n, seq):
    return np.array(len(seq), np.int64)  # a host value: the list's length


@mapping("SplitToSequence", attrs={"axis": 0, "keepdims": 1}, host=(1,))
def split_to_sequence(n, x, split=None):
    a = axis_of(n["axis"], x.rank)
    if split is None:  # pieces of one, the axis dropped unless keepdims
        pieces = ops.split(x, x.shape[a], a) if x.shape[a] > 1 else [ops.identity(x)]
        return [p if n["keepdims"] else ops.squeeze(p, a) for p in pieces]
    sizes = ints(split)
    if np.asarray(split).ndim == 0:  # one size: equal pieces, the last one shorter
        size = sizes[0]
        sizes = [min(size, x.shape[a] - i) for i in builtins.range(0, x.shape[a], size)]
    return list(ops.split(x, sizes, a)) if len(sizes) > 1 else [ops.identity(x)]


@mapping("ConcatFromSequence", attrs={"axis": None, "new_axis": 0})
def concat_from_sequence(n, seq):
    if n["new_axis"]:
        return ops.stack(seq, axis_of(n["axis"], seq[0].rank + 1))
    return ops.concat(seq, axis_of(n["axis"], seq[0].rank))


@mapping("Optional", attrs={"type": None})
def optional(n, x=None):
    return x


@mapping("OptionalHasElement")
def optional_has_element(n, x=None):
    return np.array(x is not None)  # a host value: whether there is one


@mapping("OptionalGetElement")
def optional_get_element(n, x):
    if x is None:
        raise ValueError(f"onnx: OptionalGetElement node {n.name!r}: the optional is empty")
    return x if isinstance(x, list) else ops.identity(x)
