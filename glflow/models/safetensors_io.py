"""The safetensors layout, read and written without the optional `safetensors` package.

    8 bytes   N, the header length (unsigned little-endian)
    N bytes   JSON: {name: {"dtype": "F32", "shape": [...], "data_offsets": [begin, end]}, ...,
              optional "__metadata__": {str: str}}, padded with spaces to a multiple of 8
    rest      the tensors' bytes, little-endian, C order; offsets count from the start of this
              buffer, and the tensors tile it exactly (no gaps, no overlaps)

When the package is importable glflow uses its numpy API instead; the two are interchangeable
(tests/test_saving.py reads each one's output with the other).
"""
import json
import math
import struct

import numpy as np

DTYPES = {"F32": np.dtype("<f4"), "F64": np.dtype("<f8"), "I32": np.dtype("<i4"),
          "I64": np.dtype("<i8"), "BOOL": np.dtype("?"), "U8": np.dtype("u1"),
          "F16": np.dtype("<f2")}
_CODES = {v: k for k, v in DTYPES.items()}


def dumps(tensors, metadata=None):
    header, chunks, at = {}, [], 0
    for name in sorted(tensors):
        array = _contiguous(tensors[name])
        dtype = array.dtype.newbyteorder("<") if array.dtype.byteorder == ">" else array.dtype
        code = _CODES.get(np.dtype(dtype))
        if code is None:
            raise TypeError(f"safetensors: unsupported dtype {array.dtype} for {name!r}")
        raw = array.astype(DTYPES[code], copy=False).tobytes()
        header[name] = {"dtype": code, "shape": list(array.shape),
                        "data_offsets": [at, at + len(raw)]}
        chunks.append(raw)
        at += len(raw)
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + b"".join(chunks)


def loads(data):
    """{name: numpy array}; any inconsistency raises ValueError."""
    data = bytes(data)
    if len(data) < 8:
        raise ValueError("safetensors: data shorter than its 8-byte header length")
    (n,) = struct.unpack("<Q", data[:8])
    if n > len(data) - 8:
        raise ValueError(f"safetensors: header length {n} runs past the end of the data "
                         f"({len(data)} bytes)")
    try:
        header = json.loads(data[8:8 + n].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise ValueError(f"safetensors: header is not valid JSON ({type(exc).__name__}: "
                         f"{exc})") from None
    if not isinstance(header, dict):
        raise ValueError("safetensors: header must be a JSON object")  # noqa: TRY004 - file content
    header.pop("__metadata__", None)
    buffer = memoryview(data)[8 + n:]
    spans, out = [], {}
    for name, info in header.items():
        try:
            dtype = DTYPES[info["dtype"]]
            shape = [_integer(d) for d in info["shape"]]
            begin, end = (_integer(v) for v in info["data_offsets"])
        except (KeyError, TypeError, ValueError):
            raise ValueError(f"safetensors: bad entry for {name!r}: {info!r}"[:300]) from None
        if any(d < 0 for d in shape) or not 0 <= begin <= end <= len(buffer):
            raise ValueError(f"safetensors: {name!r} has shape {shape} and offsets "
                             f"[{begin}, {end}] outside the {len(buffer)}-byte buffer")
        # math.prod on Python ints: numpy's int64 product wrapped around for huge shapes
        # (a shape whose product overflowed to the span's size passed this check)
        if (end - begin) != math.prod(shape) * dtype.itemsize:
            raise ValueError(f"safetensors: {name!r} of shape {shape} ({info['dtype']}) does not "
                             f"fit its {end - begin} bytes")
        spans.append((begin, end))
        out[name] = np.frombuffer(buffer[begin:end], dtype=dtype).reshape(shape).copy()
    at = 0
    for begin, end in sorted(spans):
        if begin != at:
            raise ValueError("safetensors: tensor data has gaps or overlaps")
        at = end
    if at != len(buffer):
        raise ValueError(f"safetensors: {len(buffer) - at} trailing bytes after the tensors")
    return out


def _integer(value):
    """A JSON integer, refusing floats and booleans that int() would quietly convert."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"not an integer: {value!r}")
    return value


try:  # the optional package (Rust-backed, the reference implementation of the format)
    from safetensors import numpy as _package
except ImportError:  # pragma: no cover - depends on the environment
    _package = None


def _contiguous(array):
    """C order, shape kept: np.ascontiguousarray would turn a scalar (shape []) into [1]."""
    return np.asarray(array, order="C")


def save_bytes(tensors):
    if _package is not None:
        return _package.save({k: _contiguous(v) for k, v in tensors.items()})
    return dumps(tensors)


def load_bytes(data):
    if _package is not None:
        try:
            return dict(_package.load(bytes(data)))
        except Exception as exc:  # noqa: BLE001 - SafetensorError and friends, reported uniformly
            raise ValueError(f"safetensors: {exc}") from None
    return loads(data)
