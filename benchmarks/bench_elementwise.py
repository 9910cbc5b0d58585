"""glflow benchmark 'elementwise': add a + b,
GL vs numpy np.add(out=) from 4K to 16M elements.

    python benchmarks/bench_elementwise.py [--quick] [--out DIR]

The same as `glflow bench --suite elementwise` (glflow/bench/elementwise.py); results go to
benchmarks/results/elementwise.json unless --out says otherwise.
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
    sys.exit(main(["--suite", "elementwise", "--out", out] + sys.argv[1:]))
