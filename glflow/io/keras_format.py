"""Keras' native `.keras` model files (Keras 3, and tf_keras' newer saves).

A `.keras` file is a zip archive of
    metadata.json       {"keras_version": ..., "date_saved": ...}
    config.json         the model (Sequential or functional) and its compile settings
    model.weights.h5    the weights, one HDF5 group per layer: layers/<name>/vars/0, 1, ...
Weight groups are named after the layer *class* in snake case, counted per class in model
order (dense, dense_1, conv2d, ...), not after the layer's own name; a recurrent layer keeps
its weights in `cell/vars`, Bidirectional in `forward_layer` and `backward_layer`,
TimeDistributed in `layer`, MultiHeadAttention in its four projections' groups (SUBLAYERS).
"""
import io
import json
import zipfile

from ..layers.base import snake_case
from . import keras_model
from .keras_compile import restore_compile
from .keras_config import RECURRENT
from .keras_h5 import damaged_file_errors, dialect_of, read_array, require_h5py

ZIP_SIGNATURE = b"PK\x03\x04"
# Layers whose weights Keras 3 keeps in groups of their inner layers (named after the
# attributes holding them, as Keras 3.15 writes them), in glflow's weight order.
SUBLAYERS = {"MultiHeadAttention": ("query_dense", "key_dense", "value_dense", "output_dense")}


def sniff(path, head):
    """A zip archive, or a file named .keras (so a damaged one gets this reader's errors)."""
    return head.startswith(ZIP_SIGNATURE) or path.lower().endswith(".keras")


def load(path, custom_objects=None, compile=True):
    where = f"load_model: {path!r}"
    h5py = require_h5py(where)
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            for member in ("config.json", "model.weights.h5"):
                if member not in names:
                    raise ValueError(f"{where} is a zip file but not a .keras model (no "
                                     f"{member})")
            config = _json(where, archive, "config.json")
            metadata = _json(where, archive, "metadata.json") if "metadata.json" in names \
                else {}
            weights = archive.read("model.weights.h5")
    except (zipfile.BadZipFile, EOFError) as exc:
        raise ValueError(f"{where} is not a complete .keras file ({exc})") from None
    dialect = dialect_of(metadata.get("keras_version", "3"))
    with damaged_file_errors(where, "model.weights.h5"):
        with h5py.File(io.BytesIO(weights), "r") as store:
            model = keras_model.load(config, lambda plan: _weights(where, store, plan), where,
                                     dialect)
    if compile and isinstance(config.get("compile_config"), dict):
        restore_compile(model, config["compile_config"], where)
    return model


def _json(where, archive, member):
    try:
        return json.loads(archive.read(member).decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"{where}: {member} is not valid JSON ({exc})") from None


def _weights(where, store, plan):
    if "layers" not in store:
        raise ValueError(f"{where}: model.weights.h5 has no 'layers' group")
    root, counts, stored = store["layers"], {}, {}
    specs = plan.specs if plan.kind == "functional" else plan.weighted_specs
    for spec in specs:
        base = snake_case(spec.keras_class)
        counts[base] = counts.get(base, -1) + 1
        key = base if counts[base] == 0 else f"{base}_{counts[base]}"
        if spec.keras_class == "InputLayer":
            continue
        group = root[key] if key in root else None
        stored[spec.name] = [(f"{key}/{label}", read_array(where, array, f"{key}/{label}"))
                             for label, array in _arrays(group, spec)]
    return stored


def _arrays(group, spec):
    """(label, dataset) of a layer's group in Keras' storage order."""
    if group is None:
        return []
    out = _vars(group, "")
    if spec.keras_class in RECURRENT and "cell" in group:
        out += _vars(group["cell"], "cell/")
    if spec.keras_class == "Bidirectional":
        backward = spec.children.get("backward_layer", spec.children["layer"])
        for attr, child in (("forward_layer", spec.children["layer"]),
                            ("backward_layer", backward)):
            out += [(f"{attr}/{label}", a) for label, a in
                    _arrays(group[attr] if attr in group else None, child)]
    for attr in SUBLAYERS.get(spec.keras_class, ()):
        if attr in group:
            out += _vars(group[attr], f"{attr}/")
    if spec.keras_class == "TimeDistributed":
        out += [(f"layer/{label}", a) for label, a in
                _arrays(group["layer"] if "layer" in group else None, spec.children["layer"])]
    return out


def _vars(group, prefix):
    if "vars" not in group:
        return []
    items = group["vars"]
    return [(f"{prefix}vars/{k}", items[k]) for k in sorted(items, key=int)]
