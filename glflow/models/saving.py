"""save_model / load_model / save_weights / load_weights: one file per model.

File layout (all integers little-endian):

    offset  size  field
    0       8     magic b"\\x89GLF\\r\\n\\x1a\\n" (PNG's trick: catches text-mode mangling)
    8       4     format version (1)
    12      8     J, the length of the JSON part
    20      8     W, the length of the weights part
    28      4     CRC-32 of the JSON and weights parts
    32      J     JSON (UTF-8): model class + config, compile config, optimizer config and
                  step count, the names and shapes of the stored weights
    32+J    W     the weights in safetensors layout (model.00000, ..., optimizer.00000, ...)

The file must be exactly 32 + J + W bytes and the CRC must match, so truncation and flipped
bytes anywhere are reported as a ValueError before anything is parsed. A file that passes those
checks but whose contents are malformed (wrong types, nesting too deep, shapes that do not
fit) gets a ValueError naming the file too, never a TypeError or RecursionError from inside.
"""
import contextlib
import json
import os
import struct
import zlib

import numpy as np

from .. import losses, optimizers
from .. import metrics as metrics_mod
from ..atomic_write import atomic_write
from ..layers import serialization
from ..runtime.version import VERSION as GLFLOW_VERSION
from . import safetensors_io

MAGIC = b"\x89GLF\r\n\x1a\n"
VERSION = 1
_HEADER = struct.Struct("<8sIQQI")

# Other frameworks' model files (Keras, TensorFlow.js): glflow.io registers, per format, a
# reader `(sniff(path, first_bytes), load(path, custom_objects, compile))` and a writer
# `(owns(path), save(model, path, include_optimizer))`. glflow's own format is the default.
_READERS = []
_WRITERS = []


def register_reader(sniff, load):
    _READERS.append((sniff, load))


def register_writer(owns, save):
    _WRITERS.append((owns, save))


def _reader_for(path):
    head = b""
    if os.path.isfile(path):
        with open(path, "rb") as f:
            head = f.read(16)
    if head.startswith(MAGIC):
        return None
    return next((load for sniff, load in _READERS if sniff(path, head)), None)


def _writer_for(path):
    return next((save for owns, save in _WRITERS if owns(path)), None)


# --------------------------------------------------------------------------- container

def _write(path, meta, tensors):
    body = json.dumps(meta, separators=(",", ":")).encode("utf-8")
    blob = safetensors_io.save_bytes(tensors)
    crc = zlib.crc32(blob, zlib.crc32(body))
    with atomic_write(path, "wb") as f:  # a crash or a concurrent save never leaves half a file
        f.write(_HEADER.pack(MAGIC, VERSION, len(body), len(blob), crc))
        f.write(body)
        f.write(blob)


def _read(path, where=None):
    path = os.fspath(path)
    with open(path, "rb") as f:
        data = f.read()
    where = where or f"load: {path!r}"
    if len(data) < _HEADER.size:
        raise ValueError(f"{where} is not a glflow model file (only {len(data)} bytes)")
    magic, version, n_json, n_blob, crc = _HEADER.unpack_from(data)
    if magic != MAGIC:
        raise ValueError(f"{where} is not a glflow model file (bad magic bytes)")
    if version != VERSION:
        raise ValueError(f"{where} has format version {version}; this glflow reads {VERSION}")
    if _HEADER.size + n_json + n_blob != len(data):
        raise ValueError(f"{where} is truncated or padded: the header announces "
                         f"{_HEADER.size + n_json + n_blob} bytes, the file has {len(data)}")
    body = data[_HEADER.size:_HEADER.size + n_json]
    blob = data[_HEADER.size + n_json:]
    if zlib.crc32(blob, zlib.crc32(body)) != crc:
        raise ValueError(f"{where} is corrupt (checksum mismatch)")
    try:
        meta = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise ValueError(f"{where}: the JSON part is invalid ({type(exc).__name__}: "
                         f"{exc})") from None
    if not isinstance(meta, dict) or meta.get("format") != "glflow":
        raise ValueError(f"{where}: the JSON part is not a glflow model description")
    try:
        tensors = safetensors_io.load_bytes(blob)
    except ValueError as exc:
        raise ValueError(f"{where}: {exc}") from None
    return meta, tensors


# What interpreting a file's contents can raise when they are malformed: wrong types, keys
# that are missing or unhashable, nesting too deep, sizes no memory holds.
_CONTENT_ERRORS = (TypeError, KeyError, AttributeError, IndexError, RecursionError,
                   OverflowError, MemoryError)


