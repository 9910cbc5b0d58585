"""models: predict and one training step of three models, GL against the numpy backend, with
the kernels each launches.

- mlp_784_256_256_10 and cnn_mnist: the TF.js peer harness's MLP (batch 64) and CNN (batch
  32), seeded uniform(+-0.05) weights (model_zoo.py);
- digits_cnn: the model of tests/test_digits_cnn.py, batch 64.

Every (model, backend) pair runs in a fresh process of its own: llvmpipe's and OpenBLAS's
worker threads spin on after work and slow the other backend down (bench/training.py has the
figures), a GL failure cannot take the other cases with it, and the cold first calls
(`*_cold_ms`: shader compiles, optimizer slots) are really the process's first. The pairs run
GL, numpy, GL, numpy, ... so a change of machine load hits both alike.

Per phase, by the peer harness's timing rule (tfjs_rule.py): `predict` is
`model.predict(x, batch_size=batch)` (outputs read back), `train_step` is
`model.train_on_batch(x, y)` (forward, loss, backward, Adam, metrics, and the read of its
logs). Inputs: seeded uniform [0, 1) images, labels 0-9. `kernels_per_*` counts the kernels
one call launches; `programs_compiled_*` the shader programs its first calls compiled.
"""
import functools
from typing import Callable, NamedTuple

import numpy as np

import glflow as gf

from . import harness, model_zoo
from .runner import Case, error_text
from .tfjs_rule import RULES, timeit

DESCRIPTION = ("predict and train step of the MLP, the CNN and the digits CNN, GL vs the "
               "numpy backend, kernels per step")
BACKENDS = ("gl", "cpu")


class Spec(NamedTuple):
    build: Callable
    input_shape: tuple
    batch: int
    tiny_batch: int


MODELS = {
    "mlp_784_256_256_10": Spec(model_zoo.mlp, (784,), 64, 4),
    "cnn_mnist": Spec(model_zoo.cnn_mnist, (28, 28, 1), 32, 2),
    "digits_cnn": Spec(model_zoo.digits_cnn, (8, 8, 1), 64, 4),
}
CHILD = ("import sys; from glflow.bench import harness, models; "
         "harness.print_child_result(models.measure(sys.argv[1], sys.argv[2]))")


def batch_size(spec, size):
    return spec.tiny_batch if size == "tiny" else spec.batch


def data(spec, batch):
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 1, (batch,) + spec.input_shape).astype(np.float32)
    y = rng.integers(0, 10, batch).astype(np.int64)
    return x, y


def kernels_per_call(fn):
    before = harness.kernel_count()
    fn()
    gf.finish()
    return harness.kernel_count() - before


def measure(name, size):
    """The row of one model on the active backend (run in a child process: see above)."""
    spec = MODELS[name]
    batch = batch_size(spec, size)
    gf.set_seed(0)
    model = model_zoo.compile_for_training(spec.build())
    x, y = data(spec, batch)
    phases = {"predict": lambda: model.predict(x, batch_size=batch, verbose=0),
              "train_step": lambda: model.train_on_batch(x, y)}
    row = {"model": name, "backend": gf.get_backend(), "batch": batch}
    errors = []
    for phase, fn in phases.items():
        compiles = harness.compile_count()
        try:
            result = timeit(fn, RULES[size])
            row[f"kernels_per_{phase}"] = kernels_per_call(fn)
        except Exception as exc:  # reported in the row; the other phase still runs
            errors.append(f"{phase}: {error_text(exc)}")
            continue
        row.update({f"{phase}_ms": result["median_ms"], f"{phase}_cold_ms": result["cold_ms"],
                    f"{phase}_reps": result["reps"], f"{phase}_all_ms": result["all_ms"],
                    f"programs_compiled_{phase}": harness.compile_count() - compiles})
    if "train_step_ms" in row:
        row["train_samples_per_s"] = batch / row["train_step_ms"] * 1e3
    if errors:
        row["error"] = "; ".join(errors)
    return row


def in_child(name, backend, size):
    return harness.run_child(CHILD, [name, size], env={"GLFLOW_BACKEND": backend})


def cases(size):
    return [Case(f"{name} {backend}", functools.partial(in_child, name, backend, size))
            for name in MODELS for backend in BACKENDS]


def settings(size):
    return {"rule": RULES[size]._asdict(), "optimizer": "Adam(1e-3)",
            "loss": "sparse_categorical_crossentropy", "metrics": ["accuracy"],
            "isolation": "one fresh process per model and backend"}


def summarize(rows, size):
    """GL / numpy time per model and phase."""
    times = {(r.get("model"), r.get("backend")): r for r in rows}
    out = {}
    for name in MODELS:
        gl, cpu = times.get((name, "gl"), {}), times.get((name, "cpu"), {})
        for phase in ("predict", "train_step"):
            key = f"{phase}_ms"
            if key in gl and key in cpu:
                out[f"{name}_{phase}_gl_over_numpy"] = gl[key] / cpu[key]
    return out
