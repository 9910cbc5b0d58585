"""TensorFlow.js layers models: `model.json` plus binary weight shards, read and written.

    model.json        {"format": "layers-model", "modelTopology": <Keras 2 model JSON>,
                       "weightsManifest": [{"paths": [shard files], "weights": [
                           {"name": "dense/kernel", "shape": [4, 3], "dtype": "float32"}, ...]}]}
    group1-shard1of2.bin, ...
Each manifest group's weights lie back to back, little-endian, across the group's shards taken
in order. Weights are float32, int32 or bool (one byte); the TF.js converter may also store
them quantized: uint8/uint16 with `value = q * scale + min`, or float16. A weight belongs to
the layer its name starts with (`layer/...`).

Writing follows the TF.js converter: one group, shards of at most 4 MiB. Every file is first
written under a unique temporary name in the target folder, then all are renamed into place,
model.json last, so a reader never sees a model.json whose shards are not all there.
"""
import json
import os

import numpy as np

from ..atomic_write import write_all
from ..runtime.version import VERSION as __version__
from . import keras_model, tfjs_config
from .keras_compile import restore_compile

SHARD_BYTES = 4 * 1024 * 1024   # the TF.js converter's default shard size
_DTYPES = {"float32": np.dtype("<f4"), "int32": np.dtype("<i4"), "bool": np.dtype("u1")}
_QUANTIZED = {"uint8": np.dtype("u1"), "uint16": np.dtype("<u2"), "float16": np.dtype("<f2")}


def sniff(path, head):
    if os.path.isdir(path):
        return os.path.isfile(os.path.join(path, "model.json"))
    return path.endswith(".json") or head.lstrip().startswith(b"{")


def owns(path):
    return path.endswith(".json")


# --------------------------------------------------------------------------- reading

def load(path, custom_objects=None, compile=True):
    if os.path.isdir(path):
        path = os.path.join(path, "model.json")
    where = f"load_model: {path!r}"
    try:
        with open(path, "rb") as f:
            doc = json.loads(f.read().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"{where} is not a complete JSON file ({exc})") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("modelTopology"), dict):
        kind = doc.get("format") if isinstance(doc, dict) else None
        extra = ("; it is a TF.js graph model (a converted TensorFlow graph, not Keras "
                 "layers)") if kind == "graph-model" else ""
        raise ValueError(f"{where} is not a TensorFlow.js layers model (no modelTopology)"
                         f"{extra}")
    topology = doc["modelTopology"]
    training = doc.get("trainingConfig") or topology.get("training_config")
    if isinstance(topology.get("model_config"), dict):  # the converter's Keras wrapper
        topology = topology["model_config"]
    entries = _manifest(where, doc.get("weightsManifest"))
    folder = os.path.dirname(os.path.abspath(path))
    model = keras_model.load(topology, lambda plan: _weights(where, folder, entries), where,
                             "tfjs")
    if compile and isinstance(training, dict):
        restore_compile(model, training, where)
    return model


def _manifest(where, manifest):
    """[(paths, [(name, shape, dtype, quantization)])] with every field checked."""
    if manifest is None:
        return []
    if not isinstance(manifest, list):
        raise ValueError(f"{where}: weightsManifest must be a list of groups")
    groups = []
    for i, group in enumerate(manifest):
        paths = group.get("paths") if isinstance(group, dict) else None
        weights = group.get("weights") if isinstance(group, dict) else None
        if not isinstance(paths, list) or not isinstance(weights, list) or not all(
                isinstance(p, str) for p in paths):
            raise ValueError(f"{where}: weightsManifest group {i} needs 'paths' and 'weights'")
        specs = []
        for w in weights:
            name, shape = (w.get("name"), w.get("shape")) if isinstance(w, dict) else (None, None)
            if not isinstance(name, str) or not isinstance(shape, list) or not all(
                    isinstance(d, int) and d >= 0 for d in shape):
                raise ValueError(f"{where}: malformed weight entry {str(w)[:120]}")
            dtype = w.get("dtype", "float32")
            dtype = dtype if isinstance(dtype, str) else repr(dtype)
            quantization = w.get("quantization")
            if quantization is not None:
                affine = isinstance(quantization, dict) and quantization.get("dtype") in (
                    "uint8", "uint16")
                if not isinstance(quantization, dict) or \
                        quantization.get("dtype") not in _QUANTIZED or (affine and not all(
                            isinstance(quantization.get(k), (int, float))
                            for k in ("scale", "min"))):
                    raise ValueError(f"{where}: weight {name!r} has unsupported quantization "
                                     f"{quantization!r}")
            elif dtype not in _DTYPES:
                raise ValueError(f"{where}: weight {name!r} has dtype {dtype!r}; glflow reads "
                                 f"{', '.join(_DTYPES)} and quantized uint8/uint16/float16")
            specs.append((name, tuple(shape), dtype, quantization, w.get("group")))
        groups.append((paths, specs))
    return groups


