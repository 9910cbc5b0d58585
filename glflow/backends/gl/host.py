"""Small tensors stay on the host: TensorFlow.js's CPU forwarding, with GL's exact results.

A draw costs the same for 4 elements as for 4,000 (driver work plus the GL section), so TF.js's WebGL backend keeps tensors under 128 elements on
the CPU and computes cheap ops on them there. glflow does the same, transparently:

- `upload` of fewer than BELOW elements keeps a float32 copy on the host (GLData.host) and
  makes no texture; reading it back costs nothing;
- an elementwise kernel of FORWARDED whose inputs are all on the host and whose output has
  fewer than BELOW elements runs its numpy twin (glflow/backends/numpy/) on those float32
  copies, as GL would compute it: float32 arithmetic on the stored values, the result kept as
  the float32 value the shader would have written (no dtype rounding: GL does none either);
- the first time a GL kernel reads such a tensor, `GLData.texture` uploads it (once); the host
  copy stays, since a tensor's data never changes once made (kernels write new textures).

FORWARDED holds only kernels whose twin gives the shader's bits on every float32 input
(tests/test_host_forward.py compares them bit for bit, NaN, infinities and signed zeros
included). llvmpipe reads and writes denormals as zero where numpy keeps them, so host copies
never hold one: such data goes to a texture, and a forwarded result with one is recomputed on
GL. Transcendental kernels are left out: their GLSL approximations differ from
numpy's in the last bits. `GLFLOW_HOST_FORWARD=0` (or `backend.host_forward = False`) turns
forwarding off; the kernel tests do, so every GL kernel is still checked on the GPU.
"""
import os

import numpy as np

from ...runtime import counters
from ..numpy.backend import KERNELS as TWINS
from ..numpy._common import view

# TF.js's WEBGL_CPU_FORWARD threshold (tensors under 128 elements), the same here: below it a
# forwarded op costs less than the draw it replaces (benchmarks/README.md, "Host forwarding").
BELOW = 128

FORWARDED = frozenset({
    # arithmetic: one IEEE float32 operation per element in both GLSL and numpy
    "add", "sub", "mul", "neg", "maximum", "minimum", "squared_difference",
    # selection and comparisons: exact
    "abs", "ceil", "floor", "sign", "identity", "cast_bool", "cast_int",
    "equal", "not_equal", "greater", "greater_equal", "less", "less_equal",
    "logical_and", "logical_or", "logical_xor", "logical_not", "where",
    "is_finite", "is_inf", "is_nan",
    # piecewise-linear activations (not relu6: GL's clamp turns -0 into +0, numpy's clip not)
    "relu", "step", "leaky_relu", "prelu", "clip_by_value",
    # creation
    "fill",
})

TINY = np.float32(np.finfo(np.float32).tiny)  # the smallest normal float32
# has_denormal checks this many elements or fewer as Python floats (exact copies of float32)
FEW = 16
_TINY_FLOAT = float(TINY)
# Kernels that can make a denormal from normal inputs (a difference, a product, a parameter);
# the others only select, compare or round what they read.
MAY_DENORMALIZE = frozenset({"add", "sub", "mul", "squared_difference", "leaky_relu", "prelu",
                             "step", "clip_by_value", "fill"})


def enabled_by_default():
    return os.environ.get("GLFLOW_HOST_FORWARD", "1").strip().lower() not in ("0", "false",
                                                                               "no", "off")


def keep(flat):
    """The host copy `upload` keeps of a float32 array, or None: large, empty or holding a
    denormal, it goes to a texture."""
    if flat.size >= BELOW or flat.size == 0 or has_denormal(flat):
        return None
    return flat.copy()


def forwardable_params(values):
    """Whether these kernel parameters are normal floats: a shader reads a denormal uniform as
    zero, so such a launch goes to GL."""
    for v in values:
        if v != 0.0 and abs(v) < TINY:
            return False
    return True


def run_flat(kernel, ufunc, arrays):
    """The eager hot path of `run`: same-size or one-element operands (x + 1.0) of a kernel
    in UFUNCS, computed flat."""
    with np.errstate(all="ignore"):  # IEEE results (inf, nan) without warnings, as on GL
        return _checked(kernel, ufunc(*arrays))


def run(kernel, inputs, out_shape, size, attrs, params):
    """The kernel's result as GL would store it (flat float32) from host copies ([(array,
    shape)] inputs), or None where GL must run it: a denormal parameter or result (GL reads
    and writes them as zero)."""
    if params and not forwardable_params([attrs[p] for p in params]):
        return None
    with np.errstate(all="ignore"):
        return _checked(kernel, _general(kernel, inputs, out_shape, size, attrs, params))


def _checked(kernel, out):
    """out, counted as a host launch; None where it holds a denormal GL would have flushed."""
    if kernel in MAY_DENORMALIZE and has_denormal(out):
        return None
    counters.count_kernel("host", kernel)
    return out


# numpy ufuncs equal to the twins on same-shape float32 operands (the twins add broadcasting,
# views and int32/bool handling that host copies, always float32, do not need)
UFUNCS = {"add": np.add, "sub": np.subtract, "mul": np.multiply, "neg": np.negative}


def _general(kernel, inputs, out_shape, size, attrs, params):
    views = attrs.get("views") if attrs else None
    if views is None:
        arrays = [h.reshape(shape) for h, shape in inputs]
    else:
        arrays = [view(h, shape, v) for (h, shape), v in zip(inputs, views)]
    result = TWINS[kernel](*arrays, *[attrs[p] for p in params])
    out = np.empty(size, np.float32)
    out.reshape(out_shape)[...] = result
    return out


def has_denormal(a):
    """llvmpipe's shaders read a denormal float as zero and flush a denormal result to zero
    (its JIT sets the CPU's denormals-are-zero and flush-to-zero modes); numpy keeps them. Host
    copies never hold one, so forwarded results are GL's bit for bit."""
    if 0 < a.size <= FEW and min(map(abs, a.tolist())) >= _TINY_FLOAT:
        return False  # the common case on a few elements, in a quarter of numpy's call time
    m = np.abs(a)
    smallest = m.min()
    if smallest >= TINY or smallest != smallest:  # the common case (or a nan)
        return smallest != smallest and bool(((m < TINY) & (m > 0)).any())
    return smallest > 0 or bool(((m < TINY) & (m > 0)).any())
