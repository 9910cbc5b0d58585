"""The Mandelbrot set with glflow ops, as in TensorFlow's classic tutorial: every point c of a
grid of the complex plane iterates z <- z^2 + c on the GPU, all points at once, as tensors, and
counts the steps before |z| passes 2. It runs twice: eagerly, op by op (13 kernels an
iteration), and in graph mode, where `gf.function` compiles UNROLL iterations into one fused
kernel writing z and the counts through three render targets. Both are timed, their kernels
counted (gf.profile) and checked against the same iteration in numpy; the counts are coloured
through a palette lookup on the GPU and written as PNGs.

    glflow run examples/mandelbrot.py [--out DIR] [--width W] [--height H] [--iterations N]
                                      [--unroll K]
    glflow run examples/mandelbrot.py --smoke          (small and quick: what the tests run)

glflow has no complex dtype, so z and c are pairs of float32 tensors (real, imaginary).
A point that escapes keeps its last z (a `where`), so no value overflows to inf or NaN and
the numbers are the same on every backend. The fused kernel rounds as the ops one by one do
(its temporaries are GLSL `precise` where the GL has it), so both variants give numpy's counts.
"""
import argparse
import functools
import os
import time

import numpy as np

import glflow as gf

# The view of the tutorial: real part -2..1, imaginary part -1.3..1.3.
REAL_RANGE = (-2.0, 1.0)
IMAG_RANGE = (-1.3, 1.3)
SMOKE = {"width": 48, "height": 36, "iterations": 40}
FULL = {"width": 600, "height": 520, "iterations": 200}
# iterations one compiled call runs, in one kernel of about 13 ops an iteration (graph mode
# caps a kernel at fuse_elementwise.MAX_OPS ops: the shader, and its compile time, grow)
UNROLL = 10


def grid(width, height):
    """c for every pixel, row 0 the top (largest imaginary part), as float32 [H, W] pairs."""
    re = np.linspace(*REAL_RANGE, width, dtype=np.float32)
    im = np.linspace(IMAG_RANGE[1], IMAG_RANGE[0], height, dtype=np.float32)
    c_re, c_im = np.meshgrid(re, im)
    return c_re.astype(np.float32), c_im.astype(np.float32)


def mandelbrot_step(c_re, c_im, z_re, z_im, count):
    """One iteration for every point: z <- z^2 + c where |z| <= 2 still, count those."""
    re2 = z_re * z_re
    im2 = z_im * z_im
    inside = (re2 + im2) <= 4.0
    new_re = gf.where(inside, re2 - im2 + c_re, z_re)
    new_im = gf.where(inside, (z_re * 2.0) * z_im + c_im, z_im)
    return new_re, new_im, count + gf.cast(inside, "float32")


def unrolled_steps(k):
    """k iterations as one function of tensors: gf.function traces its loop unrolled."""
    def steps(c_re, c_im, z_re, z_im, count):
        for _ in range(k):
            z_re, z_im, count = mandelbrot_step(c_re, c_im, z_re, z_im, count)
        return z_re, z_im, count
    steps.__name__ = f"mandelbrot_{k}_steps"
    return steps


@functools.lru_cache(maxsize=None)
def compiled_steps(k):
    """k iterations compiled (graph mode): traced once per grid shape, one fused kernel."""
    return gf.function(unrolled_steps(k))


def escape_counts(c_re, c_im, iterations, unroll=None):
    """How many iterations each point stays within |z| <= 2 (iterations: never escapes);
    op by op, or in graph mode `unroll` iterations per compiled call."""
    z_re, z_im, count = gf.zeros_like(c_re), gf.zeros_like(c_im), gf.zeros_like(c_re)
    done = 0
    while done < iterations:
        k = 1 if unroll is None else min(unroll, iterations - done)
        step = mandelbrot_step if unroll is None else compiled_steps(k)
        # tidy frees each call's intermediates at once instead of at garbage collection
        z_re, z_im, count = gf.tidy(lambda: step(c_re, c_im, z_re, z_im, count))
        done += k
    return count


def kernels_per_call(fn, *args):
    """The kernels one call of fn launches (gf.profile; a compiled fn is compiled first)."""
    return gf.profile(lambda: fn(*args)).kernel_names


