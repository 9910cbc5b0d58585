"""Argument checks and shape arithmetic shared by the convolution, pooling and spatial layers.

Every check raises a ValueError naming the layer and the argument, so a typo in a model
definition fails where it was written, not inside an op three layers later.
"""
from ..ops._nn_args import positive_ints, window_geometry
from .shapes import show

DATA_FORMATS = {"channels_last": "last", "channels_first": "first"}
PADDINGS = ("valid", "same")


def where(layer):
    return f"{type(layer).__name__} {layer.name!r}"


def int_tuple(layer, arg, value, n):
    """An int or a sequence of n ints (each >= 1) as an n-tuple: the ops' positive_ints, with
    one ValueError naming the layer for every kind of bad value."""
    try:
        return positive_ints(where(layer), arg, value, n)
    except (TypeError, ValueError):
        raise ValueError(f"{where(layer)}: {arg} must be an int >= 1 or {n} such ints, "
                         f"got {value!r}") from None


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
    """Output size of a convolution or pooling window along one axis, by the ops' rule
    (window_geometry). None stays None; a 'valid' window larger than the input gives 0 here
    (the op refuses it when called)."""
    if length is None:
        return None
    if padding == "valid" and length < dilation * (kernel - 1) + 1:
        return 0
    (out,), _ = window_geometry("conv_output_length", padding, [length], [kernel], [stride],
                                [dilation], None, "window")
    return out


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

