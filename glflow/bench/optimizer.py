"""optimizer: a Keras-style train step of an MLP 784-256-256-10 (batch 64, Adam), with the
fused update kernels (one pass per variable writes the variable and its slots through several
render targets) against the composed ops they replace (12 elementwise passes per variable for
Adam), in the same interleaved rounds. Also timed alone: apply_gradients on fixed gradients,
where the difference is the whole story; and SGD with momentum (2 targets vs 4 passes).

The cpu backend's step (numpy) is timed afterwards, not interleaved: its BLAS threads and
llvmpipe's would compete (see bench/matmul.py).
"""
import numpy as np

import glflow as gf

from . import harness

DESCRIPTION = "MLP 784-256-256-10 batch-64 train step: fused vs composed optimizer updates"
LAYERS = (784, 256, 256, 10)
BATCH = 64


def _model(optimizer):
    model = gf.Sequential([gf.layers.Dense(LAYERS[1], activation="relu",
                                           input_shape=(LAYERS[0],)),
                           gf.layers.Dense(LAYERS[2], activation="relu"),
                           gf.layers.Dense(LAYERS[3])])
    model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy")
    return model


def _batch(seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((BATCH, LAYERS[0])).astype(np.float32)
    y = rng.integers(0, LAYERS[-1], BATCH).astype(np.int32)
    return x, y


def _optimizer(kind, fused):
    opt = (gf.optimizers.Adam(1e-3) if kind == "adam"
           else gf.optimizers.SGD(0.01, momentum=0.9))
    opt.fused = fused
    return opt


def _train_steps(kind, reps, warmup):
    """(fused s/step, composed s/step, final losses) for train_on_batch, interleaved."""
    x, y = _batch()
    models = [_model(_optimizer(kind, fused)) for fused in (True, False)]
    for model in models[1:]:  # the same initial weights, so both train the same network
        model.set_weights(models[0].get_weights())
    losses = [[], []]

    def step(i):
        return lambda: losses[i].append(float(models[i].train_on_batch(x, y)))
    times = harness.measure_interleaved([step(0), step(1)], reps=reps, warmup=warmup)
    return times, [losses[0][-1], losses[1][-1]]


def _update_only(kind, reps, warmup):
    """(fused, composed) s per apply_gradients on the MLP's variables with fixed gradients."""
    rng = np.random.default_rng(1)
    shapes = [(a, b) for a, b in zip(LAYERS, LAYERS[1:])]
    shapes = [s for pair in zip(shapes, [(b,) for _, b in shapes]) for s in pair]
    variables = [gf.variable(rng.standard_normal(s).astype(np.float32) * 0.05) for s in shapes]
    grads = [gf.tensor(rng.standard_normal(s).astype(np.float32) * 0.01) for s in shapes]
    optimizers = [_optimizer(kind, fused) for fused in (True, False)]
    fns = [lambda o=o: o.apply_gradients(zip(grads, variables)) for o in optimizers]
    return harness.measure_interleaved(fns, reps=reps, warmup=warmup)


def _passes_per_update(kind):
    """Kernel launches of one apply_gradients, fused and composed (counted, not assumed)."""
    counts = []
    for fused in (True, False):
        var = gf.variable(np.ones((4, 4), np.float32))
        grad = gf.ones([4, 4])
        opt = _optimizer(kind, fused)
        opt.apply_gradients([(grad, var)])  # slots made, constants uploaded
        before = harness.kernel_count()
        opt.apply_gradients([(grad, var)])
        counts.append(harness.kernel_count() - before)
    return counts


def run(quick=False):
    reps, warmup = (5, 2) if quick else (15, 3)
    rows, summary = [], {"layers": list(LAYERS), "batch": BATCH}
    backend = gf.get_backend()
    for kind in ("adam", "sgd_momentum"):
        (fused, composed), losses = _train_steps(kind, reps, warmup)
        upd_fused, upd_composed = _update_only(kind, reps, warmup)
        passes = _passes_per_update(kind)
        rows.append({"variant": f"{backend} {kind} fused", "step_ms": fused * 1e3,
                     "apply_gradients_ms": upd_fused * 1e3, "passes_per_variable": passes[0],
                     "final_loss": losses[0]})
        rows.append({"variant": f"{backend} {kind} composed", "step_ms": composed * 1e3,
                     "apply_gradients_ms": upd_composed * 1e3, "passes_per_variable": passes[1],
                     "final_loss": losses[1]})
        summary[f"{kind}_step_composed_over_fused"] = composed / fused
        summary[f"{kind}_apply_gradients_composed_over_fused"] = upd_composed / upd_fused
    if backend != "cpu":  # the numpy reference, after the GL rounds (not interleaved)
        gf.set_backend("cpu")
        try:
            (fused, composed), _ = _train_steps("adam", reps, warmup)
        finally:
            gf.set_backend(backend)
        rows.append({"variant": "cpu adam fused", "step_ms": fused * 1e3})
        rows.append({"variant": "cpu adam composed", "step_ms": composed * 1e3})
        summary["gl_adam_fused_step_over_cpu"] = rows[0]["step_ms"] / (fused * 1e3)
    return {"rows": rows, "summary": summary, "settings": {"reps": reps, "warmup": warmup}}