def palette(iterations):
    """uint8 RGB colour of each count 0..iterations: a smooth dark-blue to gold ramp (three
    Bernstein polynomials of the escape time), black for points that never escape."""
    t = np.sqrt(np.arange(iterations + 1) / iterations)
    colours = np.stack([9.0 * (1 - t) * t ** 3, 15.0 * (1 - t) ** 2 * t ** 2,
                        8.5 * (1 - t) ** 3 * t], axis=-1)
    colours = np.clip(np.rint(colours * 255), 0, 255).astype(np.uint8)
    colours[iterations] = 0
    return colours


def numpy_counts(c_re, c_im, iterations):
    """The same iteration in numpy float32, for the check."""
    z_re = np.zeros_like(c_re)
    z_im = np.zeros_like(c_im)
    count = np.zeros_like(c_re)
    for _ in range(iterations):
        re2, im2 = z_re * z_re, z_im * z_im
        inside = (re2 + im2) <= np.float32(4)
        z_re, z_im = (np.where(inside, re2 - im2 + c_re, z_re),
                      np.where(inside, (z_re * np.float32(2)) * z_im + c_im, z_im))
        count = count + inside.astype(np.float32)
    return count


def colour(count, iterations):
    """[H, W, 3] uint8-valued colours of the counts, looked up on the GPU."""
    table = gf.tensor(palette(iterations).astype(np.float32) / 255)
    return gf.gather(table, gf.cast(count, "int32")).numpy()


def timed(fn):
    start = time.perf_counter()
    result = fn().numpy()                                   # waits for the GPU
    return result, time.perf_counter() - start


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default="glflow_pictures", help="folder for the PNGs")
    parser.add_argument("--width", type=int)
    parser.add_argument("--height", type=int)
    parser.add_argument("--iterations", type=int)
    parser.add_argument("--unroll", type=int, default=UNROLL,
                        help=f"iterations per compiled kernel (default {UNROLL})")
    parser.add_argument("--smoke", action="store_true", help="small and quick (tests)")
    args = parser.parse_args(argv)
    sizes = dict(SMOKE if args.smoke else FULL)
    sizes.update({k: getattr(args, k) for k in sizes if getattr(args, k) is not None})
    width, height, iterations = sizes["width"], sizes["height"], sizes["iterations"]
    unroll = max(1, min(args.unroll, iterations))

    info = gf.backend_info()
    print(f"glflow on {info['backend']} ({info['renderer']})")
    c_re_np, c_im_np = grid(width, height)
    c_re, c_im = gf.tensor(c_re_np), gf.tensor(c_im_np)
    zero = gf.zeros_like(c_re)
    escape_counts(c_re[:2, :2], c_im[:2, :2], 1).numpy()   # compile the eager shaders first
    start = time.perf_counter()                             # graph mode: trace, optimise and
    for k in {unroll, iterations % unroll} - {0}:           # compile each call shape once
        compiled_steps(k)(c_re, c_im, zero, zero, zero)[2].numpy()
    compile_seconds = time.perf_counter() - start

    eager, eager_seconds = timed(lambda: escape_counts(c_re, c_im, iterations))
    fused, fused_seconds = timed(lambda: escape_counts(c_re, c_im, iterations, unroll))
    eager_kernels = kernels_per_call(mandelbrot_step, c_re, c_im, zero, zero, zero)
    fused_kernels = kernels_per_call(compiled_steps(unroll), c_re, c_im, zero, zero, zero)
    start = time.perf_counter()
    reference = numpy_counts(c_re_np, c_im_np, iterations)
    numpy_seconds = time.perf_counter() - start

    print(f"mandelbrot {width}x{height}, {iterations} iterations:")
    print(f"  eager ops:  {eager_seconds:7.3f} s, {len(eager_kernels)} kernels an iteration")
    print(f"  graph mode: {fused_seconds:7.3f} s, {len(fused_kernels)} kernel"
          f"{'s' if len(fused_kernels) != 1 else ''} per {unroll} iterations ({unroll} steps "
          f"in one gf.function; tracing and compiling took {compile_seconds:.2f} s before)")
    print(f"  numpy:      {numpy_seconds:7.3f} s")
    differ = [int(np.count_nonzero(counts != reference)) for counts in (eager, fused)]
    print(f"counts match numpy: {differ == [0, 0]} (eager: {differ[0]}, graph mode: "
          f"{differ[1]} of {width * height} points differ)")
    os.makedirs(args.out, exist_ok=True)
    for name, counts in (("mandelbrot.png", eager), ("mandelbrot_fused.png", fused)):
        path = gf.io.write_image(os.path.join(args.out, name),
                                 colour(gf.tensor(counts), iterations))
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
