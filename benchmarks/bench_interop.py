"""The 'interop' benchmark suite from a source checkout (glflow/bench/interop.py says what it
measures and how).

    python benchmarks/bench_interop.py [--quick] [--out DIR]

is `python -m glflow bench --suite interop [--quick] [--out DIR]`.

Results go to a new folder under ~/.cache/glflow/bench/ ($XDG_CACHE_HOME/glflow/bench/), or to
--out DIR. How to read them: benchmarks/README.md.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # a checkout

from glflow.bench import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main(["--suite", "interop"] + sys.argv[1:]))
