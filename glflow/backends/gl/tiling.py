"""Splitting a kernel's launches over the device's limits (no shape limit below memory).

Every texture a kernel makes for itself (packed operands, MRT targets, id grids) is at most
`backend.tile_limit` texels a side: the max texture size, or less where a test lowers it to
exercise the split paths at small sizes. A kernel whose work does not fit splits it into
tiles (sequential draws into sub-ranges of its output) or partial sums; a tensor's own texture
(glflow/backends/gl/layout.py) never changes, so one tensor is never split.

A tile writes its part of the flat output straight into the output texture, drawing the
texture rows that hold that part and discarding the texels outside it. A texel (4 elements)
holding elements of two tiles needs more: tile bounds that keep texels whole (the direct conv,
the filter gradient), or that texel drawn alone with the other tile's components masked off
(matmul), or a result padded to whole texels and copied out.
"""

# llvmpipe shades the framebuffer in 64 x 64 pixel tiles, one thread per tile. A grid that fits
# in one tile would run on one thread, so MRT passes draw it centred on a tile corner, shared by
# up to 4 threads; the targets grow by < 64 texels a side, which costs nothing on GPUs.
# Product pass of a 256^3 matmul: 4.0 ms -> 2.2 ms.
TILE = 64


def origin(extent, limit):
    """Offset that centres a grid dimension of `extent` on an llvmpipe tile boundary, when
    extent <= TILE and the target (offset + extent) stays within `limit`; else 0."""
    offset = TILE - extent // 2 if 1 < extent <= TILE else 0
    return offset if offset + extent <= limit else 0


def spans(total, limit, align=1):
    """[(start, length)] covering range(total) in near-equal pieces of at most `limit`,
    every start a multiple of `align` (limit >= align); [(0, total)] when it fits."""
    if total <= limit:
        return [(0, total)]
    step = limit - limit % align
    count = -(-total // step)
    size = -(-(-(-total // count)) // align) * align
    return [(s, min(size, total - s)) for s in range(0, total, size)]


def id_grid(fragments, limit, min_width=1):
    """(width, height) of a grid of `fragments` ids laid out `width` a row, each side at most
    `limit`; None when fragments > limit ** 2. min_width keeps short grids wide (llvmpipe's
    64 x 64 tiles, see conv_direct.GRID_WIDTH)."""
    if fragments > limit * limit:
        return None
    width = min(max(min_width, -(-fragments // limit)), limit)
    return width, max(1, -(-fragments // width))


def texel_rows(first, last, shift):
    """(y, rows): the rows of a tensor's texture (width 1 << shift) holding texels
    first..last; a tile draws them and discards what lies outside its own texels."""
    y = first >> shift
    return y, (last >> shift) - y + 1
