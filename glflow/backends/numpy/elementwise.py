"""Elementwise programs in numpy: the `fused` kernel (graph mode's fusion, add_n), a
reduction's prologue and a matmul or conv epilogue, evaluated op by op with the same twins
the unfused kernels run (the program format: glflow/backends/gl/elementwise.py).

An op that notes a dtype stores its value as an unfused kernel of that dtype would (bool as
0/1, int32 truncated), so fused and unfused agree bit for bit on this backend.
"""
import numpy as np

from ...runtime import counters
from . import activations, arithmetic, creation, logic, math, shape
from ._common import to_dtype

TWINS = {}
for _module in (activations, arithmetic, creation, logic, math, shape):
    TWINS.update(_module.KERNELS)


def evaluate(program, arrays, params, count=None):
    """The outputs of `program` on these input arrays (numpy broadcasting), as a list.
    count(kernel) is called for every op run (the backend's kernel counters)."""
    ops, outputs = program
    values = []

    def value(ref):
        return arrays[ref[1]] if ref[0] == "in" else values[ref[1]]
    for kernel, args, slots, dtype in ops:
        if count is not None:
            count(kernel)
        result = TWINS[kernel](*[value(a) for a in args], *[params[s] for s in slots])
        if dtype is not None:
            result = to_dtype(np.asarray(result), dtype)
        values.append(result)
    return [value(r) for r in outputs]


def output_dtypes(program, default):
    """The dtype of each output: its op's, or `default` where the op notes none."""
    ops = program[0]
    return [ops[r[1]][3] or default if r[0] == "t" else default for r in program[1]]


def epilogue(z, extras, spec, batches, m, n):
    """A matmul or conv epilogue (glflow/backends/gl/epilogue.py): `spec`'s program over the
    product z ([batches, m, n]) and the extras, each read through its (batch, row, column)
    strides."""
    arrays = [z]
    for data, strides in zip(extras, spec["strides"]):
        at = (np.arange(batches)[:, None, None] * strides[0]
              + np.arange(m)[None, :, None] * strides[1]
              + np.arange(n)[None, None, :] * strides[2])
        arrays.append(np.asarray(data).reshape(-1)[at])
    (out,) = evaluate(spec["program"], arrays, spec["params"], _count)
    return np.broadcast_to(out, (batches, m, n))


def _count(kernel):
    counters.count_kernel("cpu", kernel)
