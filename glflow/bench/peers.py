"""peers: the TensorFlow.js peer harness's cases, timed by its rule, under its case names, so
`glflow bench --suite peers --peer <tfjs results.json>` sets the two side by side.

Cases (full size; `--quick` keeps them and makes fewer calls, `--tiny` shrinks the shapes):
- overhead_add4_x1000: y = [1, 2, 3, 4]; 1000 times y = add(y, c) with c of 4 elements, the
  old y disposed each step, one read at the end; us_per_op = time / 1000, as shipped (the
  adds run on the host: backends/gl/host.py), and `forced_gl` with host forwarding off (every
  add a draw), as TF.js's two rows (WEBGL_CPU_FORWARD on and off);
- add_1048576, add_4194304: one add + a full read of the result (`with_readback`), and 10
  chained adds synchronised by reading a 1-element slice of the last (`chained_per_op_ms`);
- matmul_256, matmul_512, matmul_1024: square matmul, result read; GFLOP/s = 2 n^3 / t;
- conv2d_64x64x32_3x3x32: x [1, 64, 64, 32] NHWC, filter [3, 3, 32, 32], stride 1, same;
- mlp_784_256_256_10_b64: `model.predict(x)` of a batch of 64 (split into two batches of 32:
  the default batch size of both predict()s), outputs read;
- cnn_mnist_b32: the same for the CNN on 32 images 28x28x1.
Cold first calls (`cold_ms`, shader compiles included) come with every case; the peer table
shows matmul 1024's and the CNN's. Timing rule and inputs: tfjs_rule.py. One difference
stays: predict() takes the input as a numpy array and uploads it on every call (64 x 784
floats), where TF.js is handed a tensor already on the GPU.
"""
import functools

import numpy as np

import glflow as gf
from glflow.runtime import state

from . import harness, model_zoo, peer_table
from .runner import Case
from .tfjs_rule import OVERHEAD_RULES, RULES, rand_array, timeit

DESCRIPTION = "the TF.js peer harness's cases and timing rule (compare with --peer)"

SHAPES = {
    "full": {"overhead_ops": 1000, "add": (1 << 20, 1 << 22), "matmul": (256, 512, 1024),
             "conv": (64, 32), "mlp_batch": 64, "cnn_batch": 32},
    "tiny": {"overhead_ops": 20, "add": (4096,), "matmul": (16, 32), "conv": (8, 4),
             "mlp_batch": 4, "cnn_batch": 2},
}
CHAINED_ADDS = 10
PREDICT_BATCH = 32  # predict()'s default batch size, in TF.js and in glflow


def shapes(size):
    return SHAPES["tiny" if size == "tiny" else "full"]


def case_names(size):
    """The peer harness's name for each case at this size."""
    s = shapes(size)
    side, ch = s["conv"]
    return {"overhead": f"overhead_add4_x{s['overhead_ops']}",
            "add": [f"add_{n}" for n in s["add"]],
            "matmul": [f"matmul_{n}" for n in s["matmul"]],
            "conv": f"conv2d_{side}x{side}x{ch}_3x3x{ch}",
            "conv_label": f"conv2d [1,{side},{side},{ch}]*[3,3,{ch},{ch}] same",
            "mlp": f"mlp_784_256_256_10_b{s['mlp_batch']}",
            "cnn": f"cnn_mnist_b{s['cnn_batch']}", "chained_adds": CHAINED_ADDS}


def _timed(fn, rule, *inputs):
    """timeit, then dispose the case's inputs (also when a call failed)."""
    try:
        return timeit(fn, rule)
    finally:
        for t in inputs:
            t.dispose()


def overhead(n_ops, rule):
    """The chain as shipped, then with host forwarding off (every add drawn)."""
    if getattr(state.backend(), "host_forward", None) is None:  # not GL: one measurement
        return _overhead(n_ops, rule)
    with harness.host_forwarding(False):
        forced = _overhead(n_ops, rule)
    return {**_overhead(n_ops, rule), "forced_gl": forced}


def _overhead(n_ops, rule):
    x = gf.tensor([1.0, 2.0, 3.0, 4.0])
    c = gf.tensor([1e-3] * 4)

    def chain():
        y = x
        for _ in range(n_ops):
            z = gf.add(y, c)
            if y is not x:
                y.dispose()
            y = z
        y.numpy()
        y.dispose()
    result = _timed(chain, rule, x, c)
    return {"n_ops": n_ops, "us_per_op": result["median_ms"] * 1e3 / n_ops, **result}