@contextlib.contextmanager
def _interpreting(where):
    """Every error while rebuilding from a CRC-valid file is a ValueError naming the file,
    as for a truncated or corrupt one; the message of the error inside is kept."""
    try:
        yield
    except ValueError as exc:
        if str(exc).startswith(where):
            raise
        raise ValueError(f"{where}: {exc}") from None
    except _CONTENT_ERRORS as exc:
        raise ValueError(f"{where}: the file is malformed ({type(exc).__name__}: "
                         f"{exc})") from None


# --------------------------------------------------------------------------- weights

def _weight_entries(prefix, variables):
    keys = [f"{prefix}.{i:05d}" for i in range(len(variables))]
    tensors = {k: np.asarray(v.numpy(), np.float32) for k, v in zip(keys, variables)}
    return [{"key": k, "name": v.name, "shape": list(v.shape)}
            for k, v in zip(keys, variables)], tensors


def _assign(where, entries, tensors, variables, what):
    if not isinstance(entries, list) or len(entries) != len(variables):
        count = len(entries) if isinstance(entries, list) else "no"
        raise ValueError(f"{where}: the file holds {count} {what}, the model has "
                         f"{len(variables)}")
    values = []
    for entry, var in zip(entries, variables):
        key = entry.get("key") if isinstance(entry, dict) else None
        if not isinstance(key, str) or key not in tensors:
            raise ValueError(f"{where}: weight {key!r} is listed but not stored")
        value = tensors[key]
        if list(value.shape) != list(var.shape):
            raise ValueError(f"{where}: stored {what[:-1]} {entry.get('name')!r} has shape "
                             f"{list(value.shape)}, the model's {var.name!r} has {var.shape}")
        values.append(value)
    for value, var in zip(values, variables):  # only once everything matched
        var.assign(value.astype(np.float32))


def save_weights(model, filepath):
    entries, tensors = _weight_entries("model", model.weights)
    _write(filepath, {"format": "glflow", "kind": "weights", "weights": entries,
                      "build_input_shape": _jsonable_shape(model._build_input_shape)}, tensors)


def load_weights(model, filepath):
    where = f"load_weights: {os.fspath(filepath)!r}"
    meta, tensors = _read(filepath, where)
    with _interpreting(where):
        if not model.built and meta.get("build_input_shape") is not None:
            model.build(_shape(meta["build_input_shape"]))
        _assign(where, meta.get("weights"), tensors, model.weights, "weights")


# --------------------------------------------------------------------------- models

def save_model(model, filepath, include_optimizer=True):
    """Config, compile settings, weights and (optionally) optimizer state in one file."""
    if not model.built:
        raise ValueError(f"save_model: model {model.name!r} is not built yet; call it on data "
                         "or build(input_shape) first")
    writer = _writer_for(os.fspath(filepath))
    if writer is not None:
        return writer(model, os.fspath(filepath), include_optimizer)
    meta = {"format": "glflow", "kind": "model",
            "glflow_version": GLFLOW_VERSION,
            "model": serialization.serialize(model),
            "build_input_shape": _jsonable_shape(model._build_input_shape)}
    entries, tensors = _weight_entries("model", model.weights)
    meta["weights"] = entries
    if model.compiled:
        meta["compile"] = _compile_config(model)
        if include_optimizer and model.optimizer is not None:
            opt = model.optimizer
            # trainable-weights order, every weight included: load rebuilds exactly these
            opt_entries, opt_tensors = _weight_entries(
                "optimizer", opt.slots_for(model.trainable_weights))
            meta["optimizer"] = {"class_name": type(opt).__name__, "config": opt.get_config(),
                                 "iterations": opt.iterations, "weights": opt_entries}
            tensors.update(opt_tensors)
    _write(filepath, meta, tensors)


