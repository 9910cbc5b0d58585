"""Images as model inputs: a folder's image files in a fixed order, and their decoding into
float32 batches the way Keras' image loaders give them (values 0-255, height x width x
channels, resized bilinearly to the model's input size)."""
import os

import numpy as np

try:  # Pillow is optional (the `train` and `dev` extras install it)
    from PIL import Image
except ImportError:
    Image = None

from .errors import Failure

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff", ".ppm",
                  ".pgm")
_MODES = {1: "L", 3: "RGB", 4: "RGBA"}


def list_images(folder):
    """The image files directly inside `folder`, sorted by name: the order of the results."""
    names = sorted(n for n in os.listdir(folder)
                   if n.lower().endswith(IMAGE_SUFFIXES)
                   and os.path.isfile(os.path.join(folder, n)))
    if not names:
        raise ValueError(f"{folder!r} holds no image files ({', '.join(IMAGE_SUFFIXES)})")
    return [os.path.join(folder, n) for n in names]


def image_shape(where, spec):
    """(height, width, channels) of the images a model input takes; a ValueError when the
    input is no image (rank 4, fixed size, 1, 3 or 4 channels) or Pillow is missing."""
    shape = spec.shape
    if (shape is None or len(shape) != 4 or any(d is None for d in shape[1:])
            or shape[3] not in _MODES):
        raise ValueError(f"{where}: the model's input {spec.name!r} has shape "
                         f"{spec.describe()}; image files need [None, height, width, channels]"
                         " with a fixed size and 1, 3 or 4 channels")
    if Image is None:
        raise ValueError(f"{where}: reading images needs Pillow (pip install pillow)")
    return tuple(shape[1:])


def read_image(path, shape):
    """One image as float32 [height, width, channels], resized to `shape` if it differs."""
    height, width, channels = shape
    with Image.open(path) as img:
        img = img.convert(_MODES[channels])
        if img.size != (width, height):
            img = img.resize((width, height), Image.BILINEAR)
        array = np.asarray(img, dtype=np.float32)
    return array.reshape(shape)


def read_images(paths, start, shape):
    """The images that decode, stacked, with their positions in `paths`, and a Failure (index
    start + position) for each that does not."""
    good, positions, failures = [], [], []
    for i, path in enumerate(paths):
        try:
            good.append(read_image(path, shape))
            positions.append(i)
        except Exception as exc:  # any decoding problem is this file's, not the batch's
            failures.append(Failure(start + i, os.fspath(path), f"{type(exc).__name__}: {exc}"))
    batch = np.stack(good) if good else np.zeros((0,) + tuple(shape), np.float32)
    return batch, positions, failures
