"""Entry point for the 'training' benchmark suite (glflow/bench/training.py: what it measures and how).

    python benchmarks/bench_training.py [--quick]       (same as: python -m glflow bench --suite training)

Medians after warm-up, gf.finish() before each clock stops; all GL timings, then all cpu
ones (BLAS threads must not steal llvmpipe's cores); results in
benchmarks/results/training.json.
"""
import os
import sys

# run from a source checkout without installing: the repository root holds the package
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from glflow.bench import run_suite  # noqa: E402

if __name__ == "__main__":
    run_suite("training", quick="--quick" in sys.argv[1:],
              out_dir=os.path.join(os.path.dirname(os.path.abspath(__file__)), "results"))
