"""TF1 optimizers beyond the recorded programs: eagerly (minimize on a loss function) they
step as in a graph; compute_gradients / clip_by_global_norm / apply_gradients; a decayed
learning rate; slots by name."""
import numpy as np
import pytest

import glflow as gf
import glflow.compat.v1 as tf

RNG = np.random.default_rng(2)
X = RNG.standard_normal((8, 3)).astype(np.float32)
Y = RNG.standard_normal((8, 1)).astype(np.float32)
W0 = RNG.standard_normal((3, 1)).astype(np.float32)


def loss_of(w, x=X, y=Y):
    return gf.reduce_mean(gf.square(gf.matmul(x, w) - y))


@pytest.mark.parametrize("make", [lambda: tf.train.AdamOptimizer(0.1),
                                  lambda: tf.train.RMSPropOptimizer(0.05, momentum=0.3),
                                  lambda: tf.train.MomentumOptimizer(0.1, 0.9, use_nesterov=True),
                                  lambda: tf.train.AdagradOptimizer(0.3)])
def test_eager_steps_equal_graph_steps(make):
    w_eager = gf.Variable(W0)
    eager_opt = make()
    for _ in range(4):
        eager_opt.minimize(lambda: loss_of(w_eager), var_list=[w_eager])
    g = tf.Graph()
    with g.as_default():
        w = tf.Variable(W0)
        opt = make()
        train = opt.minimize(loss_of(w))
        init = tf.global_variables_initializer()
    with tf.Session(graph=g) as sess:
        sess.run(init)
        for _ in range(4):
            sess.run(train)
        np.testing.assert_allclose(w_eager.numpy(), sess.run(w), rtol=1e-5, atol=1e-6)
        for name in opt.get_slot_names():
            np.testing.assert_allclose(eager_opt.get_slot(w_eager, name).numpy(),
                                       sess.run(opt.get_slot(w, name)), rtol=1e-5, atol=1e-6)


def test_clipped_gradients_and_a_decayed_rate():
    g = tf.Graph()
    with g.as_default():
        w = tf.Variable(W0)
        step = tf.train.get_or_create_global_step()
        rate = tf.train.exponential_decay(0.5, step, decay_steps=2, decay_rate=0.5,
                                          staircase=True)
        opt = tf.train.GradientDescentOptimizer(rate)
        grads, variables = zip(*opt.compute_gradients(loss_of(w)))
        clipped, norm = tf.clip_by_global_norm(grads, 0.1)
        train = opt.apply_gradients(zip(clipped, variables), global_step=step)
        init = tf.global_variables_initializer()
    want = W0.copy()
    with tf.Session(graph=g) as sess:
        sess.run(init)
        for i in range(3):
            grad = 2.0 * X.T @ (X @ want - Y) / len(X)
            _, n = sess.run([train, norm])      # the norm of this step's (pre-update) gradient
            np.testing.assert_allclose(n, np.linalg.norm(grad), rtol=1e-5)
            scale = 0.1 / max(np.linalg.norm(grad), 0.1)
            want = want - 0.5 * 0.5 ** (i // 2) * grad * scale
        np.testing.assert_allclose(sess.run(w), want, rtol=1e-5, atol=1e-6)
        assert sess.run(step) == 3


def test_minimize_refusals():
    with pytest.raises(TypeError, match="loss must be a graph tensor"):
        tf.train.GradientDescentOptimizer(0.1).compute_gradients(gf.ones([1]))
    with pytest.raises(ValueError, match="initial_accumulator_value must be positive"):
        tf.train.AdagradOptimizer(0.1, initial_accumulator_value=0.0)
    g = tf.Graph()
    with g.as_default():
        w = tf.Variable(W0)
        with pytest.raises(ValueError, match="gradient of shape"):
            tf.train.GradientDescentOptimizer(0.1).apply_gradients([(tf.zeros([2, 1]), w)])
