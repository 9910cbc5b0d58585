"""to_categorical: integer class labels -> one-hot float32 rows, as Keras does."""
import numbers

import numpy as np


def to_categorical(y, num_classes=None):
    """Labels of any shape -> y.shape + (num_classes,) float32 one-hot rows (a trailing axis
    of size 1 is dropped first, so a column of labels gives a matrix). num_classes defaults
    to max(y) + 1. Labels must be integers (integral floats allowed) in [0, num_classes)."""
    where = "to_categorical"
    array = np.asarray(y)
    if array.dtype.kind not in "iub" and not (array.dtype.kind == "f"
                                             and np.all(np.isfinite(array))
                                             and np.all(array == np.round(array))):
        raise ValueError(f"{where}: labels must be integers, got values of dtype "
                         f"{array.dtype} and shape {list(array.shape)}")
    labels = array.astype(np.int64)
    shape = labels.shape
    if len(shape) > 1 and shape[-1] == 1:
        shape = shape[:-1]
    labels = labels.reshape(-1)
    if num_classes is None:
        num_classes = int(labels.max()) + 1 if labels.size else 0
    if (not isinstance(num_classes, numbers.Integral) or isinstance(num_classes, bool)
            or num_classes < 1):
        raise ValueError(f"{where}: num_classes must be a positive int, got {num_classes!r}")
    outside = (labels < 0) | (labels >= num_classes)
    if outside.any():
        raise ValueError(f"{where}: label {int(labels[outside][0])} is outside [0, "
                         f"num_classes={num_classes}) (labels of shape {list(array.shape)})")
    out = np.zeros((labels.size, num_classes), np.float32)
    out[np.arange(labels.size), labels] = 1.0
    return out.reshape(shape + (num_classes,))
