"""Saver: save and restore a session's Variables (TensorFlow's tf.train.Saver, with a file of
glflow's own: TensorFlow's checkpoint format is not read or written).

    saver = gf.train.Saver()                       # the graph's global Variables
    path = saver.save(sess, "ckpt/model", global_step=100)     # -> "ckpt/model-100"
    saver.restore(other_sess, gf.train.latest_checkpoint("ckpt"))

`save` writes `<path>.npz` (one array per Variable, keyed by its name) and the folder's
`checkpoint` index (the latest path first, TensorFlow's text layout), each to a unique
temporary file in the folder first and then renamed, so a failed save leaves the previous
files whole. At most `max_to_keep` checkpoints stay (None or 0: all). `restore` writes the
values into the session's Variables directly, checking names, shapes and dtypes first.
"""
import os
import tempfile

import numpy as np

from .. import errors
from ..runtime import dtypes
from ..tensor import Tensor
from ..tf1.graph import GraphKeys, building_graph, get_default_graph


class Saver:
    def __init__(self, var_list=None, max_to_keep=5, name=None):
        if var_list is None:
            var_list = (building_graph() or get_default_graph()).get_collection(
                GraphKeys.GLOBAL_VARIABLES)
        if isinstance(var_list, dict):
            named = dict(var_list)
        else:
            named = {_name(v): v for v in var_list}
            if len(named) != len(var_list):
                raise ValueError("Saver: two Variables of var_list have the same name; pass "
                                 "a dict {name: variable}")
        if not named:
            raise ValueError("Saver: no Variables to save")
        self._variables = named
        self._max_to_keep = max_to_keep
        self._kept = []

    def save(self, sess, save_path, global_step=None, latest_filename=None):
        """Write the Variables' values in sess; returns the checkpoint path (no suffix)."""
        if global_step is not None:
            if not isinstance(global_step, (int, np.integer)):
                global_step = sess.run(global_step)
            save_path = f"{save_path}-{int(global_step)}"
        folder = os.path.dirname(os.path.abspath(save_path))
        os.makedirs(folder, exist_ok=True)
        values = {name: _value(sess, v) for name, v in self._variables.items()}
        _write(save_path + ".npz", lambda f: np.savez(f, **values))
        self._kept = [p for p in self._kept if p != save_path] + [save_path]
        while self._max_to_keep and len(self._kept) > self._max_to_keep:
            stale = self._kept.pop(0) + ".npz"
            if os.path.exists(stale):
                os.remove(stale)
        index = os.path.join(folder, latest_filename or "checkpoint")
        lines = [f'model_checkpoint_path: "{os.path.basename(save_path)}"']
        lines += [f'all_model_checkpoint_paths: "{os.path.basename(p)}"' for p in self._kept]
        _write(index, lambda f: f.write(("\n".join(lines) + "\n").encode()))
        return save_path

    def restore(self, sess, save_path):
        """Set the Variables in sess to the values saved at save_path."""
        if save_path is None:
            raise ValueError("Saver.restore: save_path is None (no checkpoint found?)")
        file = save_path + ".npz"
        if not os.path.exists(file):
            raise errors.NotFoundError(None, None, f"Failed to find a checkpoint at "
                                       f"{save_path!r} (no file {file!r})")
        with np.load(file) as saved:
            arrays = {name: saved[name] for name in saved.files}
        for name, v in self._variables.items():
            if name not in arrays:
                raise errors.NotFoundError(None, None, f"Key {name} not found in checkpoint "
                                           f"{save_path!r}")
            shape = list(v.shape)
            if list(arrays[name].shape) != shape:
                raise errors.InvalidArgumentError(
                    None, None, f"Saver.restore: {name} has shape {shape} in the graph, "
                    f"{list(arrays[name].shape)} in {save_path!r}")
        for name, v in self._variables.items():
            value = arrays[name].astype(dtypes.numpy_dtype(v.dtype), copy=False)
            if getattr(v, "_tf1_variable", False):
                v.load(value, sess)
            else:
                v.assign(value)


def latest_checkpoint(checkpoint_dir, latest_filename=None):
    """The newest checkpoint path a Saver recorded in checkpoint_dir, or None."""
    index = os.path.join(checkpoint_dir, latest_filename or "checkpoint")
    if not os.path.exists(index):
        return None
    with open(index, encoding="utf-8") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key.strip() == "model_checkpoint_path":
                path = os.path.join(checkpoint_dir, value.strip().strip('"'))
                return path if os.path.exists(path + ".npz") else None
    return None


def _name(v):
    op = getattr(v, "op", None)
    return op.name if op is not None and not isinstance(v, Tensor) else v.name


def _value(sess, v):
    if getattr(v, "_tf1_variable", False):
        return sess.run(v)
    return v.numpy()


def _write(path, fill):
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(os.path.abspath(path)),
                               prefix=f".{os.path.basename(path)}.")
    try:
        with os.fdopen(fd, "wb") as f:
            fill(f)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


__all__ = ["Saver", "latest_checkpoint"]
