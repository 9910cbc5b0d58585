"""tf.train.Saver: a session's Variables saved and restored into another session, checkpoint
names with the global step, max_to_keep, latest_checkpoint, and clear refusals."""
import os

import numpy as np
import pytest

import glflow.compat.v1 as tf


def build():
    g = tf.Graph()
    with g.as_default():
        w = tf.Variable(np.arange(6, dtype=np.float32).reshape(2, 3), name="w")
        step = tf.train.get_or_create_global_step()
        bump = tf.group(w.assign(w * 2.0), step.assign_add(1))
        init = tf.global_variables_initializer()
    return g, w, step, bump, init


def test_save_and_restore_into_another_session(tmp_path):
    g, w, step, bump, init = build()
    with g.as_default():
        saver = tf.train.Saver(max_to_keep=2)
    with tf.Session(graph=g) as sess:
        sess.run(init)
        paths = []
        for _ in range(3):
            sess.run(bump)
            paths.append(saver.save(sess, str(tmp_path / "model"), global_step=step))
        saved_w = sess.run(w)
    assert [os.path.basename(p) for p in paths] == ["model-1", "model-2", "model-3"]
    assert sorted(os.listdir(tmp_path)) == ["checkpoint", "model-2.npz", "model-3.npz"]
    assert tf.train.latest_checkpoint(str(tmp_path)) == paths[-1]
    with tf.Session(graph=g) as other:
        saver.restore(other, tf.train.latest_checkpoint(str(tmp_path)))
        np.testing.assert_array_equal(other.run(w), saved_w)
        assert other.run(step) == 3
        saver.restore(other, paths[1])
        np.testing.assert_array_equal(other.run(w), saved_w / 2.0)


def test_refusals(tmp_path):
    g, w, step, bump, init = build()
    with g.as_default():
        saver = tf.train.Saver([w])
    other = tf.Graph()
    with other.as_default():
        bigger = tf.Variable(tf.zeros([3, 3]), name="w")
        mismatch = tf.train.Saver([bigger])
        absent = tf.train.Saver({"v": tf.Variable(1.0)})
    with tf.Session(graph=g) as sess:
        sess.run(init)
        path = saver.save(sess, str(tmp_path / "ckpt"))
    with tf.Session(graph=other) as sess:
        with pytest.raises(tf.errors.InvalidArgumentError, match=r"shape \[3, 3\] in the graph"):
            mismatch.restore(sess, path)
        with pytest.raises(tf.errors.NotFoundError, match="Key v not found"):
            absent.restore(sess, path)
        with pytest.raises(tf.errors.NotFoundError, match="Failed to find a checkpoint"):
            mismatch.restore(sess, str(tmp_path / "nothing"))
    assert tf.train.latest_checkpoint(str(tmp_path / "empty")) is None
    assert not [f for f in os.listdir(tmp_path) if f.startswith(".")]   # no temporary left
