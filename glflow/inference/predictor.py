"""The one place batch inference turns a model file into something to call.

`load_predictor(path)` returns a `Predictor`: a callable from one numpy batch to a list of
numpy outputs, with the model's input and output specs. Everything that runs a model file over
batches (`glflow run MODEL`, glflow.distributed's workers) goes through here, so a new format
is one branch in `load_predictor`:
- glflow's own `.glflow` files, and whatever else `gf.models.load_model` reads (Keras `.keras`
  and `.h5`, TensorFlow.js `model.json`, through the model-file readers of glflow.models);
- `.onnx`: `glflow.onnx.load` (see `_load_onnx`).
"""
import json
import os
import posixpath
import threading
from dataclasses import dataclass

import numpy as np

from ..layers.node import flatten
from ..models import load_model
from ..tensor import Tensor

try:  # ONNX support (issue 12) needs the optional `onnx` package; see _load_onnx
    from .. import onnx as glflow_onnx
except ImportError:
    glflow_onnx = None


@dataclass(frozen=True)
class TensorSpec:
    """A model input or output: its name, its shape with None for the batch dimension and
    any other free dimension, and its dtype (a numpy dtype name)."""
    name: str
    shape: tuple
    dtype: str = "float32"

    def accepts(self, sample_shape):
        """Whether samples of `sample_shape` (no batch dimension) fit this spec."""
        if self.shape is None:  # a model that does not say: its own call decides
            return True
        dims = self.shape[1:]
        return len(dims) == len(sample_shape) and all(
            d is None or d == s for d, s in zip(dims, sample_shape))

    def describe(self):
        if self.shape is None:
            return "[unknown]"
        return "[" + ", ".join("None" if d is None else str(d) for d in self.shape) + "]"


class Predictor:
    """A loaded model: `predictor(batch)` runs one numpy batch and returns one numpy array
    per output. `inputs` and `outputs` are TensorSpecs; `path` is the file it came from."""

    def __init__(self, path, run, inputs, outputs):
        self.path = path
        self._run = run
        self.inputs = inputs
        self.outputs = outputs
        # One batch at a time: GL work is serialised on the context anyway, and a model's
        # Python-side state need not be shared by threads (a Dask worker may run several).
        self._lock = threading.Lock()

    def __call__(self, batch):
        with self._lock:
            return [np.asarray(out.numpy() if isinstance(out, Tensor) else out)
                    for out in self._run(batch)]

    def check_samples(self, where, sample_shape):
        """A ValueError naming the shapes when samples of `sample_shape` cannot go in."""
        if len(self.inputs) != 1:
            raise ValueError(f"{where}: {self.path!r} takes {len(self.inputs)} inputs "
                             f"({', '.join(s.name for s in self.inputs)}); batch inference "
                             "feeds one")
        spec = self.inputs[0]
        if not spec.accepts(tuple(sample_shape)):
            raise ValueError(f"{where}: {self.path!r} takes inputs of shape {spec.describe()}; "
                             f"the data's samples have shape {list(sample_shape)}")

    def output_specs(self, where, sample_shape, dtype):
        """The outputs for samples of `sample_shape` and `dtype`: shapes with None for the
        batch, dtypes as the model computes them. Found by running one sample of zeros, so a
        model that cannot take such samples fails here, before any real work."""
        self.check_samples(where, sample_shape)
        probe = np.zeros((1,) + tuple(sample_shape), dtype)
        try:
            outs = self(probe)
        except (ValueError, TypeError) as exc:
            raise ValueError(f"{where}: {self.path!r} cannot run samples of shape "
                             f"{list(sample_shape)} ({exc})") from None
        return [TensorSpec(spec.name, (None,) + out.shape[1:], str(out.dtype))
                for spec, out in zip(self.outputs, outs)]


def load_predictor(path):
    """The model in file `path` as a Predictor. FileNotFoundError for a missing file,
    ValueError for a file no reader takes."""
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"load_predictor: no model file {path!r}")
    if os.path.isdir(path):
        raise ValueError(f"load_predictor: {path!r} is a folder; give the model file")
    if path.lower().endswith(".onnx"):
        return _load_onnx(path)
    return _from_glflow_model(path, load_model(path, compile=False))


def model_files(path):
    """The files that make up the model at `path`, as {name relative to its folder: bytes},
    so a model can travel to machines that do not share this file system. One file, except
    a TensorFlow.js model.json, whose weight shards its weightsManifest names."""
    path = os.fspath(path)
    with open(path, "rb") as f:
        files = {os.path.basename(path): f.read()}
    if path.lower().endswith(".json"):
        try:
            groups = json.loads(files[os.path.basename(path)]).get("weightsManifest", [])
            shards = [p for group in groups for p in group.get("paths", [])]
        except (ValueError, AttributeError, TypeError):
            return files  # not a TF.js model: the reader will say so
        folder = os.path.dirname(path)
        for shard in shards:
            name = posixpath.normpath(str(shard).replace("\\", "/"))
            if posixpath.isabs(name) or name.split("/")[0] == "..":
                raise ValueError(f"load_predictor: {path!r} names weight file {shard!r} "
                                 "outside its folder")
            with open(os.path.join(folder, *name.split("/")), "rb") as f:
                files[name] = f.read()
    return files


def _from_glflow_model(path, model):
    shapes = model.input_shape
    shapes = shapes if isinstance(shapes, list) else [shapes]
    graph_inputs = model.inputs or []  # functional models know their input dtypes
    names = model.input_names or [f"input_{i}" for i in range(len(shapes))]
    inputs = [TensorSpec(name, tuple(shape),
                         graph_inputs[i].dtype if i < len(graph_inputs) else "float32")
              for i, (name, shape) in enumerate(zip(names, shapes))]
    out_shapes = model.output_shape
    out_shapes = out_shapes if isinstance(out_shapes, list) else [out_shapes]
    out_names = model.output_names or [f"output_{i}" for i in range(len(out_shapes))]
    outputs = [TensorSpec(name, tuple(shape)) for name, shape in zip(out_names, out_shapes)]

    def run(batch):
        return flatten(model.predict_on_batch(batch))
    return Predictor(path, run, inputs, outputs)


# ----------------------------------------------------------------------------- ONNX
# The one place .onnx files dispatch to glflow.onnx (branch `onnx`, issue 12), whose
# `load(path)` gives a callable model `m(x)` with `m.inputs` / `m.outputs` (ports with a name,
# a shape of ints, dim names or None, and a dtype). Until that package is part of glflow,
# an .onnx file is refused with a clear error.

def _load_onnx(path):
    if glflow_onnx is None:
        raise ValueError(f"load_predictor: {path!r} is an ONNX model; ONNX files need "
                         "glflow.onnx and the onnx package, which this installation lacks")
    model = glflow_onnx.load(path)

    def spec(port):
        shape = None if port.shape is None else tuple(
            d if isinstance(d, int) else None for d in port.shape)
        return TensorSpec(port.name, shape, port.dtype or "float32")

    def run(batch):
        out = model(batch)
        if isinstance(out, dict):
            return [out[port.name] for port in model.outputs]
        return list(out) if isinstance(out, (list, tuple)) else [out]
    return Predictor(path, run, [spec(p) for p in model.inputs],
                     [spec(p) for p in model.outputs])
