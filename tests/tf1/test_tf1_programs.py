"""TF1 programs written for TensorFlow (tests/tf1/tf1_programs.py, the same source for both)
give TensorFlow's results with `import glflow.compat.v1 as tf`, on both backends.

The recordings in tests/data/tf1/ were made by TensorFlow 2.21's tf.compat.v1 from the inputs
stored beside them (tests/data/generate/tf1_programs.py; TensorFlow is never a dependency).

Tolerances: one op's float32 result may differ from TensorFlow's by a few units in the last
place of the largest magnitude it sums (conv and its gradients sum 36-180 products), so
single ops are checked to 2e-6 of their largest value; training runs repeat such steps 60 to
180 times, where rounding differences compound, and are checked to 1e-4 relative. Integer
results (argmax indices, step counts) are exact."""
import numpy as np
import pytest

import glflow as gf
import glflow.compat.v1 as tf

import tf1_programs
from tf1_data import recorded

BACKENDS = ("gl", "cpu")
TRAINING = ("linear_regression", "softmax_classifier", "optimizers", "queue_training")


def check(got, want, name, key, single_op):
    got = np.asarray(got)
    assert got.shape == want.shape, f"{name} {key}: shape {got.shape}, TensorFlow {want.shape}"
    if want.dtype.kind in "iub":
        np.testing.assert_array_equal(got, want, err_msg=f"{name} {key}")
    elif single_op:
        scale = max(1.0, float(np.max(np.abs(want)))) if want.size else 1.0
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=2e-6 * scale,
                                   err_msg=f"{name} {key}")
    else:
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5, err_msg=f"{name} {key}")


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("name", sorted(tf1_programs.PROGRAMS))
def test_program_gives_tensorflows_results(name, backend):
    gf.set_backend(backend)
    inputs, want = recorded(name)
    got = tf1_programs.PROGRAMS[name](tf, inputs)
    assert sorted(got) == sorted(want), f"{name}: results {sorted(got)} vs {sorted(want)}"
    for key in want:
        check(got[key], want[key], name, key, single_op=name not in TRAINING)


def test_the_recordings_are_not_trivial():
    """Guard against a recording that could not fail: training changed its loss, the nn
    results vary and the argmax indices are not all equal."""
    for name in ("linear_regression", "softmax_classifier", "queue_training"):
        losses = recorded(name)[1]["losses"]
        assert losses[-1] < 0.8 * losses[0], name
    nn = recorded("nn_ops")[1]
    assert len(np.unique(nn["argmax_index"])) > 10
    assert np.ptp(nn["d_images"]) > 0.1
    seen = recorded("control_dependencies")[1]["seen"]
    np.testing.assert_array_equal(seen, [[1.5, 3.0], [3.0, 6.0], [4.5, 9.0]])
