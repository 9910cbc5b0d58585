"""gf.nn with TensorFlow's signatures: eagerly and inside gf.function they give what
TensorFlow gave for the same inputs (tests/data/tf1/nn_ops.npz, recorded from a TF1 graph that
tests/tf1/test_tf1_programs.py replays in glflow's TF1 front end), on both backends; bad
arguments are refused by name."""
import numpy as np
import pytest

import glflow as gf
import glflow.compat.v1 as tf

from tf1_data import recorded

INPUTS, WANT = recorded("nn_ops")


def eager_nn(d):
    nn = gf.nn
    conv_same = nn.conv2d(d["images"], d["filters"], strides=[1, 2, 2, 1], padding="SAME")
    am_out, am_index = nn.max_pool_with_argmax(d["images"], ksize=[1, 2, 2, 1],
                                               strides=[1, 2, 2, 1], padding="VALID")
    tie_out, tie_index = nn.max_pool_with_argmax(d["ties"], ksize=[1, 3, 3, 1],
                                                 strides=[1, 2, 2, 1], padding="SAME",
                                                 include_batch_in_index=True)
    logits = d["logits"]
    return {
        "conv_same": conv_same,
        "conv_valid": nn.conv2d(d["images"], filters=d["filters"], strides=1, padding="VALID",
                                dilations=[1, 2, 2, 1]),
        "bias_add": nn.bias_add(conv_same, d["bias"]),
        "max_pool": nn.max_pool(d["images"], ksize=[1, 3, 3, 1], strides=[1, 2, 2, 1],
                                padding="SAME"),
        "avg_pool": nn.avg_pool(d["images"], ksize=[1, 2, 3, 1], strides=[1, 2, 1, 1],
                                padding="SAME"),
        "argmax_out": am_out, "argmax_index": am_index,
        "tie_out": tie_out, "tie_index": tie_index,
        "relu": nn.relu(logits), "elu": nn.elu(logits), "sigmoid": nn.sigmoid(logits),
        "tanh": nn.tanh(logits), "softmax": nn.softmax(logits),
        "log_softmax": nn.log_softmax(logits), "l2_loss": nn.l2_loss(logits),
        "softmax_xent": nn.softmax_cross_entropy_with_logits(labels=d["probs"], logits=logits),
        "sparse_xent": nn.sparse_softmax_cross_entropy_with_logits(labels=d["labels"],
                                                                   logits=logits),
        "sigmoid_xent": nn.sigmoid_cross_entropy_with_logits(labels=d["binary"],
                                                             logits=logits),
    }


def compare(got, key):
    want = WANT[key]
    got = np.asarray(got.numpy() if isinstance(got, gf.Tensor) else got)
    assert got.shape == want.shape, key
    if want.dtype.kind == "i":
        np.testing.assert_array_equal(got, want, err_msg=key)
    else:  # float32 rounding of the largest term summed (see test_tf1_programs.py)
        scale = max(1.0, float(np.abs(want).max()))
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=2e-6 * scale, err_msg=key)


@pytest.mark.parametrize("backend", ["gl", "cpu"])
def test_eager_nn_gives_tensorflows_results(backend):
    gf.set_backend(backend)
    results = eager_nn(INPUTS)
    for key, value in results.items():
        compare(value, key)


def test_compiled_nn_gives_tensorflows_results():
    keys = ["conv_same", "argmax_index", "tie_index", "softmax_xent", "sparse_xent",
            "sigmoid_xent", "avg_pool"]
    names = ["images", "ties", "filters", "bias", "logits", "labels", "probs", "binary"]

    @gf.function
    def compiled(*arrays):
        results = eager_nn(dict(zip(names, arrays)))
        return [results[k] for k in keys]
    got = compiled(*[gf.tensor(INPUTS[n]) for n in names])
    for key, value in zip(keys, got):
        compare(value, key)


def test_sparse_labels_out_of_range_are_an_error_eagerly_and_compiled():
    logits = gf.ones([2, 3])
    with pytest.raises(gf.errors.InvalidArgumentError, match=r"label value of 3 .* \[0, 3\)"):
        gf.nn.sparse_softmax_cross_entropy_with_logits(labels=[0, 3], logits=logits)
    step = gf.function(lambda y: gf.nn.sparse_softmax_cross_entropy_with_logits(
        labels=y, logits=logits))
    np.testing.assert_allclose(step(gf.tensor([0, 2])).numpy(), [np.log(3.0)] * 2, rtol=1e-6)
    with pytest.raises(gf.errors.InvalidArgumentError, match="label value of -1"):
        step(gf.tensor([-1, 2]))


