"""`glflow demo`: what glflow does, end to end, in under a minute on a 2-core CPU-only machine.

1. where it runs (GL renderer and limits);
2. tensors in textures, broadcasting, reductions, memory stats;
3. GL kernels checked against the numpy backend on the same random data;
4. matmul speed, GL vs numpy;
5. a Keras-style CNN trained on the GPU (autodiff, Adam), evaluated on held-out digits;
6. pixels and tensors on one GPU: a cube rendered with moderngl in glflow's context, taken as a
   tensor without a trip through the CPU, outlined by a conv2d and written as a PNG.
"""
import statistics
import time

import numpy as np

import glflow as gf

from .demo_render import render_picture


def _section(title):
    print(f"\n== {title}")


def _tensors(gf):
    _section("tensors live in RGBA32F textures")
    a = gf.tensor2d([[1, 2, 3], [10, 20, 30]])
    b = gf.tensor([1.0, 2.0, 3.0])
    c = (a + b).square().sum(axis=1)
    print("a =", a)
    print("(a + b).square().sum(axis=1) =", c)
    def iterate(t):
        for _ in range(100):
            t = (t * 0.5 + 1.0).sqrt()   # 99 intermediates, released by tidy
        return t
    c = gf.tidy(lambda: iterate(c))
    print("100 chained ops inside tidy ->", c)
    m = gf.memory()
    print(f"memory: {m['num_tensors']} tensors, {m['num_bytes']} bytes in use, "
          f"{m.get('bytes_pooled', 0)} pooled, {m.get('num_programs', 0)} programs, "
          f"{m.get('num_compiles', 0)} compiles")


def _agreement(gf, rng):
    _section("every GL result is checked against numpy")
    x = rng.standard_normal((257, 131)).astype(np.float32)
    y = rng.standard_normal((131, 67)).astype(np.float32)
    cases = {
        "sigmoid(x) * 2 - x": lambda t, u: (t.sigmoid() * 2 - t),
        "exp(x).sum(axis=0)": lambda t, u: t.exp().sum(axis=0),
        "matmul(x, y)": lambda t, u: gf.matmul(t, u),
        "mean((x - mean(x))**2)": lambda t, u: ((t - t.mean()) ** 2).mean(),
    }
    for name, fn in cases.items():
        results = {}
        for backend in ("gl", "cpu"):
            gf.set_backend(backend)
            results[backend] = fn(gf.tensor(x), gf.tensor(y)).numpy()
        gf.set_backend("gl")
        err = float(np.max(np.abs(results["gl"] - results["cpu"])))
        scale = float(np.max(np.abs(results["cpu"]))) or 1.0
        print(f"  {name:26s} max |gl - numpy| = {err:.2e} (relative {err / scale:.1e})")


def median_seconds(fn, reps=5, warmup=2, inner=1, sync=True):
    """Median seconds per call of fn after `warmup` untimed calls, each sample `inner` calls
    and (sync) gf.finish() before the clock stops: the rules of glflow/bench/harness.py, which
    the demo may not import (the two are sibling applications in .importlinter)."""
    for _ in range(warmup):
        fn()
    if sync:
        gf.finish()
    samples = []
    for _ in range(reps):
        start = time.perf_counter()
        for _ in range(inner):
            fn()
        if sync:
            gf.finish()
        samples.append((time.perf_counter() - start) / inner)
    return statistics.median(samples)


