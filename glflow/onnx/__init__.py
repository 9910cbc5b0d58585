"""Run ONNX models on glflow: `glflow.onnx.load(model)` -> a callable of glflow ops.

    import glflow as gf
    m = gf.onnx.load("model.onnx")      # a path, bytes or an onnx.ModelProto (opset >= 13)
    y = m(x)                            # numpy arrays or tensors in, tensors out
    m.inputs, m.outputs                 # names, shapes (symbolic dims kept), dtypes
    m.compiled, m.eager_reason          # calls run through graph mode, or why not

Needs the `onnx` package (`pip install glflow[onnx]`). The ONNX backend interface
(`onnx.backend.base.Backend`) is `glflow.onnx.backend`.
"""
try:
    import onnx as _onnx_package
except ImportError:  # the optional extra is not installed: say so when it is used
    _onnx_package = None

if _onnx_package is not None:
    from .errors import UnsupportedError
    from .graph import Port
    from .model import OnnxModel
    from .reader import read_model
else:
    class UnsupportedError(ValueError):
        pass

__all__ = ["load", "UnsupportedError"] + ([] if _onnx_package is None else
                                          ["OnnxModel", "Port", "read_model"])


def load(model, compile=True):
    """An ONNX model (a path, bytes or an onnx.ModelProto) as a callable OnnxModel. Every op,
    attribute and dtype the model uses is checked now: what glflow cannot run is refused here
    with an UnsupportedError naming the op type, the node and the attribute or dtype.

    Calls run compiled (graph mode: traced once per input shapes, fused, replayed) when the
    plan allows it (`m.compiled`; `m.eager_reason` says why not); `compile=False` runs every
    call eagerly, step by step."""
    if _onnx_package is None:
        raise ImportError("glflow.onnx.load needs the onnx package: pip install 'glflow[onnx]'")
    if not isinstance(compile, bool):
        raise TypeError(f"glflow.onnx.load: compile must be True or False, got "
                        f"{type(compile).__name__} {compile!r}")
    return OnnxModel(read_model(model), compile=compile)
