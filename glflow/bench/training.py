"""training: one Keras-style training step (train_on_batch, batch 64) and inference on a batch
of 64 (predict), GL vs the numpy (cpu) backend, for two models:

- digits CNN: Conv2D(16, 3, relu) on 8x8x1 -> MaxPooling2D(2) -> Flatten -> Dense(64, relu)
  -> Dropout(0.2) -> Dense(10, softmax) (the model of tests/test_digits_cnn.py);
- MLP 784-256-256-10: Dense(256, relu) -> Dense(256, relu) -> Dense(10, softmax).

A step is the whole user-visible call: forward, loss, backward, Adam update, metric update and
the one read-back of the running logs (which synchronises; gf.finish() follows anyway).
Inputs are seeded random data of the right shapes: the cost does not depend on the values.

Each backend is timed in a spawned process of its own, never next to the other in one
process: llvmpipe's worker threads spin on after GL work and slow numpy down (measured: the
MLP's cpu train step went from 13.5 ms to 71 ms right after GL steps in the same process),
and numpy's BLAS threads do the same to llvmpipe (see bench/matmul.py). The processes
alternate (GL, cpu, GL, cpu, ...) and the medians pool every round, so a change in machine
load (the CI machine is shared) hits both backends alike. Within a process, training and
inference of one model take turns in every round. `kernels_per_step` counts the kernels one training step
launches: on llvmpipe each dependent GL pass costs 13-100 us of driver wake-ups, so this
count, not arithmetic, bounds a small model's GL step time.
"""
import functools
import multiprocessing
import statistics

import numpy as np

import glflow as gf

from . import harness, model_zoo

DESCRIPTION = "train_on_batch / predict, batch 64: digits CNN and MLP 784-256-256-10, GL vs cpu"
BATCH = 64
MODELS = ("digits_cnn", "mlp_784_256_256_10")
# default (glorot) initializers, seeded by gf.set_seed(0) in `compiled`
BUILDERS = {"digits_cnn": functools.partial(model_zoo.digits_cnn, seeded=False),
            "mlp_784_256_256_10": functools.partial(model_zoo.mlp, seeded=False)}
INPUT_SHAPES = {"digits_cnn": (8, 8, 1), "mlp_784_256_256_10": (784,)}


def batch_for(name, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.uniform(0, 1, (BATCH,) + INPUT_SHAPES[name]).astype(np.float32)
    y = rng.integers(0, 10, BATCH).astype(np.int64)
    return x, y


def compiled(name):
    gf.set_seed(0)
    return model_zoo.compile_for_training(BUILDERS[name]())


def kernels_per_step(step):
    before = harness.kernel_count()
    step()
    gf.finish()
    return harness.kernel_count() - before


def time_backend(backend, reps, warmup):
    """{model: ([train seconds], [predict seconds], kernels per step)} on one backend; runs
    in a child process of its own (see the module docstring)."""
    gf.set_backend(backend)
    out = {}
    for name in MODELS:
        model = compiled(name)
        x, y = batch_for(name)

        def train():
            model.train_on_batch(x, y)

        def predict():
            model.predict(x, batch_size=BATCH, verbose=0)

        clock = []
        harness.measure_interleaved([train, predict], reps=reps, warmup=warmup, clock=clock)
        out[name] = (clock[0], clock[1], kernels_per_step(train))
    return out


def run(quick=False):
    rounds, reps = (1, 9) if quick else (3, 11)
    warmup = 3 if quick else 10   # the first steps compile shaders and make optimizer slots
    samples = {(name, b): ([], []) for name in MODELS for b in ("gl", "cpu")}
    kernels = {}
    spawn = multiprocessing.get_context("spawn")
    for _ in range(rounds):   # GL, cpu, GL, cpu, ...: load drift hits both backends
        for backend in ("gl", "cpu"):
            with spawn.Pool(1) as pool:
                result = pool.apply(time_backend, (backend, reps, warmup))
            for name, (train_s, predict_s, count) in result.items():
                samples[name, backend][0].extend(train_s)
                samples[name, backend][1].extend(predict_s)
                kernels[name, backend] = count
    rows, summary = [], {}
    for name in MODELS:
        medians = {}
        for backend in ("gl", "cpu"):
            train_s, predict_s = (statistics.median(s) for s in samples[name, backend])
            medians[backend] = train_s, predict_s
            rows.append({"model": name, "backend": backend, "train_step_ms": train_s * 1e3,
                         "train_samples_per_s": BATCH / train_s,
                         "predict_ms": predict_s * 1e3,
                         "kernels_per_step": kernels[name, backend]})
        summary[f"{name}_train_gl_over_cpu"] = medians["gl"][0] / medians["cpu"][0]
        summary[f"{name}_predict_gl_over_cpu"] = medians["gl"][1] / medians["cpu"][1]
    return {"rows": rows, "summary": summary,
            "settings": {"rounds": rounds, "reps_per_round": reps, "warmup": warmup,
                         "batch": BATCH, "optimizer": "Adam(1e-3)",
                         "loss": "sparse_categorical_crossentropy",
                         "isolation": "one spawned process per backend and round"}}
