"""Backend-neutral descriptions of how a kernel reads a tensor's flat buffer.

Ops build these (transpose, slice, broadcast_to, matmul operands); each backend turns them into
its own access: numpy fancy indexing on cpu, uniforms of a strided/packing shader on gl.
"""


class StridedView:
    """Element at multi-index m of `shape` is flat[offset + sum(m * strides)]."""
    __slots__ = ("shape", "strides", "offset")

    def __init__(self, shape, strides, offset=0):
        self.shape = tuple(int(d) for d in shape)
        self.strides = tuple(int(s) for s in strides)
        self.offset = int(offset)


class MatrixView:
    """A batch of [rows, cols] matrices: element (b, r, c) is flat[b*bs + r*rs + c*cs]."""
    __slots__ = ("rows", "cols", "batch_stride", "row_stride", "col_stride")

    def __init__(self, rows, cols, batch_stride, row_stride, col_stride):
        self.rows, self.cols = int(rows), int(cols)
        self.batch_stride = int(batch_stride)
        self.row_stride, self.col_stride = int(row_stride), int(col_stride)

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
