"""Texture layout: 4 consecutive elements of the flat row-major buffer per RGBA32F texel.

The texture width depends only on the texel count and is a power of two, so
- a reshape (same element count) keeps the same texture: reshape is free;
- a shader turns a flat texel index t into a coordinate with a mask and a shift, no division.
"""
import math


def texel_count(size):
    return (size + 3) // 4


def width_for(texels, max_size):
    """Power-of-two width near sqrt(texels): textures stay square-ish for any size."""
    if texels <= 1:
        return 1
    w = 1 << math.ceil(math.log2(math.sqrt(texels)))
    return min(w, max_size)


def rows_for(texels, width):
    return max(1, -(-texels // width))


def bucket_rows(rows):
    """Round a row count up so the pool can reuse textures across nearby sizes (<= 25% waste)."""
    if rows <= 4:
        return rows
    step = 1 << (rows.bit_length() - 3)
    return -(-rows // step) * step


def max_elements(max_size):
    return max_size * max_size * 4


class Layout:
    """Where a tensor of `size` elements sits in a texture: width, shift, rows used."""
    __slots__ = ("size", "texels", "width", "shift", "rows")

    def __init__(self, size, max_size):
        self.size = size
        self.texels = texel_count(size)
        self.width = width_for(self.texels, max_size)
        self.shift = self.width.bit_length() - 1
        self.rows = rows_for(self.texels, self.width)