def load_model(filepath, custom_objects=None, compile=True):
    """The saved model with its weights; compiled (optimizer state restored) when it was
    saved compiled and compile=True. Custom classes/functions come from custom_objects.
    Keras (.keras, legacy .h5) and TensorFlow.js (model.json) files load too (glflow.io)."""
    reader = _reader_for(os.fspath(filepath))
    if reader is not None:
        return reader(os.fspath(filepath), custom_objects=custom_objects, compile=compile)
    where = f"load_model: {os.fspath(filepath)!r}"
    meta, tensors = _read(filepath, where)
    if meta.get("kind") != "model" or not isinstance(meta.get("model"), dict):
        raise ValueError(f"{where} holds only weights; build the model and use load_weights")
    with serialization.custom_object_scope(custom_objects), _interpreting(where):
        try:
            model = serialization.deserialize(meta["model"])
        except _CONTENT_ERRORS as exc:
            raise ValueError(f"{where}: cannot rebuild the model from its config "
                             f"({type(exc).__name__}: {exc})") from None
        if not model.built and meta.get("build_input_shape") is not None:
            model.build(_shape(meta["build_input_shape"]))
        _assign(where, meta.get("weights"), tensors, model.weights, "weights")
        if compile and meta.get("compile") is not None:
            _restore_compile(model, meta, tensors, where)
    return model


def _compile_config(model):
    config = model._compile_config
    return {"loss": _encode_spec(config["loss"], "loss"),
            "metrics": _encode_spec(config["metrics"], "metric"),
            "weighted_metrics": _encode_spec(config["weighted_metrics"], "metric"),
            "loss_weights": config["loss_weights"]}


def _restore_compile(model, meta, tensors, where):
    config = meta["compile"]
    opt_meta = meta.get("optimizer")
    try:
        optimizer = (optimizers.get({"class_name": opt_meta["class_name"],
                                     "config": opt_meta["config"]})
                     if opt_meta else "rmsprop")
        model.compile(optimizer=optimizer, loss=_decode_spec(config.get("loss"), "loss"),
                      metrics=_decode_spec(config.get("metrics"), "metric"),
                      weighted_metrics=_decode_spec(config.get("weighted_metrics"), "metric"),
                      loss_weights=config.get("loss_weights"))
    except (TypeError, KeyError, AttributeError, ValueError) as exc:
        raise ValueError(f"{where}: cannot restore the compile settings ({exc}); load with "
                         "compile=False") from None
    if opt_meta:
        _assign(where, opt_meta.get("weights"), tensors,
                optimizer.slots_for(model.trainable_weights), "optimizer weights")
        optimizer.iterations = int(opt_meta.get("iterations", 0))


def _encode_spec(spec, kind):
    if spec is None or isinstance(spec, (int, float)):
        return spec
    if isinstance(spec, str):
        return {"name": spec}
    if isinstance(spec, dict):
        return {"dict": {k: _encode_spec(v, kind) for k, v in spec.items()}}
    if isinstance(spec, (list, tuple)):
        return {"list": [_encode_spec(v, kind) for v in spec]}
    module = losses if kind == "loss" else metrics_mod
    if type(spec) in module.CLASSES.values():
        return {"class_name": type(spec).__name__, "config": spec.get_config()}
    name = getattr(spec, "__name__", None) or type(spec).__name__
    return {"custom": name}


def _decode_spec(encoded, kind):
    if encoded is None or isinstance(encoded, (int, float)):
        return encoded
    if not isinstance(encoded, dict):
        raise TypeError(f"bad {kind} entry {encoded!r}")
    if "name" in encoded:
        return encoded["name"]
    if "dict" in encoded:
        return {k: _decode_spec(v, kind) for k, v in encoded["dict"].items()}
    if "list" in encoded:
        return [_decode_spec(v, kind) for v in encoded["list"]]
    if "class_name" in encoded:
        return (losses.get if kind == "loss" else metrics_mod.get)(encoded)
    if "custom" in encoded:
        try:
            return serialization.lookup_custom_object(encoded["custom"], f"custom {kind}")
        except ValueError as exc:
            raise TypeError(str(exc)) from None
    raise TypeError(f"bad {kind} entry {encoded!r}")


def _jsonable_shape(shape):
    if shape is None:
        return None
    if isinstance(shape, dict):
        return {"dict": {k: _jsonable_shape(v) for k, v in shape.items()}}
    if isinstance(shape, tuple):
        return list(shape)
    return {"list": [_jsonable_shape(s) for s in shape]}


def _shape(encoded):
    if isinstance(encoded, dict) and "dict" in encoded:
        return {k: _shape(v) for k, v in encoded["dict"].items()}
    if isinstance(encoded, dict) and "list" in encoded:
        return [_shape(s) for s in encoded["list"]]
    if isinstance(encoded, list):
        return tuple(encoded)
    raise ValueError(f"load: bad input shape {encoded!r} in the file")
