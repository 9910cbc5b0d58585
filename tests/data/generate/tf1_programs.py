"""Record TensorFlow's results for the TF1 programs of tests/tf1/tf1_programs.py.

Run with a Python that has TensorFlow (never a glflow dependency; see tests/data/tf1/README.md):

    python tests/data/generate/tf1_programs.py [program ...]

Each program runs once with `import tensorflow.compat.v1 as tf; tf.disable_v2_behavior()`;
tests/data/tf1/<program>.npz then holds the inputs (keys "in/<name>") and the results
("out/<name>") that tests/tf1/test_tf1_programs.py compares glflow's run of the same source
with. Files are written atomically (a unique temporary file, then a rename).
"""
import os
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
TESTS = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(TESTS, "tf1"))

import tf1_programs  # noqa: E402

OUT = os.path.join(TESTS, "data", "tf1")
SEED = 20261206


def save(name, inputs, results):
    arrays = {f"in/{k}": v for k, v in inputs.items()}
    arrays.update({f"out/{k}": np.asarray(v) for k, v in results.items()})
    fd, tmp = tempfile.mkstemp(dir=OUT, prefix=f".{name}.", suffix=".npz")
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez_compressed(f, **arrays)
        os.replace(tmp, os.path.join(OUT, f"{name}.npz"))
    except BaseException:
        os.unlink(tmp)
        raise


def main(names):
    import tensorflow.compat.v1 as tf
    tf.disable_v2_behavior()
    inputs = tf1_programs.inputs(np.random.default_rng(SEED))
    for name in names or tf1_programs.PROGRAMS:
        tf.reset_default_graph()
        results = tf1_programs.PROGRAMS[name](tf, inputs)
        save(name, inputs, results)
        print(f"{name}: {', '.join(sorted(results))} (TensorFlow {tf.__version__})")


if __name__ == "__main__":
    main(sys.argv[1:])
