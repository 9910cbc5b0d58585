"""Pooling kernels on GL: max_pool, avg_pool, max_pool_argmax, the gradients max_pool_grad /
avg_pool_grad and max_pool_gather (the adjoint of max_pool_grad). One fragment writes one
output texel (4 channels of one pixel when C % 4 == 0) of a tensor's own texture, so no shape
needs tiling; the shared geometry and main() are in shaders/templates/pool.glsl. Inputs are
read through image units where elementwise passes read so (context.py, "Image loads")."""
from math import prod

from .programs import load

EXACT_POSITIONS = 1 << 24  # integers a float32 holds exactly


def pool_source(kernel, aligned, image=False):
    """Fragment source (no #version) of shaders/<kernel>.frag on the pooling template; image:
    the inputs read through image units (context.py, "Image loads")."""
    defines = ("#define ALIGNED\n" if aligned else "") + ("#define IMAGE_INPUT\n" if image else "")
    return (defines + load("templates/common.glsl") + "\n" + load("templates/pool.glsl")
            + "\n" + load(f"pool/{kernel}.frag"))


def _program(backend, kernel, channels, samplers, image):
    return backend.programs.get(pool_source(kernel, channels % 4 == 0, image), samplers)


def _run(backend, kernel, inputs, names, out_size, in_shape, out_hw, window, strides, pads):
    out = backend.alloc(out_size)
    if out_size == 0:
        return out
    image = backend.image_inputs >= len(inputs)
    prog = _program(backend, kernel, in_shape[3], [f"u_{n}" for n in names], image)
    for name, data in zip(names, inputs):
        prog.set(f"u_{name}_shift", data.layout.shift)
    for name, value in (("u_in", tuple(in_shape)), ("u_out", tuple(out_hw)),
                        ("u_window", tuple(window)), ("u_stride", tuple(strides)),
                        ("u_pad", tuple(pads)), ("u_out_shift", out.layout.shift),
                        ("u_out_size", out_size)):
        prog.set(name, value)
    backend.draw(prog, out, inputs, images=(True,) * len(inputs) if image else None)
    return out


# Every kernel gets the pooled input's NHWC `in_shape` and the pooled `out_hw`; the forward
# kernels write [N, OH, OW, C], the gradients write in_shape.

def max_pool(backend, x, out_shape, in_shape, out_hw, window, strides, pads):
    return _run(backend, "max_pool", [x], ["x"], prod(out_shape), in_shape, out_hw, window,
                strides, pads)


def max_pool_argmax(backend, x, out_shape, in_shape, out_hw, window, strides, pads):
    """Each window's argmax as a position in the window (see max_pool_argmax_limit)."""
    return _run(backend, "max_pool_argmax", [x], ["x"], prod(out_shape), in_shape, out_hw,
                window, strides, pads)


def avg_pool(backend, x, out_shape, in_shape, out_hw, window, strides, pads):
    return _run(backend, "avg_pool", [x], ["x"], prod(out_shape), in_shape, out_hw, window,
                strides, pads)


def avg_pool_grad(backend, dy, out_shape, in_shape, out_hw, window, strides, pads):
    return _run(backend, "avg_pool_grad", [dy], ["dy"], prod(out_shape), in_shape, out_hw,
                window, strides, pads)


def max_pool_grad(backend, argmax, dy, out_shape, in_shape, out_hw, window, strides, pads):
    return _run(backend, "max_pool_grad", [argmax, dy], ["argmax", "dy"], prod(out_shape),
                in_shape, out_hw, window, strides, pads)


def max_pool_gather(backend, argmax, d, out_shape, in_shape, out_hw, window, strides, pads):
    return _run(backend, "max_pool_gather", [argmax, d], ["argmax", "d"], prod(out_shape),
                in_shape, out_hw, window, strides, pads)


def max_pool_argmax_limit(backend, out_shape, window, **_):
    """A float32 texel holds positions exactly up to 2^24: windows of more positions (a
    4097 x 4097 window) cannot say where their maximum is."""
    if window[0] * window[1] <= EXACT_POSITIONS:
        return None
    return (f"the max-pool gradient of a {list(window)} window (more than {EXACT_POSITIONS} "
            f"positions) cannot index its maximum in a float32 texture; use global_max_pool")


KERNELS = {"max_pool": max_pool, "max_pool_argmax": max_pool_argmax, "avg_pool": avg_pool,
           "avg_pool_grad": avg_pool_grad, "max_pool_grad": max_pool_grad,
           "max_pool_gather": max_pool_gather}
LIMITS = {"max_pool_argmax": max_pool_argmax_limit}
