"""Argument checks and geometry shared by the conv and pooling ops: int pairs, padding
rules (TF's "valid" / "same", explicit pairs) and output sizes. Errors name the op, the
argument and the shapes, and are raised before any GL work."""
import numbers

PADDING_MODES = ("valid", "same")


def positive_ints(op, name, value, count):
    """An int or a sequence of `count` ints, each >= 1, as a tuple of `count` ints."""
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        values = (int(value),) * count
    else:
        try:
            values = tuple(value)
        except TypeError:
            raise TypeError(f"{op}: {name} must be an int or {count} ints, got {value!r}") from None
        if len(values) != count or not all(
                isinstance(v, numbers.Integral) and not isinstance(v, bool) for v in values):
            raise ValueError(f"{op}: {name} must be an int or {count} ints, got {value!r}")
        values = tuple(int(v) for v in values)
    if any(v < 1 for v in values):
        raise ValueError(f"{op}: {name} must be >= 1, got {value!r}")
    return values


def check_format(op, data_format, allowed):
    if data_format not in allowed:
        raise ValueError(f"{op}: data_format must be one of {', '.join(allowed)}, "
                         f"got {data_format!r}")
    return data_format


def check_rank(op, name, t, rank, layout):
    if t.rank != rank:
        raise ValueError(f"{op}: {name} must have rank {rank} ({layout}), got shape {t.shape}")


def explicit_pads(op, padding, spatial, data_format):
    """Explicit padding as one (before, after) pair per spatial axis. Accepts one pair per
    spatial axis, or one per axis of the input with zero pairs on batch and channels (TF)."""
    try:
        pairs = [tuple(p) for p in padding]
    except TypeError:
        raise ValueError(f"{op}: padding must be 'valid', 'same' or a list of [before, after] "
                         f"pairs, got {padding!r}") from None
    if len(pairs) == spatial + 2:
        channels_last = data_format.endswith("C")
        outer = [0, spatial + 1] if channels_last else [0, 1]
        if any(tuple(pairs[i]) != (0, 0) for i in outer):
            raise ValueError(f"{op}: explicit padding of the batch and channel axes must be "
                             f"[0, 0], got {padding!r}")
        pairs = pairs[1:spatial + 1] if channels_last else pairs[2:]
    if len(pairs) != spatial or any(len(p) != 2 for p in pairs):
        raise ValueError(f"{op}: explicit padding needs {spatial} [before, after] pairs, "
                         f"got {padding!r}")
    for p in pairs:
        if not all(isinstance(v, numbers.Integral) and not isinstance(v, bool) for v in p):
            raise TypeError(f"{op}: padding amounts must be ints, got {padding!r}")
        if min(p) < 0:
            raise ValueError(f"{op}: padding amounts must be >= 0, got {padding!r}")
    return [(int(a), int(b)) for a, b in pairs]


def window_geometry(op, padding, in_sizes, windows, strides, dilations, data_format, what):
    """(output sizes, (before, after) pads) per spatial axis for a sliding window (conv
    filter or pool) of `windows` sizes. TF rules: valid -> no padding; same -> output
    ceil(in / stride), the extra pad at the end. A window that does not fit: ValueError."""
    spans = [(k - 1) * d + 1 for k, d in zip(windows, dilations)]
    if isinstance(padding, str):
        mode = padding.lower()
        if mode not in PADDING_MODES:
            raise ValueError(f"{op}: padding must be 'valid', 'same' or explicit pairs, "
                             f"got {padding!r}")
        if mode == "same":
            outs = [-(-n // s) for n, s in zip(in_sizes, strides)]
            pads = []
            for n, o, s, span in zip(in_sizes, outs, strides, spans):
                total = max((o - 1) * s + span - n, 0)
                pads.append((total // 2, total - total // 2))
            return outs, pads
        pads = [(0, 0)] * len(in_sizes)
    else:
        pads = explicit_pads(op, padding, len(in_sizes), data_format)
    outs = []
    for n, (a, b), s, span in zip(in_sizes, pads, strides, spans):
        if n + a + b < span:
            raise ValueError(f"{op}: the {what} ({list(windows)}, dilated to {spans}) is larger "
                             f"than the padded input ({list(in_sizes)} with padding {pads})")
        outs.append((n + a + b - span) // s + 1)
    return outs, pads
