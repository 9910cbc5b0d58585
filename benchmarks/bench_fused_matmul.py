"""fused_matmul (bias + relu inside matmul's unpack pass) vs the same work as three ops
(matmul, add bias, relu), on the active backend (GL by default), in one run.

    python benchmarks/bench_fused_matmul.py [--repeats 21] [--sizes 64,128,256,512] [--out DIR]

Each case is warmed up (shader compiles, pool filled), then timed `repeats` rounds (the
variants take turns) with gf.finish() before the clock stops; medians are reported and
written to <DIR>/fused_matmul.json (default: a new folder under ~/.cache/glflow/bench/; the
reference copy, benchmarks/results/fused_matmul.json, changes only with --out
benchmarks/results). Shapes are a dense layer: x [batch, n] @ w [n, n] + b [n].
"""
import argparse
import os
import statistics
import sys
import time

import numpy as np

# run from a source checkout without installing: the repository root holds the package
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import glflow as gf  # noqa: E402
from glflow.bench import output  # noqa: E402


def median_seconds(fns, repeats, warmup=3):
    """Median wall time of each fn; the fns take turns in every round, so load changes on a
    shared machine hit them alike."""
    for _ in range(warmup):
        for fn in fns:
            fn()
    gf.finish()
    times = [[] for _ in fns]
    for _ in range(repeats):
        for fn, acc in zip(fns, times):
            start = time.perf_counter()
            fn()
            gf.finish()
            acc.append(time.perf_counter() - start)
    return [statistics.median(t) for t in times]


def case(batch, n, repeats):
    rng = np.random.default_rng(0)
    x = gf.tensor(rng.standard_normal((batch, n)).astype(np.float32))
    w = gf.tensor(rng.standard_normal((n, n)).astype(np.float32))
    b = gf.tensor(rng.standard_normal(n).astype(np.float32))

    def fused():
        return gf.fused_matmul(x, w, bias=b, activation="relu")

    def unfused():
        return gf.relu(gf.add(gf.matmul(x, w), b))

    def plain():
        return gf.matmul(x, w)
    t_fused, t_unfused, t_plain = median_seconds([fused, unfused, plain], repeats)
    same = np.array_equal(fused().numpy(), unfused().numpy())
    return {"batch": batch, "n": n, "fused_ms": t_fused * 1e3, "unfused_ms": t_unfused * 1e3,
            "matmul_only_ms": t_plain * 1e3, "unfused_over_fused": t_unfused / t_fused,
            "fused_extra_over_matmul_ms": (t_fused - t_plain) * 1e3,
            "unfused_extra_over_matmul_ms": (t_unfused - t_plain) * 1e3,
            "results_identical": bool(same)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=21)
    parser.add_argument("--sizes", default="64,128,256,512")
    parser.add_argument("--out", help="folder for fused_matmul.json (default: a new one under "
                        f"{output.default_root()})")
    args = parser.parse_args()
    rows = []
    for n in (int(s) for s in args.sizes.split(",")):
        row = case(n, n, args.repeats)
        rows.append(row)
        print(f"n={n:5d}  fused {row['fused_ms']:8.3f} ms  unfused {row['unfused_ms']:8.3f} ms  "
              f"matmul alone {row['matmul_only_ms']:8.3f} ms  unfused/fused "
              f"{row['unfused_over_fused']:.2f}x  identical={row['results_identical']}")
    info = gf.backend_info()
    out = {"backend": gf.get_backend(), "renderer": info.get("renderer"),
           "repeats": args.repeats, "statistic": "median", "cases": rows}
    path = output.write_json(os.path.join(args.out or output.new_run_dir(), "fused_matmul.json"),
                             out)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