def _matmul_speed(gf, rng, n, measure=median_seconds):
    """GL and numpy matmul rates, both fair: warmed up, medians of several runs, GL stopped by
    finish(). The phases run apart, GL first, as glflow/bench/matmul.py does: OpenBLAS's
    threads spin on after each call and take the cores llvmpipe needs, and numpy timed cold
    right after GL work read ~15x too slow (11 GFLOP/s where the bench measures ~170)."""
    _section(f"matmul {n}x{n}: GL fragment shaders vs numpy (medians after warm-up)")
    a = rng.standard_normal((n, n)).astype(np.float32)
    b = rng.standard_normal((n, n)).astype(np.float32)
    ta, tb = gf.tensor(a), gf.tensor(b)
    t_gl = measure(lambda: gf.matmul(ta, tb), reps=5, warmup=2)
    c = np.empty((n, n), np.float32)
    t_np = measure(lambda: np.matmul(a, b, out=c), reps=5, warmup=2,
                   inner=max(1, 2 ** 27 // n ** 3), sync=False)
    flop = 2.0 * n ** 3
    print(f"  GL {flop / t_gl / 1e9:6.1f} GFLOP/s   numpy {flop / t_np / 1e9:6.1f} GFLOP/s "
          f"(renderer: {gf.backend_info().get('renderer')})")
    return t_gl, t_np


def _train(gf, rng, quick):
    _section("a Keras-style CNN trained on the GPU (Conv2D, MaxPooling2D, Dense, Adam)")
    x, y, source = _digits(rng)
    n_test = len(x) // 5
    xt, yt, x, y = x[:n_test], y[:n_test], x[n_test:], y[n_test:]
    gf.set_seed(0)
    model = gf.Sequential([
        gf.layers.Conv2D(16, 3, activation="relu", input_shape=x.shape[1:]),
        gf.layers.MaxPooling2D(2), gf.layers.Flatten(),
        gf.layers.Dense(64, activation="relu"), gf.layers.Dropout(0.2),
        gf.layers.Dense(10, activation="softmax")])
    model.compile(optimizer=gf.optimizers.Adam(3e-3), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    model.summary()
    epochs = 8 if quick else 20
    t0 = time.perf_counter()
    history = model.fit(x, y, epochs=epochs, batch_size=64, validation_split=0.1,
                        callbacks=[gf.callbacks.EarlyStopping(patience=3)], verbose=0)
    elapsed = time.perf_counter() - t0  # one wall-clock run, shader compiles included
    for epoch, (loss, acc) in enumerate(zip(history.history["loss"],
                                            history.history["accuracy"])):
        if epoch % max(1, epochs // 5) == 0 or epoch == len(history.history["loss"]) - 1:
            print(f"  epoch {epoch + 1:3d}  loss {loss:.4f}  accuracy {acc:.3f}")
    loss, acc = model.evaluate(xt, yt, verbose=0)
    print(f"  {len(history.history['loss'])} epochs in {elapsed:.1f} s (wall time, first-use "
          f"shader compiles included); test accuracy {acc:.3f} on {source}")
    return acc


def _digits(rng):
    """scikit-learn's bundled 8x8 digits (no download) as [n, 8, 8, 1] images in [0, 1]."""
    try:
        from sklearn.datasets import load_digits
    except ImportError:
        x = rng.uniform(0, 1, (1000, 8, 8, 1)).astype(np.float32)
        y = (x[:, :4].mean(axis=(1, 2, 3)) * 10).astype(np.int64) % 10
        return x, y, "random images (install scikit-learn for the digits)"
    digits = load_digits()
    order = rng.permutation(len(digits.target))
    x = (digits.images[order] / 16.0).astype(np.float32)[..., None]
    return x, digits.target[order], "scikit-learn's 8x8 digits"


def run(quick=False):
    rng = np.random.default_rng(0)
    _section("backend")
    for key, value in gf.backend_info().items():
        print(f"  {key:20s} {value}")
    if gf.get_backend() != "gl":
        print("  (OpenGL unavailable: running on the numpy backend)")
    _tensors(gf)
    if gf.get_backend() == "gl":
        _agreement(gf, rng)
        _matmul_speed(gf, rng, 256 if quick else 512)
    _train(gf, rng, quick)
    if gf.get_backend() == "gl":
        _section("rendering and tensors share the GPU (moderngl -> gf.from_texture -> conv2d)")
        print(f"  wrote {render_picture()}")
    print("\ndone.")
    return 0
