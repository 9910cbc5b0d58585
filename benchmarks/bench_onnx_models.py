"""The 'onnx_models' benchmark suite from a source checkout (glflow/bench/onnx_models.py
says what it measures and how).

    python benchmarks/bench_onnx_models.py [--quick] [--out DIR]

is `python -m glflow bench --suite onnx_models [--quick] [--out DIR]`.

Results go to a new folder under ~/.cache/glflow/bench/ ($XDG_CACHE_HOME/glflow/bench/), or to
--out DIR; the reference results committed in benchmarks/results/ change only when --out names
that folder. How to read them: benchmarks/README.md.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # a checkout

from glflow.bench import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main(["--suite", "onnx_models"] + sys.argv[1:]))
