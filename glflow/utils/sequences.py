"""pad_sequences: a list of variable-length sequences -> one [samples, maxlen] array, with
Keras's options and defaults (padding and truncating at the start, value 0, int32)."""
import numbers

import numpy as np


def pad_sequences(sequences, maxlen=None, dtype="int32", padding="pre", truncating="pre",
                  value=0.0):
    """Sequences longer than maxlen (default: the longest) lose their first items
    (truncating="pre") or last ones ("post"); shorter ones get `value` before them
    (padding="pre") or after ("post"). Items may be arrays of one shape (then the result is
    [samples, maxlen, *item_shape])."""
    where = "pad_sequences"
    for arg, given in (("padding", padding), ("truncating", truncating)):
        if given not in ("pre", "post"):
            raise ValueError(f"{where}: {arg} must be 'pre' or 'post', got {given!r}")
    if not hasattr(sequences, "__len__"):
        raise ValueError(f"{where}: sequences must be a list of sequences, got "
                         f"{type(sequences).__name__}")
    lengths = []
    for i, s in enumerate(sequences):
        if not hasattr(s, "__len__"):
            raise ValueError(f"{where}: sequences[{i}] is not a sequence ({type(s).__name__} "
                             f"{s!r}); every item must be a list or array")
        lengths.append(len(s))
    if maxlen is None:
        maxlen = max(lengths, default=0)
    if not isinstance(maxlen, numbers.Integral) or isinstance(maxlen, bool) or maxlen < 0:
        raise ValueError(f"{where}: maxlen must be an int >= 0 or None, got {maxlen!r}")
    maxlen = int(maxlen)
    dtype = np.dtype(dtype)
    if dtype.kind in "SUO" and not isinstance(value, str) and value is not None:
        raise ValueError(f"{where}: dtype {dtype} holds strings, but value {value!r} is not a "
                         "string")
    item_shape = next((np.asarray(s).shape[1:] for s in sequences if len(s)), ())
    out = np.full((len(lengths), maxlen) + item_shape, value, dtype=dtype)
    if maxlen == 0:
        return out
    for i, s in enumerate(sequences):
        if not len(s):
            continue
        kept = np.asarray(s[-maxlen:] if truncating == "pre" else s[:maxlen], dtype=dtype)
        if kept.shape[1:] != item_shape:
            raise ValueError(f"{where}: sequences[{i}] has items of shape "
                             f"{list(kept.shape[1:])}, the others {list(item_shape)}")
        if padding == "post":
            out[i, :len(kept)] = kept
        else:
            out[i, maxlen - len(kept):] = kept
    return out
