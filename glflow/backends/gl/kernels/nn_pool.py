"""Pooling kernels on GL: max_pool, avg_pool, max_pool_argmax and the gradients
max_pool_grad / avg_pool_grad. One fragment writes one output texel (4 channels of one pixel
when C % 4 == 0); the shared geometry and main() are in shaders/templates/pool.glsl."""
from math import prod

from ..programs import load


def pool_source(kernel, aligned):
    """Fragment source (no #version) of shaders/<kernel>.frag on the pooling template."""
    defines = "#define ALIGNED\n" if aligned else ""
    return (defines + load("templates/common.glsl") + "\n" + load("templates/pool.glsl")
            + "\n" + load(f"{kernel}.frag"))


def _program(backend, kernel, channels, samplers):
    return backend.programs.get(pool_source(kernel, channels % 4 == 0), samplers)


def _run(backend, kernel, inputs, names, out_size, in_shape, out_hw, window, strides, pads):
    out = backend.alloc(out_size)
    if out_size == 0:
        return out
    prog = _program(backend, kernel, in_shape[3], [f"u_{n}" for n in names])
    for name, data in zip(names, inputs):
        prog.set(f"u_{name}_shift", data.layout.shift)
    for name, value in (("u_in", tuple(in_shape)), ("u_out", tuple(out_hw)),
                        ("u_window", tuple(window)), ("u_stride", tuple(strides)),
                        ("u_pad", tuple(pads)), ("u_out_shift", out.layout.shift),
                        ("u_out_size", out_size)):
        prog.set(name, value)
    backend.draw(prog, out, inputs)
    return out


# Every kernel gets the pooled input's NHWC `in_shape` and the pooled `out_hw`; the forward
# kernels write [N, OH, OW, C], the gradients write in_shape.

def max_pool(backend, x, out_shape, in_shape, out_hw, window, strides, pads):
    return _run(backend, "max_pool", [x], ["x"], prod(out_shape), in_shape, out_hw, window,
                strides, pads)


def max_pool_argmax(backend, x, out_shape, in_shape, out_hw, window, strides, pads):
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


KERNELS = {"max_pool": max_pool, "max_pool_argmax": max_pool_argmax, "avg_pool": avg_pool, "avg_pool_grad": avg_pool_grad, "max_pool_grad": max_pool_grad}