def test_dropout_forms():
    x = gf.ones([200, 50])
    kept = gf.nn.dropout(x, keep_prob=0.8, seed=3).numpy()
    assert set(np.unique(kept)) <= {0.0, np.float32(1 / 0.8)}
    assert abs((kept == 0).mean() - 0.2) < 0.02
    by_rate = gf.nn.dropout(x, rate=0.2, seed=3).numpy()
    np.testing.assert_array_equal(by_rate, kept)          # the same mask for the same seed
    np.testing.assert_array_equal(gf.nn.dropout(x, keep_prob=1.0).numpy(), x.numpy())
    rows = gf.nn.dropout(x, rate=0.5, noise_shape=[200, 1], seed=1).numpy()
    assert all(len(set(r)) == 1 for r in rows)            # whole rows kept or dropped
    g = tf.Graph()
    with g.as_default():
        keep = tf.placeholder(tf.float32, [])
        h = tf.nn.dropout(tf.ones([4, 5]), keep)
    with tf.Session(graph=g) as sess:
        np.testing.assert_array_equal(sess.run(h, {keep: 1.0}), np.ones((4, 5)))
        halved = sess.run(h, {keep: 0.5})
        assert set(np.unique(halved)) <= {0.0, 2.0}


@pytest.mark.parametrize("call, error, match", [
    (lambda: gf.nn.conv2d(gf.ones([1, 4, 4, 1]), gf.ones([2, 2, 1, 1]), [2, 2, 2, 2], "SAME"),
     ValueError, "must be 1 on the batch and channel axes"),
    (lambda: gf.nn.conv2d(gf.ones([1, 4, 4, 1]), gf.ones([2, 2, 1, 1]), [1, 1, 1, 1]),
     ValueError, "padding must be given"),
    (lambda: gf.nn.conv2d(gf.ones([1, 4, 4, 1]), gf.ones([2, 2, 3, 1]), 1, "SAME"),
     ValueError, "conv2d: filters have 3 input channels"),
    (lambda: gf.nn.max_pool(gf.ones([1, 4, 4, 1]), [1, 2, 2], [1, 2, 2, 1], "SAME"),
     ValueError, "ksize must have 1, 2 or 4 entries"),
    (lambda: gf.nn.avg_pool(gf.ones([1, 4, 4, 1]), 2, 2, "FULL"),
     ValueError, "padding must be 'valid', 'same'"),
    (lambda: gf.nn.max_pool_with_argmax(gf.ones([1, 4, 4, 1]), 2, 2, "SAME",
                                        output_dtype="float32"),
     TypeError, "output_dtype must be an integer type"),
    (lambda: gf.nn.max_pool_with_argmax(gf.ones([1, 1, 4, 4]), 2, 2, "SAME",
                                        data_format="NCHW"),
     ValueError, "data_format must be 'NHWC'"),
    (lambda: gf.nn.bias_add(gf.ones([2, 3]), gf.ones([4])), ValueError, "must match axis 1"),
    (lambda: gf.nn.dropout(gf.ones([2]), keep_prob=0.5, rate=0.5), ValueError,
     "exactly one of keep_prob and rate"),
    (lambda: gf.nn.dropout(gf.ones([2]), keep_prob=0.0), ValueError, r"keep_prob must be in"),
    (lambda: gf.nn.sparse_softmax_cross_entropy_with_logits(labels=[[0]], logits=gf.ones([2, 3])),
     ValueError, "without its last"),
    (lambda: gf.nn.sparse_softmax_cross_entropy_with_logits(gf.ones([2]), gf.ones([2, 3])),
     ValueError, "as keywords"),
    (lambda: gf.nn.softmax_cross_entropy_with_logits(labels=gf.ones([2, 3]),
                                                     logits=gf.ones([2, 4])),
     ValueError, "same shape"),
])
def test_bad_arguments_are_refused_by_name(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_nchw_bias_add_and_pools():
    x = np.arange(2 * 3 * 4 * 5, dtype=np.float32).reshape(2, 3, 4, 5)
    b = np.array([1.0, 2.0, 3.0], np.float32)
    np.testing.assert_array_equal(gf.nn.bias_add(x, b, data_format="NCHW").numpy(),
                                  x + b[None, :, None, None])
    nhwc = np.transpose(x, (0, 2, 3, 1))
    pooled = gf.nn.max_pool(x, [1, 1, 2, 2], [1, 1, 2, 2], "VALID", data_format="NCHW").numpy()
    want = gf.nn.max_pool(nhwc, 2, 2, "VALID").numpy()
    np.testing.assert_array_equal(pooled, np.transpose(want, (0, 3, 1, 2)))
