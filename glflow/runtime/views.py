"""Backend-neutral descriptions of how a kernel reads a tensor's flat buffer.

Ops build these (transpose, slice, broadcast_to, matmul operands) and pass them as kernel
attributes; each backend turns them into its own access: numpy indexing on cpu, uniforms of a
strided or packing shader on gl. They are values (equal and hashable), so a recorded call that
holds one can be compared and cached by graph mode.
"""
from typing import NamedTuple


class StridedView(NamedTuple):
    """Element at multi-index m of `shape` is flat[offset + sum(m * strides)]."""
    shape: tuple
    strides: tuple
    offset: int = 0

    @classmethod
    def make(cls, shape, strides, offset=0):
        return cls(tuple(int(d) for d in shape), tuple(int(s) for s in strides), int(offset))


class MatrixView(NamedTuple):
    """A batch of [rows, cols] matrices: element (b, r, c) is flat[b*bs + r*rs + c*cs]."""
    rows: int
    cols: int
    batch_stride: int
    row_stride: int
    col_stride: int

    def aligned(self):
        """Rows start on texel boundaries and columns are contiguous: whole-texel reads."""
        return (self.col_stride == 1 and self.cols % 4 == 0 and self.row_stride % 4 == 0
                and self.batch_stride % 4 == 0)


def contiguous_strides(shape):
    strides, step = [0] * len(shape), 1
    for d in range(len(shape) - 1, -1, -1):
        strides[d] = step
        step *= shape[d]
    return strides
