"""Legacy Keras HDF5 model files (`model.save("net.h5")` in Keras 2, tf.keras, and Keras 3).

The file's root attributes hold `model_config` (the model as JSON) and `keras_version`;
the group `model_weights` lists its layers in the attribute `layer_names`, and each layer's
group lists its arrays, in the layer's weight order, in `weight_names`
(`dense/kernel:0`, `bidirectional/forward_lstm/lstm_cell/kernel:0`, ...). A file written by
`save_weights` has no `model_config`: glflow needs the model too.
"""
import contextlib
import json
import warnings

import numpy as np

from . import keras_model
from .keras_compile import restore_compile

HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"


def require_h5py(where):
    try:
        import h5py  # optional: only Keras files need it
    except ImportError:
        raise ImportError(f"{where}: reading Keras files needs h5py; install it with "
                          "`pip install glflow[io]` (or `pip install h5py`)") from None
    return h5py


def sniff(path, head):
    """An HDF5 file, or a file named .h5/.hdf5 (so a damaged one gets this reader's errors)."""
    return head.startswith(HDF5_SIGNATURE) or path.lower().endswith((".h5", ".hdf5"))


def dialect_of(version):
    """Keras 3 changed some names' meaning (hard_sigmoid); everything older is Keras 2."""
    return "keras3" if str(version).startswith("3.") else "keras2"


def text(value):
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


def read_array(where, dataset, label):
    """An HDF5 dataset as a float32 array, or a clear error for what is not a float tensor."""
    try:
        array = np.asarray(dataset[()])
    except (OSError, KeyError, ValueError) as exc:
        raise ValueError(f"{where}: weight {label!r} cannot be read ({exc}); the file is "
                         "damaged") from None
    if array.dtype.kind not in "fiu":
        raise ValueError(f"{where}: weight {label!r} holds {array.dtype} values, not numbers")
    return array.astype(np.float32)


@contextlib.contextmanager
def damaged_file_errors(where, what):
    """h5py reports a damaged file as OSError, KeyError or RuntimeError from whichever access
    meets the damage: all become one ValueError naming the file (a missing file stays a
    FileNotFoundError)."""
    try:
        yield
    except FileNotFoundError:
        raise
    except (OSError, KeyError, RuntimeError) as exc:
        raise ValueError(f"{where}: {what} is not a readable HDF5 file or is damaged "
                         f"({type(exc).__name__}: {exc})") from None


def load(path, custom_objects=None, compile=True):
    where = f"load_model: {path!r}"
    h5py = require_h5py(where)
    with damaged_file_errors(where, "the file"):
        with h5py.File(path, "r") as f:
            config = f.attrs.get("model_config")
            if config is None:
                raise ValueError(f"{where} holds only weights (Keras save_weights); glflow "
                                 "needs the model too: save it with model.save")
            try:
                config = json.loads(text(config))
            except json.JSONDecodeError as exc:
                raise ValueError(f"{where}: model_config is not valid JSON ({exc})") from None
            dialect = dialect_of(text(f.attrs.get("keras_version", "2")))
            training = f.attrs.get("training_config")
            model = keras_model.load(config, lambda plan: _weights(where, f), where, dialect)
    if compile and training is not None:
        try:
            restore_compile(model, json.loads(text(training)), where)
        except json.JSONDecodeError:
            warnings.warn(f"{where}: the model is loaded uncompiled: its training_config is "
                          "not valid JSON", stacklevel=3)
    return model


def _weights(where, f):
    group = f["model_weights"] if "model_weights" in f else f
    stored = {}
    for name in (text(n) for n in group.attrs.get("layer_names", [])):
        if name not in group:
            raise ValueError(f"{where}: layer {name!r} is listed but its weights are missing")
        layer = group[name]
        labels = [text(n) for n in layer.attrs.get("weight_names", [])]
        arrays = []
        for label in labels:
            if label not in layer:
                raise ValueError(f"{where}: weight {label!r} of layer {name!r} is listed but "
                                 "missing")
            arrays.append((label, read_array(where, layer[label], label)))
        stored[name] = arrays
    return stored
