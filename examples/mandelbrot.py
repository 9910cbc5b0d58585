"""The Mandelbrot set with glflow ops, as in TensorFlow's classic tutorial: every point c of a
grid of the complex plane iterates z <- z^2 + c on the GPU, all points at once, as tensors, and
counts the steps before |z| passes 2. The counts are coloured through a palette lookup on the
GPU and written as a PNG.

    glflow run examples/mandelbrot.py [--out DIR] [--width W] [--height H] [--iterations N]
    glflow run examples/mandelbrot.py --smoke          (small and quick: what the tests run)

glflow has no complex dtype, so z and c are pairs of float32 tensors (real, imaginary).
A point that escapes keeps its last z (a `where`), so no value overflows to inf or NaN and
the numbers are the same on every backend: the script checks them against the same iteration
in numpy. `mandelbrot_step` is one function of tensors, the unit a graph-mode compiler
(`gf.function`, not on main yet) could fuse into one kernel.
"""
import argparse
import os
import time

import numpy as np

import glflow as gf

# The view of the tutorial: real part -2..1, imaginary part -1.3..1.3.
REAL_RANGE = (-2.0, 1.0)
IMAG_RANGE = (-1.3, 1.3)
SMOKE = {"width": 48, "height": 36, "iterations": 40}
FULL = {"width": 600, "height": 520, "iterations": 200}


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


def escape_counts(c_re, c_im, iterations, step=mandelbrot_step):
    """How many iterations each point stays within |z| <= 2 (iterations: never escapes)."""
    z_re, z_im, count = gf.zeros_like(c_re), gf.zeros_like(c_im), gf.zeros_like(c_re)
    for _ in range(iterations):
        # tidy frees each iteration's intermediates at once instead of at garbage collection
        z_re, z_im, count = gf.tidy(lambda: step(c_re, c_im, z_re, z_im, count))
    return count


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


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default="glflow_pictures", help="folder for mandelbrot.png")
    parser.add_argument("--width", type=int)
    parser.add_argument("--height", type=int)
    parser.add_argument("--iterations", type=int)
    parser.add_argument("--smoke", action="store_true", help="small and quick (tests)")
    args = parser.parse_args(argv)
    sizes = dict(SMOKE if args.smoke else FULL)
    sizes.update({k: getattr(args, k) for k in sizes if getattr(args, k) is not None})
    width, height, iterations = sizes["width"], sizes["height"], sizes["iterations"]

    info = gf.backend_info()
    print(f"glflow on {info['backend']} ({info['renderer']})")
    c_re_np, c_im_np = grid(width, height)
    c_re, c_im = gf.tensor(c_re_np), gf.tensor(c_im_np)
    escape_counts(c_re[:2, :2], c_im[:2, :2], 1).numpy()   # compile the shaders first
    start = time.perf_counter()
    count = escape_counts(c_re, c_im, iterations)
    colours = gf.gather(gf.tensor(palette(iterations).astype(np.float32) / 255),
                        gf.cast(count, "int32"))           # [H, W, 3], on the GPU
    image = colours.numpy()                                 # waits for the GPU
    seconds = time.perf_counter() - start
    print(f"mandelbrot {width}x{height}, {iterations} iterations: {seconds:.2f} s with glflow "
          "ops (eager: one kernel launch per op)")

    start = time.perf_counter()
    reference = numpy_counts(c_re_np, c_im_np, iterations)
    print(f"the same iteration in numpy: {time.perf_counter() - start:.2f} s")
    differ = int(np.count_nonzero(count.numpy() != reference))
    print(f"counts match numpy: {differ == 0} ({differ} of {width * height} points differ)")
    os.makedirs(args.out, exist_ok=True)
    path = gf.io.write_image(os.path.join(args.out, "mandelbrot.png"), image)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
