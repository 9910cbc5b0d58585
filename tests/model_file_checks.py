"""Shared by the model-file tests: the committed reference files and how to compare with them.

Tolerance: every reference runtime (Keras on TensorFlow's CPU kernels, TensorFlow.js' CPU
backend) and glflow on GL compute in float32, so two results differ only by rounding in a
different order of summation and by each library's exp/tanh/erf approximations: ~1e-6
relative on these small models (the largest seen is 2.3e-6). rtol 1e-4 (the issue's bound for
imported models) with atol 1e-5 for values near zero leaves room for other GL drivers while a
wrong weight, gate order or padding rule shows up as an error of order 1e-1.
"""
import io
import json
import shutil
import zipfile
from pathlib import Path

import h5py
import numpy as np
import pytest

import glflow as gf

DATA = Path(__file__).resolve().parent / "data"
TOLERANCE = dict(rtol=1e-4, atol=1e-5)


def reference(npz):
    """(inputs, outputs) recorded next to a model file: x0, x1, ... and y0, y1, ..."""
    stored = np.load(npz)
    inputs = [stored[f"x{i}"] for i in range(len(stored.files)) if f"x{i}" in stored]
    outputs = [stored[f"y{i}"] for i in range(len(stored.files)) if f"y{i}" in stored]
    return inputs, outputs


def predict(model, inputs):
    out = model.predict(inputs if len(inputs) > 1 else inputs[0], verbose=0)
    return [np.asarray(o) for o in (out if isinstance(out, list) else [out])]


def assert_predicts(model, npz):
    inputs, expected = reference(npz)
    got = predict(model, inputs)
    assert len(got) == len(expected)
    for g, e in zip(got, expected):
        np.testing.assert_allclose(g, e, **TOLERANCE)


def live():
    """Tensors and bytes alive now (what a failed load must not change)."""
    memory = gf.memory()
    return memory["num_tensors"], memory["num_bytes"]


def expect_refusal(load, *fragments):
    """`load()` raises ValueError mentioning every fragment, and no tensor outlives it."""
    before = live()
    with pytest.raises(ValueError) as info:
        load()
    for fragment in fragments:
        assert fragment in str(info.value), str(info.value)
    del info
    assert live() == before
    return True


def rewrite_keras(src, dst, edit_config):
    """A copy of the .keras file `src` whose config.json went through `edit_config`."""
    with zipfile.ZipFile(src) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    config = json.loads(members["config.json"])
    edit_config(config)
    members["config.json"] = json.dumps(config).encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    Path(dst).write_bytes(buffer.getvalue())
    return dst


def rewrite_h5(src, dst, edit_config):
    """A copy of the legacy .h5 file `src` whose model_config went through `edit_config`."""
    shutil.copyfile(src, dst)
    with h5py.File(dst, "r+") as f:
        config = json.loads(f.attrs["model_config"])
        edit_config(config)
        f.attrs["model_config"] = json.dumps(config)
    return dst


def copy_tree(src, dst):
    shutil.copytree(src, dst)
    return Path(dst)


def layer_config(config, name):
    """The config dict of the layer called `name` (or the first of class `name`) in a Keras
    model config."""
    for entry in config["config"]["layers"]:
        if name in (entry["config"].get("name"), entry["class_name"]):
            return entry["config"]
    raise KeyError(name)
