"""`glflow demo`: what glflow does, end to end, in under a minute on a 2-core CPU-only machine.

1. where it runs (GL renderer and limits);
2. tensors in textures, broadcasting, reductions, memory stats;
3. GL kernels checked against the numpy backend on the same random data;
4. matmul speed, GL vs numpy;
5. a small network trained on the GPU with autodiff.
"""
import time

import numpy as np


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


def _matmul_speed(gf, rng, n):
    _section(f"matmul {n}x{n}: GL fragment shaders vs numpy")
    a = rng.standard_normal((n, n)).astype(np.float32)
    b = rng.standard_normal((n, n)).astype(np.float32)
    ta, tb = gf.tensor(a), gf.tensor(b)
    gf.matmul(ta, tb).numpy()  # compile and warm up
    times = []
    for _ in range(3):
        t0 = time.perf_counter()
        c = gf.matmul(ta, tb)
        gf.finish()
        times.append(time.perf_counter() - t0)
        del c
    t_gl = float(np.median(times))
    t0 = time.perf_counter()
    for _ in range(3):
        a @ b
    t_np = (time.perf_counter() - t0) / 3
    flop = 2.0 * n ** 3
    print(f"  GL {flop / t_gl / 1e9:6.1f} GFLOP/s   numpy {flop / t_np / 1e9:6.1f} GFLOP/s "
          f"(renderer: {gf.backend_info().get('renderer')})")


def _train(gf, rng, quick):
    _section("training a 2-layer network on the GPU (autodiff, SGD)")
    x, y, source = _dataset(rng)
    n_train = int(len(x) * 0.8)
    classes = int(y.max()) + 1
    xt, yt = gf.tensor(x[:n_train]), gf.tensor(np.eye(classes, dtype=np.float32)[y[:n_train]])
    w1 = gf.variable(gf.random_normal([x.shape[1], 64], stddev=0.1, seed=1), name="w1")
    b1 = gf.variable(gf.zeros([64]), name="b1")
    w2 = gf.variable(gf.random_normal([64, classes], stddev=0.1, seed=2), name="w2")
    b2 = gf.variable(gf.zeros([classes]), name="b2")
    params = [w1, b1, w2, b2]

    def logits(inputs):
        return gf.matmul(gf.relu(gf.matmul(inputs, w1) + b1), w2) + b2

    def loss():
        z = logits(xt)
        z = z - z.mean(axis=1, keepdims=True)
        log_probs = z - gf.log(gf.exp(z).sum(axis=1, keepdims=True))
        return -(log_probs * yt).sum() / n_train

    steps = 60 if quick else 300
    t0 = time.perf_counter()
    for step in range(steps):
        with gf.tidy():
            result = gf.variable_grads(loss, params)
            for v in params:
                v.assign(v - result["grads"][v.name] * 0.5)
            if step % (steps // 5) == 0 or step == steps - 1:
                print(f"  step {step:4d}  loss {result['value'].item():.4f}")
    elapsed = time.perf_counter() - t0
    pred = np.argmax(logits(gf.tensor(x[n_train:])).numpy(), axis=1)
    acc = float(np.mean(pred == y[n_train:]))
    print(f"  {steps} steps in {elapsed:.1f} s; held-out accuracy {acc:.3f} on {source}")
    return acc


def _dataset(rng):
    try:
        from sklearn.datasets import load_digits
        digits = load_digits()
        order = rng.permutation(len(digits.target))
        return (digits.data[order] / 16.0).astype(np.float32), digits.target[order], \
            "scikit-learn's 8x8 digits"
    except ImportError:
        x = rng.standard_normal((1000, 16)).astype(np.float32)
        y = (x[:, :4].sum(axis=1) > 0).astype(np.int64) + 2 * (x[:, 4] > 0)
        return x, y, "a synthetic 4-class problem (install scikit-learn for the digits)"


def run(quick=False):
    import glflow as gf
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
    print("\ndone.")
    return 0