def add(n, rule):
    a, b = gf.tensor(rand_array(n, 1)), gf.tensor(rand_array(n, 2))

    def with_readback():
        c = gf.add(a, b)
        c.numpy()
        c.dispose()

    def chained():
        y = a
        for _ in range(CHAINED_ADDS):
            z = gf.add(y, b)
            if y is not a:
                y.dispose()
            y = z
        last = gf.slice(y, [n - 1], [1])
        last.numpy()
        last.dispose()
        y.dispose()
    full = timeit(with_readback, rule)
    chain = _timed(chained, rule, a, b)
    return {"n": n, "with_readback": {"GBps": 12 * n / (full["median_ms"] * 1e6), **full},
            "chained_per_op_ms": chain["median_ms"] / CHAINED_ADDS,
            "chained": {"n_ops": CHAINED_ADDS, **chain}}


def matmul(n, rule):
    a = gf.tensor(rand_array(n * n, 3).reshape(n, n))
    b = gf.tensor(rand_array(n * n, 4).reshape(n, n))

    def product():
        c = gf.matmul(a, b)
        c.numpy()
        c.dispose()
    result = _timed(product, rule, a, b)
    return {"n": n, "GFLOPs": 2 * n ** 3 / (result["median_ms"] * 1e6), **result}


def conv2d(side, channels, rule):
    x = gf.tensor(rand_array(side * side * channels, 5).reshape(1, side, side, channels))
    w = gf.tensor(rand_array(9 * channels * channels, 6, 0.1).reshape(3, 3, channels, channels))

    def conv():
        y = gf.conv2d(x, w, 1, "same")
        y.numpy()
        y.dispose()
    result = _timed(conv, rule, x, w)
    flops = 2 * side * side * channels * channels * 9
    return {"input": [1, side, side, channels], "filter": [3, 3, channels, channels],
            "padding": "same", "GFLOPs": flops / (result["median_ms"] * 1e6), **result}


def predict(build, input_shape, seed, flops_per_sample, rule):
    model = build()
    n = int(np.prod(input_shape))
    x = np.abs(rand_array(n, seed)).reshape(input_shape)
    out = {}

    def run():
        out["y"] = model.predict(x, batch_size=PREDICT_BATCH, verbose=0)
    result = timeit(run, rule)
    batch = input_shape[0]
    return {"input": list(input_shape),
            "GFLOPs": batch * flops_per_sample / (result["median_ms"] * 1e6),
            "checksum_y00": float(out["y"].flat[0]), "ms_per_batch": result["median_ms"],
            **result}


def cases(size):
    s, names, rule = shapes(size), case_names(size), RULES[size]
    side, channels = s["conv"]
    found = [Case(names["overhead"], functools.partial(_fresh, overhead, s["overhead_ops"],
                                                       OVERHEAD_RULES[size]))]
    found += [Case(name, functools.partial(_fresh, add, n, rule))
              for name, n in zip(names["add"], s["add"])]
    found += [Case(name, functools.partial(_fresh, matmul, n, rule))
              for name, n in zip(names["matmul"], s["matmul"])]
    found.append(Case(names["conv"], functools.partial(_fresh, conv2d, side, channels, rule)))
    found.append(Case(names["mlp"], functools.partial(
        _fresh, predict, model_zoo.mlp, (s["mlp_batch"], 784), 31,
        model_zoo.MLP_FLOPS_PER_SAMPLE, rule)))
    found.append(Case(names["cnn"], functools.partial(
        _fresh, predict, model_zoo.cnn_mnist, (s["cnn_batch"], 28, 28, 1), 32,
        model_zoo.CNN_FLOPS_PER_SAMPLE, rule)))
    return found


def _fresh(fn, *args):
    """Run a case, then give pooled textures back: the large inputs of one case must not
    crowd the next. (No tidy scope around it: the peer harness has none, and a scope would
    collect every intermediate tensor of the timed calls.)"""
    try:
        return fn(*args)
    finally:
        gf.empty_cache()


def settings(size):
    rule, over = RULES[size], OVERHEAD_RULES[size]
    return {"rule": rule._asdict(), "overhead_rule": over._asdict(), "backend": gf.get_backend(),
            "peer_harness": "TF.js bench_core.js (shared/peers/tfjs)"}


def summarize(rows, size):
    out = {}
    for row in rows:
        name = row["case"]
        if "error" in row:
            continue
        if "us_per_op" in row:
            out[f"{name}_us_per_op"] = row["us_per_op"]
        elif "GFLOPs" in row and name.startswith(("matmul", "conv")):
            out[f"{name}_GFLOPs"] = row["GFLOPs"]
        elif "ms_per_batch" in row:
            out[f"{name}_ms"] = row["ms_per_batch"]
    return out


def report(doc, peer_files=()):
    """The peer table of a `peers` results file: glflow's column, and per TF.js results file
    its figures and the ratios."""
    peers = [peer_table.load_peer(path) for path in peer_files]
    size = doc.get("settings", {}).get("size", "full")
    return peer_table.render(doc, peers, case_names(size))
