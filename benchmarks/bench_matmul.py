"""glflow benchmark 'matmul': square matmul,
GL vs numpy GFLOP/s for n = 128 .. 1024.

    python benchmarks/bench_matmul.py [--quick] [--out DIR]

The same as `glflow bench --suite matmul` (glflow/bench/matmul.py); results go to
benchmarks/results/matmul.json unless --out says otherwise.
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
    sys.exit(main(["--suite", "matmul", "--out", out] + sys.argv[1:]))
