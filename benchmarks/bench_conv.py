"""Entry point for the 'conv' benchmark suite (glflow/bench/conv.py: what it measures and how).

    python benchmarks/bench_conv.py [--quick]       (same as: python -m glflow bench --suite conv)

Medians after warm-up, gf.finish() before each clock stops, variants interleaved in every
round; results in benchmarks/results/conv.json.
"""
import os
import sys

# run from a source checkout without installing: the repository root holds the package
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from glflow.bench import run_suite  # noqa: E402

if __name__ == "__main__":
    run_suite("conv", quick="--quick" in sys.argv[1:],
              out_dir=os.path.join(os.path.dirname(os.path.abspath(__file__)), "results"))
