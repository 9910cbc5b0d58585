"""conv: conv2d 3x3, [1, 64, 64, 32] -> 32 channels, NHWC, same padding, GL vs numpy.

GL runs the direct kernel (glflow/backends/gl/conv_direct.py: 8 output pixels x 4 channels a
fragment over 8 render targets, no im2col, then an unpack pass); the input gradient runs the
same kernel, the filter gradient its own reduction over output pixels
(glflow/backends/gl/conv_filter_grad.py). numpy: the same im2col
(sliding_window_view) and one BLAS matmul. A 512^3 GL matmul is timed in the same rounds so
the conv's GFLOP/s can be read against what the matmul kernel reaches on this machine at the
moment (llvmpipe timings drift several-fold with the host's load). Also timed: the conv's
gradient (input + filters), max_pool 2x2 and batch_norm on the same activations.
Target (issue 3): conv2d >= 10 GFLOP/s on llvmpipe.
"""
import numpy as np

import glflow as gf

from . import harness

DESCRIPTION = "conv2d 3x3 64x64x32->32 same: GL vs numpy, GFLOP/s (target >= 10)"
TARGET_GFLOPS = 10.0


def numpy_conv_same(x, f):
    """3x3 stride-1 'same' conv as im2col + matmul (float32 BLAS)."""
    kh, kw, cin, cout = f.shape
    padded = np.pad(x, [(0, 0), (kh // 2, kh - 1 - kh // 2), (kw // 2, kw - 1 - kw // 2), (0, 0)])
    win = np.lib.stride_tricks.sliding_window_view(padded, (kh, kw), axis=(1, 2))
    patches = win.transpose(0, 1, 2, 4, 5, 3).reshape(-1, kh * kw * cin)
    return (patches @ f.reshape(-1, cout)).reshape(x.shape[:3] + (cout,))


def run(quick=False, size=64, channels=32, out_channels=32):
    reps = 5 if quick else 15
    rng = np.random.default_rng(0)
    xa = rng.standard_normal((1, size, size, channels)).astype(np.float32)
    fa = (rng.standard_normal((3, 3, channels, out_channels)) * 0.1).astype(np.float32)
    ma = rng.standard_normal((512, 512)).astype(np.float32)
    x, f, m = gf.tensor(xa), gf.tensor(fa), gf.tensor(ma)
    mean, var = gf.tensor(xa.mean((0, 1, 2))), gf.tensor(xa.var((0, 1, 2)))
    grad_fn = gf.grads(lambda t, w: gf.sum(gf.conv2d(t, w, 1, "same")))
    gl_variants = [("gl conv2d", lambda: gf.conv2d(x, f, 1, "same")),
                   ("gl conv2d gradient (x, filters)", lambda: grad_fn([x, f])),
                   ("gl matmul 512^3 (reference)", lambda: gf.matmul(m, m)),
                   ("gl max_pool 2x2", lambda: gf.max_pool(x, 2)),
                   ("gl batch_norm", lambda: gf.batch_norm(x, mean, var))]
    numpy_variants = [("numpy conv2d (im2col + BLAS)", lambda: numpy_conv_same(xa, fa)),
                      ("numpy batch_norm", lambda: (xa - xa.mean((0, 1, 2))) / np.sqrt(
                          xa.var((0, 1, 2)) + 1e-3))]
    # GL variants take turns among themselves; numpy runs in its own block afterwards:
    # OpenBLAS threads keep spinning after a matmul and take the cores llvmpipe rasterises
    # on (interleaved, the GL conv measured 1.5-2x slower; see bench/matmul.py).
    gl_times = harness.measure_interleaved([fn for _, fn in gl_variants], reps=reps, warmup=2)
    np_times = harness.measure_interleaved([fn for _, fn in numpy_variants], reps=reps,
                                           warmup=2, sync=[False, False])
    variants = [gl_variants[0], numpy_variants[0]] + gl_variants[1:] + numpy_variants[1:]
    times = [gl_times[0], np_times[0]] + gl_times[1:] + np_times[1:]
    conv_flops = 2 * size * size * 9 * channels * out_channels
    flops = {0: conv_flops, 1: conv_flops, 2: 2 * conv_flops, 3: 2 * 512 ** 3}
    rows = []
    for i, ((name, _), t) in enumerate(zip(variants, times)):
        row = {"variant": name, "ms": t * 1e3}
        row["gflops"] = flops[i] / t / 1e9 if i in flops else None
        rows.append(row)
    error = float(np.max(np.abs(gf.conv2d(x, f, 1, "same").numpy() - numpy_conv_same(xa, fa))))
    gflops = rows[0]["gflops"]
    summary = {"shape": f"[1, {size}, {size}, {channels}] * [3, 3, {channels}, {out_channels}]",
               "conv_gflops": gflops, "matmul_512_gflops_same_run": rows[3]["gflops"],
               "conv_over_matmul_gflops": gflops / rows[3]["gflops"],
               "ratio_gl_over_numpy": times[0] / times[1],
               "target": f">= {TARGET_GFLOPS} GFLOP/s", "target_met": gflops >= TARGET_GFLOPS,
               "max_abs_error_vs_numpy": error}
    return {"rows": rows, "summary": summary, "settings": {"reps": reps, "warmup": 2}}
