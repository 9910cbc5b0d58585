"""pad in numpy (glflow/backends/gl/padding.py, shaders/padding/pad.frag on GL): x written into
a constant tensor, or mirrored into the margins."""
import numpy as np


def _source_positions(n_out, n, base, step, mode):
    """For one axis: input position read by each output position, and whether it is inside."""
    pos = np.arange(n_out, dtype=np.int64) - base
    if mode == "constant":
        signed = pos * (1 if step > 0 else -1)
        k = np.where(signed >= 0, signed // abs(step), -1)
        inside = (k * abs(step) == signed) & (k >= 0) & (k < n)
        return np.where(inside, k, 0), inside
    if mode == "reflect":
        k = (n - 1) - np.abs((n - 1) - np.abs(pos))
    else:  # symmetric
        k = np.where(pos < 0, -pos - 1, np.where(pos >= n, 2 * n - 1 - pos, pos))
    return k, np.ones(n_out, dtype=bool)


def pad(x, base, steps, mode, value, out_dims, in_dims=None):
    """out[m] = x[(m - base) / steps] along each axis, else `value` (constant) or x's mirror."""
    if x.size == 0:
        return np.full(out_dims, value)
    picks = [_source_positions(n_out, n, b, s, mode)
             for n_out, n, b, s in zip(out_dims, x.shape, base, steps)]
    values = x[np.ix_(*[k for k, _ in picks])]
    inside = np.ones(out_dims, dtype=bool)
    for d, (_, ok) in enumerate(picks):  # (np.ix_ would read boolean arrays as masks)
        inside = inside & ok.reshape([-1 if i == d else 1 for i in range(len(picks))])
    return np.where(inside, values, value)


KERNELS = {"pad": pad}
