"""glflow benchmark 'optimizer': an MLP train step with fused vs composed
optimizer updates (Adam, SGD with momentum).

    python benchmarks/bench_optimizer.py [--quick] [--out DIR]

The same as `glflow bench --suite optimizer` (glflow/bench/optimizer.py); results go to
benchmarks/results/optimizer.json unless --out says otherwise.
How to read them: benchmarks/README.md.
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))  # a source checkout runs without installing

from glflow.bench import main  # noqa: E402

if __name__ == "__main__":
    # a later --out on the command line wins over this default
    out = os.path.join(HERE, "results")
    sys.exit(main(["--suite", "optimizer", "--out", out] + sys.argv[1:]))
