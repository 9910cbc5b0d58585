"""ONNX element types and how glflow holds them.

glflow stores float32, int32 and bool. Every ONNX float type that numpy can hold (float16,
bfloat16, float64) is computed in float32; every integer type is held in int32, exact while
the values fit (int32's range, and on GL |v| <= 2**24: the ops refuse the rest with a clear
error); bool is bool. Strings, complex numbers and the 8-, 4- and 2-bit float and integer
formats have no glflow counterpart: a model that computes with them is refused at load time.
Host values (shape arithmetic) stay numpy arrays in their exact ONNX dtype.
"""
import numpy as np
from onnx import TensorProto, helper

FLOATS = {TensorProto.FLOAT, TensorProto.FLOAT16, TensorProto.DOUBLE, TensorProto.BFLOAT16}
INTS = {TensorProto.UINT8, TensorProto.INT8, TensorProto.UINT16, TensorProto.INT16,
        TensorProto.INT32, TensorProto.INT64, TensorProto.UINT32, TensorProto.UINT64}
BOOLS = {TensorProto.BOOL}
SUPPORTED = FLOATS | INTS | BOOLS


def name(elem_type):
    """'FLOAT', 'INT64', ... (ONNX's own spelling), or the number when it is unknown."""
    try:
        return TensorProto.DataType.Name(elem_type)
    except (ValueError, TypeError):
        return str(elem_type)


def numpy_dtype(elem_type):
    """The numpy dtype of an ONNX element type (the exact one: int64 stays int64)."""
    return np.dtype(helper.tensor_dtype_to_np_dtype(elem_type))


def glflow_dtype(elem_type):
    """The glflow dtype that computes an ONNX element type, None when there is none."""
    if elem_type in FLOATS:
        return "float32"
    if elem_type in INTS:
        return "int32"
    if elem_type in BOOLS:
        return "bool"
    return None


def kind(elem_type):
    """'float', 'int' or 'bool': what a call-time argument must hold for that type."""
    return {"float32": "float", "int32": "int", "bool": "bool"}.get(glflow_dtype(elem_type))


def array_kind(array):
    """The same for a numpy array ('other' for strings, complex, objects)."""
    k = array.dtype.kind
    if k == "f" or array.dtype == numpy_dtype(TensorProto.BFLOAT16):
        return "float"
    if k in "iu":
        return "int"
    if k == "b":
        return "bool"
    return "other"
