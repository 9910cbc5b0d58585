"""The numpy twins of glflow/backends/gl/interop.py: texture bytes <-> [H, W, C] float32 arrays.

The cpu backend has no GPU of its own, so its from_texture reads the texture's bytes back to the
host and its to_texture uploads them (NumpyBackend does that I/O); these functions are the
conversions, the same ones the GL passes make: 8-bit texels are k / 255, float texels as
stored, and a tensor's row 0 is the texture's last row (GL keeps the top of a picture last)
unless flip_y is False.
"""
import numpy as np

TEXEL_TYPES = {"f1": np.uint8, "f2": np.float16, "f4": np.float32}


def from_texture(raw, size, components, dtype, flip_y):
    """[H, W, C] float32 from a texture's bytes as `texture.read()` returns them (rows
    bottom-up, no row padding)."""
    width, height = size
    texels = np.frombuffer(raw, dtype=TEXEL_TYPES[dtype]).reshape(height, width, components)
    if dtype == "f1":
        image = texels.astype(np.float32) / np.float32(255)
    else:
        image = texels.astype(np.float32)
    return image[::-1] if flip_y else image


def to_texture(image, dtype, flip_y):
    """The bytes `texture.write()` takes for an [H, W, C] image, as GL's conversion makes
    them: 8-bit channels clamp to [0, 1] and round to the nearest k / 255 (NaN gives 0)."""
    image = np.asarray(image, dtype=np.float32)
    if flip_y:
        image = image[::-1]
    if dtype == "f1":
        scaled = np.rint(np.clip(np.nan_to_num(image, nan=0.0), 0.0, 1.0) * np.float32(255))
        texels = scaled.astype(np.uint8)
    else:
        texels = image.astype(TEXEL_TYPES[dtype])
    return np.ascontiguousarray(texels).tobytes()