def _shard_path(where, folder, relative):
    clean = os.path.normpath(relative.split("?")[0])
    if os.path.isabs(clean) or clean.startswith(os.pardir):
        raise ValueError(f"{where}: shard path {relative!r} leaves the model's folder")
    return os.path.join(folder, clean)


def _weights(where, folder, groups):
    stored = {}
    for index, (paths, specs) in enumerate(groups):
        blob = bytearray()
        for relative in paths:
            path = _shard_path(where, folder, relative)
            if not os.path.isfile(path):
                raise ValueError(f"{where}: weight shard {relative!r} (group {index}) is "
                                 "missing")
            with open(path, "rb") as f:
                blob += f.read()
        sizes = [_stored_dtype(spec).itemsize * int(np.prod(spec[1])) for spec in specs]
        if sum(sizes) != len(blob):
            raise ValueError(f"{where}: the shards of weight group {index} ({', '.join(paths)}) "
                             f"hold {len(blob)} bytes; its {len(specs)} weights need "
                             f"{sum(sizes)}")
        offset = 0
        for spec, size in zip(specs, sizes):
            chunk = bytes(blob[offset:offset + size])
            offset += size
            if spec[4] == "optimizer":
                continue  # TF.js' optimizer state (includeOptimizer): not carried over
            layer = spec[0].split("/")[0]
            stored.setdefault(layer, []).append((spec[0], _decode(spec, chunk)))
    return stored


def _stored_dtype(spec):
    _, _, dtype, quantization, _ = spec
    return _QUANTIZED[quantization["dtype"]] if quantization else _DTYPES[dtype]


def _decode(spec, raw):
    _, shape, _, quantization, _ = spec
    values = np.frombuffer(raw, dtype=_stored_dtype(spec)).reshape(shape)
    if quantization and quantization["dtype"] != "float16":
        scale, minimum = float(quantization["scale"]), float(quantization["min"])
        return (values.astype(np.float32) * np.float32(scale) + np.float32(minimum))
    return values.astype(np.float32)


# --------------------------------------------------------------------------- writing

def save(model, path, include_optimizer=True):
    """Write `model` as a TF.js layers model: `path` (model.json) and its shards beside it.
    TF.js keeps no optimizer state in this format, so include_optimizer changes nothing."""
    where = f"save_model: {path!r}"
    topology, weights = tfjs_config.export(model, where)  # refuses before anything is written
    blob = b"".join(np.ascontiguousarray(a, dtype="<f4").tobytes() for _, a in weights)
    count = -(-len(blob) // SHARD_BYTES)  # ceil: no shard at all for a model without weights
    paths = [f"group1-shard{i + 1}of{count}.bin" for i in range(count)]
    doc = {"format": "layers-model", "generatedBy": f"glflow {__version__}",
           "convertedBy": None, "modelTopology": topology,
           "weightsManifest": [{"paths": paths, "weights": [
               {"name": name, "shape": list(array.shape), "dtype": "float32"}
               for name, array in weights]}]}
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    files = [(os.path.join(folder, shard), blob[i * SHARD_BYTES:(i + 1) * SHARD_BYTES])
             for i, shard in enumerate(paths)]
    files.append((os.path.abspath(path),
                  json.dumps(doc, separators=(",", ":")).encode("utf-8")))
    write_all(files)
