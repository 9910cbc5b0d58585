"""Reading an ONNX model: a path, bytes or an onnx.ModelProto in; a checked ModelProto out,
its local functions inlined and its opset at 13 or newer. Every refusal is a ValueError that
says what was read and why it is not a model glflow can load."""
import os

import onnx
from google.protobuf.message import DecodeError
from onnx import inliner, version_converter

from .errors import UnsupportedError
from .graph import unwrap

MIN_OPSET = 13


def read_model(source):
    """The ModelProto behind `source` (path, bytes or ModelProto), checked and normalised."""
    if isinstance(source, onnx.ModelProto):
        model, what = source, "the ModelProto"
    elif isinstance(source, (bytes, bytearray, memoryview)):
        model, what = _parse(bytes(source), f"{len(source)} bytes"), f"{len(source)} bytes"
    elif isinstance(source, (str, os.PathLike)):
        model, what = _read_file(os.fspath(source)), repr(os.fspath(source))
    else:
        raise TypeError(f"onnx.load: expected a path, bytes or an onnx.ModelProto, "
                        f"got {type(source).__name__}")
    _check(model, what)
    if model.functions:
        model = inliner.inline_local_functions(model)
    return _at_least_opset_13(model, what)


def _read_file(path):
    with open(path, "rb") as f:
        data = f.read()
    model = _parse(data, repr(path))
    if any(t.data_location == onnx.TensorProto.EXTERNAL for t in model.graph.initializer):
        onnx.load_external_data_for_model(model, os.path.dirname(os.path.abspath(path)))
    return model


def _parse(data, what):
    model = onnx.ModelProto()
    try:
        model.ParseFromString(data)
    except (DecodeError, RuntimeError, ValueError) as exc:
        raise ValueError(f"onnx.load: {what} is not an ONNX model (truncated or another "
                         f"format: {exc})") from None
    return model


def _check(model, what):
    # protobuf parses many non-models without complaint (an empty file is an empty message),
    # so the checker decides: a model has an IR version, opsets and a graph with outputs.
    if model.ir_version == 0 or not model.opset_import or not model.graph.output:
        raise ValueError(f"onnx.load: {what} is not an ONNX model (no IR version, opset or "
                         "graph outputs: truncated or another format)")
    try:
        onnx.checker.check_model(_with_inferred_shapes(model))
    except onnx.checker.ValidationError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else "invalid"
        raise ValueError(f"onnx.load: {what} is not a valid ONNX model: {first}") from None


def _with_inferred_shapes(model):
    """The model to check: where a graph input or output declares no shape (the checker
    requires one, onnxruntime does not), a copy with the shapes ONNX's inference gives."""
    g = model.graph
    inner = [unwrap(vi.type)[1] for vi in list(g.input) + list(g.output)]
    if all(t.tensor_type.HasField("shape") for t in inner if t.HasField("tensor_type")):
        return model
    try:
        return onnx.shape_inference.infer_shapes(model)
    except Exception:  # inference refuses it: the checker will say why
        return model


def default_opset(model):
    for o in model.opset_import:
        if o.domain in ("", "ai.onnx"):
            return o.version
    return None


def _at_least_opset_13(model, what):
    opset = default_opset(model)
    if opset is None or opset >= MIN_OPSET:
        return model
    # older models go through ONNX's own version converter; what it cannot convert is refused
    try:
        converted = version_converter.convert_version(model, MIN_OPSET)
    except Exception as exc:  # the converter raises bare RuntimeErrors and more
        raise UnsupportedError(f"onnx.load: {what} uses opset {opset}; glflow runs opset "
                               f"{MIN_OPSET} and newer, and ONNX's version converter could "
                               f"not convert it ({str(exc).splitlines()[0]})") from None
    return converted
