"""One batch through a Predictor, whatever the samples are: rows of an array, image files, or
the items of a dask bag partition (arrays or image paths). Used in one process by
`glflow run MODEL` and on every worker by glflow.distributed.

A sample that cannot be read (a corrupt image, an array of the wrong shape) becomes a Failure;
its output rows are NaN (0 for integer outputs) and every other sample of the batch still gets
its result. `strict=True` raises an InputError naming the failures instead."""
import os

import numpy as np

from . import images
from .errors import Failure, InputError


def predict_rows(predictor, rows):
    """The outputs of an array batch (its shape was checked at submission)."""
    return predictor(np.asarray(rows))


def predict_images(predictor, paths, start, shape, out_specs, strict=True):
    """The outputs of the image files `paths`, the first being input number `start`."""
    batch, positions, failures = images.read_images(paths, start, shape)
    return _finish(predictor, batch, positions, len(paths), failures, out_specs, len(paths),
                   strict)


def predict_items(predictor, items, partition, shape, out_specs, batch_size, strict=True):
    """The outputs of a bag partition's items, each an image path or one sample array of
    `shape`, run `batch_size` at a time."""
    good, positions, failures = [], [], []
    for i, item in enumerate(items):
        try:
            good.append(_sample(item, shape))
            positions.append(i)
        except Exception as exc:  # the item's own problem: reported, not fatal
            source = os.fspath(item) if isinstance(item, (str, os.PathLike)) else "array"
            failures.append(Failure(i, source, f"{type(exc).__name__}: {exc}", partition))
    batch = np.stack(good) if good else np.zeros((0,) + tuple(shape), np.float32)
    return _finish(predictor, batch, positions, len(items), failures, out_specs, batch_size,
                   strict)


def _sample(item, shape):
    if isinstance(item, (str, os.PathLike)):
        return images.read_image(item, shape)
    array = np.asarray(item)
    if array.shape != tuple(shape):
        raise ValueError(f"sample of shape {list(array.shape)}; the model takes "
                         f"{list(shape)}")
    return array


def _finish(predictor, batch, positions, count, failures, out_specs, batch_size, strict):
    if strict and failures:
        raise InputError("predict", failures)
    outs = [np.full((count,) + tuple(spec.shape[1:]),
                    np.nan if np.dtype(spec.dtype).kind == "f" else 0, spec.dtype)
            for spec in out_specs]
    for at in range(0, len(batch), batch_size):
        where = positions[at:at + batch_size]
        for out, part in zip(outs, predictor(batch[at:at + batch_size])):
            out[where] = part
    return outs if strict else (outs, failures)
