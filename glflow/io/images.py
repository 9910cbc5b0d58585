"""Image and animation files <-> tensors, through Pillow (the `train` and `dev` extras install it).

Pixels as tensors: [H, W, C] float32 in [0, 1], row 0 the top row, C channels (1 gray,
2 gray + alpha, 3 RGB, 4 RGBA). Writers take tensors or numpy arrays, [H, W] or [H, W, C]:
floats are clipped to [0, 1] and rounded to the nearest k / 255, integers must already be
0..255. Files are written atomically: a unique temporary file in the target folder, renamed
over the target when complete, so a reader never sees half an image.
"""
import os

import numpy as np

from .. import ops
from ..atomic_write import atomic_write
from ..tensor import Tensor

MODES = {1: "L", 2: "LA", 3: "RGB", 4: "RGBA"}
FORMATS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".gif": "GIF"}


def _pillow(op):
    try:
        from PIL import Image
    except ImportError:
        raise ImportError(f"{op}: Pillow is needed for image files: pip install pillow "
                          "(or glflow's `train` extra)") from None
    return Image


def read_image(path, channels=None):
    """An image file (PNG, JPEG, GIF's first frame, anything Pillow opens) as a float32
    tensor [H, W, C] in [0, 1]. channels: None keeps the file's (palette images become RGB
    or RGBA), or 1-4 to convert (gray, gray + alpha, RGB, RGBA). 16-bit gray PNGs keep
    their precision (k / 65535)."""
    op = "read_image"
    if channels is not None and channels not in MODES:
        raise ValueError(f"{op}: channels must be None or 1-4, got {channels!r}")
    Image = _pillow(op)
    with Image.open(os.fspath(path)) as image:
        image.load()
        if channels is None and image.mode in ("I;16", "I;16B", "I;16L", "I"):
            array = np.asarray(image, dtype=np.float32) / np.float32(65535)
            return ops.tensor(np.clip(array, 0.0, 1.0)[..., None])
        mode = MODES[channels] if channels else _natural_mode(image)
        array = np.asarray(image.convert(mode), dtype=np.uint8)
    if array.ndim == 2:
        array = array[..., None]
    return ops.tensor(array.astype(np.float32) / np.float32(255))


def _natural_mode(image):
    if image.mode in MODES.values():
        return image.mode
    if image.mode in ("1", "F"):
        return "L"
    has_alpha = "A" in image.getbands() or "transparency" in image.info
    return "RGBA" if has_alpha else "RGB"


def to_uint8(op, image, name="image"):
    """[H, W, C] uint8 from a tensor or array (see the module doc), with clear errors."""
    array = image.numpy() if isinstance(image, Tensor) else np.asarray(image)
    if array.ndim == 2:
        array = array[..., None]
    if array.ndim != 3 or not 1 <= array.shape[2] <= 4 or 0 in array.shape:
        raise ValueError(f"{op}: {name} must be [height, width] or [height, width, channels] "
                         f"with 1-4 channels and no empty side, got shape {list(array.shape)}")
    if array.dtype.kind == "f":
        if np.isnan(array).any():
            raise ValueError(f"{op}: {name} of shape {list(array.shape)} holds NaN")
        scaled = np.rint(np.clip(array.astype(np.float32), 0.0, 1.0) * np.float32(255))
        return scaled.astype(np.uint8)
    if array.dtype.kind == "b":
        return array.astype(np.uint8) * np.uint8(255)
    if array.dtype.kind in "iu":
        if array.min() < 0 or array.max() > 255:
            raise ValueError(f"{op}: integer {name} values must be 0..255, got "
                             f"{array.min()}..{array.max()}")
        return array.astype(np.uint8)
    raise TypeError(f"{op}: {name} must hold numbers, got dtype {array.dtype}")


def _format(op, path):
    ext = os.path.splitext(os.fspath(path))[1].lower()
    if ext not in FORMATS:
        raise ValueError(f"{op}: unknown image extension {ext!r} in {os.fspath(path)!r}; "
                         f"use one of {', '.join(FORMATS)}")
    return FORMATS[ext]


def write_atomic(op, path, save):
    """Call save(file object) on a unique temporary file in path's folder, then rename it over
    path; returns path as a string. The folder must exist."""
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"{op}: folder {folder!r} does not exist")
    with atomic_write(path) as f:
        save(f)
    return path


def write_image(path, image, quality=92):
    """Write a tensor or array as PNG or JPEG (by the extension); returns the path. JPEG holds
    gray or RGB only (quality 1-95); PNG any of 1-4 channels, losslessly."""
    op = "write_image"
    fmt = _format(op, path)
    if fmt == "GIF":
        raise ValueError(f"{op}: write GIF files with write_gif (path {os.fspath(path)!r})")
    pixels = to_uint8(op, image)
    if fmt == "JPEG" and pixels.shape[2] in (2, 4):
        raise ValueError(f"{op}: JPEG has no alpha channel, image has {pixels.shape[2]} "
                         f"channels (shape {list(pixels.shape)}); write a .png or drop alpha")
    if not 1 <= int(quality) <= 95:
        raise ValueError(f"{op}: quality must be 1-95, got {quality!r}")
    Image = _pillow(op)
    picture = Image.fromarray(_squeezed(pixels), MODES[pixels.shape[2]])
    options = {"quality": int(quality)} if fmt == "JPEG" else {}
    return write_atomic(op, path, lambda f: picture.save(f, format=fmt, **options))


def _squeezed(pixels):
    return pixels[..., 0] if pixels.shape[2] == 1 else pixels


def write_gif(path, frames, fps=10, loop=0):
    """Write an animated GIF of `frames` (a [N, H, W, C] tensor or array, or a sequence of
    [H, W, C] / [H, W] frames of one shape; values as for write_image) at `fps` frames a
    second (GIF counts in hundredths: 1-100 fps); loop=0 repeats forever. Returns the path.
    GIF has 256 colours a frame (each frame gets its own palette), no partial alpha (an
    alpha channel is dropped), and Pillow merges identical consecutive frames into one
    longer frame."""
    op = "write_gif"
    if _format(op, path) != "GIF":
        raise ValueError(f"{op}: path must end in .gif, got {os.fspath(path)!r}")
    if not 1 <= fps <= 100:
        raise ValueError(f"{op}: fps must be 1-100 (GIF delays are hundredths of a second), "
                         f"got {fps!r}")
    if isinstance(frames, Tensor) or isinstance(frames, np.ndarray):
        frames = list(frames.numpy() if isinstance(frames, Tensor) else frames)
    frames = list(frames)
    if not frames:
        raise ValueError(f"{op}: no frames")
    pixels = [to_uint8(op, frame, f"frame {i}") for i, frame in enumerate(frames)]
    shapes = {p.shape[:2] for p in pixels}
    if len(shapes) > 1:
        raise ValueError(f"{op}: frames differ in size: {sorted(list(s) for s in shapes)}")
    Image = _pillow(op)
    pictures = [_gif_frame(Image, p) for p in pixels]
    delay = max(10, int(round(1000 / fps / 10)) * 10)

    def save(f):
        pictures[0].save(f, format="GIF", save_all=True, append_images=pictures[1:],
                         duration=delay, loop=int(loop))
    return write_atomic(op, path, save)


def _gif_frame(Image, pixels):
    """A palette image: gray stays gray, colour gets an adaptive 256-colour palette."""
    if pixels.shape[2] <= 2:
        return Image.fromarray(pixels[..., 0], "L").convert("P")
    return Image.fromarray(np.ascontiguousarray(pixels[..., :3]), "RGB").quantize(256)


__all__ = ["read_image", "write_image", "write_gif"]
