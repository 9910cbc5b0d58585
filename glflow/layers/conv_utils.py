"""Argument checks and shape arithmetic shared by the convolution, pooling and spatial layers.

Every check raises a ValueError naming the layer and the argument, so a typo in a model
definition fails where it was written, not inside an op three layers later.
"""
import numbers

from .. import ops
from .shapes import show

DATA_FORMATS = {"channels_last": "last", "channels_first": "first"}
PADDINGS = ("valid", "same")


def where(layer):
    return f"{type(layer).__name__} {layer.name!r}"


def int_tuple(layer, arg, value, n, minimum=1):
    """An int or a sequence of n ints (each >= minimum) as an n-tuple."""
    items = (value,) * n if isinstance(value, numbers.Integral) else value
    try:
        items = tuple(items)
    except TypeError:
        items = None
    if (items is None or len(items) != n or any(isinstance(v, bool) or
                                                not isinstance(v, numbers.Integral)
                                                for v in items)
            or any(v < minimum for v in items)):
        raise ValueError(f"{where(layer)}: {arg} must be an int >= {minimum} or {n} such ints, "
                         f"got {value!r}")
    return tuple(int(v) for v in items)


def padding_mode(layer, value, allowed=PADDINGS):
    mode = value.lower() if isinstance(value, str) else value
    if mode not in allowed:
        raise ValueError(f"{where(layer)}: padding must be one of {', '.join(allowed)}, "
                         f"got {value!r}")
    return mode


def data_format(layer, value):
    value = "channels_last" if value is None else value
    if value not in DATA_FORMATS:
        raise ValueError(f"{where(layer)}: data_format must be 'channels_last' or "
                         f"'channels_first', got {value!r}")
    return value


def op_format(data_format_, spatial_rank):
    """The op-level layout name: NWC/NCW, NHWC/NCHW."""
    spatial = "W" if spatial_rank == 1 else "HW"
    return f"N{spatial}C" if data_format_ == "channels_last" else f"NC{spatial}"


def channel_axis(data_format_):
    return -1 if data_format_ == "channels_last" else 1


def spatial_dims(shape, data_format_):
    """The spatial sizes of a batch-first shape."""
    return tuple(shape[1:-1]) if data_format_ == "channels_last" else tuple(shape[2:])


def with_spatial(shape, data_format_, spatial, channels):
    """A batch-first shape with new spatial sizes and channel count."""
    if data_format_ == "channels_last":
        return (shape[0],) + tuple(spatial) + (channels,)
    return (shape[0], channels) + tuple(spatial)


def conv_output_length(length, kernel, padding, stride, dilation=1):
    """Output size of a convolution or pooling window along one axis (None stays None)."""
    if length is None:
        return None
    if padding == "same":
        return -(-length // stride)
    span = dilation * (kernel - 1) + 1
    return max(0, (length - span) // stride + 1)


def deconv_output_length(length, kernel, padding, stride):
    """Output size of a transposed convolution along one axis: the size a convolution with
    the same arguments maps back onto `length`."""
    if length is None:
        return None
    if padding == "same":
        return length * stride
    return (length - 1) * stride + kernel


def check_rank(layer, shape, rank, what):
    if not isinstance(shape, tuple) or len(shape) != rank:
        got = show(shape) if isinstance(shape, tuple) else repr(shape)
        raise ValueError(f"{where(layer)}: expects {what} inputs of rank {rank}, got shape {got}")


def known_channels(layer, shape, data_format_):
    channels = shape[channel_axis(data_format_)]
    if channels is None:
        raise ValueError(f"{where(layer)}: the channel axis of the input must be known, got "
                         f"shape {show(shape)} ({data_format_})")
    return int(channels)


def require_op(layer, name):
    """The glflow op `name`, or a clear error when this build of glflow lacks it."""
    fn = getattr(ops, name, None)
    if fn is None:
        raise NotImplementedError(f"{where(layer)}: needs the op glflow.{name}, which this "
                                  "build of glflow does not provide")
    return fn
