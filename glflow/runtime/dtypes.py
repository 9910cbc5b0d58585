"""The three dtypes glflow stores, and the rules that map values and numpy dtypes onto them."""
import numpy as np

FLOAT32 = "float32"
INT32 = "int32"
BOOL = "bool"
DTYPES = (FLOAT32, INT32, BOOL)

_NUMPY = {FLOAT32: np.float32, INT32: np.int32, BOOL: np.bool_}

# GL storage is RGBA32F: an int32 is exact there only while |v| <= 2**24 (float32's mantissa).
# Values beyond are refused at creation on the GL backend instead of being silently rounded.
GL_EXACT_INT_LIMIT = 1 << 24


def normalize(dtype, op="tensor"):
    """Map 'float32', np.float32, float, int, bool, ... to one of DTYPES, or raise."""
    if dtype is None:
        return None
    if isinstance(dtype, str) and dtype in DTYPES:
        return dtype
    if dtype is float:
        return FLOAT32
    if dtype is int:
        return INT32
    if dtype is bool:
        return BOOL
    try:
        kind = np.dtype(dtype)
    except TypeError:
        kind = None
    if kind is not None:
        if kind == np.bool_:
            return BOOL
        if kind.kind == "f":
            return FLOAT32
        if kind.kind in "iu":
            return INT32
    raise TypeError(f"{op}: unsupported dtype {dtype!r}; glflow supports {', '.join(DTYPES)}")


def numpy_dtype(dtype):
    if dtype == FLOAT32:
        return _float_storage[0]
    return _NUMPY[dtype]


# The numpy type that holds "float32" tensors on the cpu backend. Tests switch it to float64
# (float64_reference) so gradients can be checked against finite differences in float64;
# nothing else changes it.
_float_storage = [np.float32]


class float64_reference:
    """Context: cpu-backend float tensors are stored and computed in float64 (tests only)."""

    def __enter__(self):
        _float_storage[0] = np.float64

    def __exit__(self, *exc):
        _float_storage[0] = np.float32
        return False


def infer(array):
    """The glflow dtype a numpy array converts to by default (numpy float64 -> float32, like tfjs)."""
    kind = array.dtype.kind
    if kind == "b":
        return BOOL
    if kind in "iu":
        return INT32
    if kind == "f":
        return FLOAT32
    raise TypeError(f"tensor: cannot make a tensor from values of numpy dtype {array.dtype}")


def promote(*dtypes):
    """Result dtype of arithmetic: float32 wins, then int32; bool arithmetic gives int32."""
    if FLOAT32 in dtypes:
        return FLOAT32
    return INT32
