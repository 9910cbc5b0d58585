"""TF.js "Fitting a curve to synthetic data" ported with only the import changed: tf.variable
coefficients, tf.tidy inside predict, tf.train.sgd(0.5).minimize(() => loss). After the
tutorial's 75 iterations the loss is within 4x of the least-squares optimum; after 300 the
coefficients are within 0.02 of numpy's least-squares cubic through the same points."""
import random

import numpy as np

import glflow as tf


def generate_data(num_points, coeff, sigma=0.04):
    def build():
        a, b, c, d = (tf.scalar(coeff[k]) for k in "abcd")
        xs = tf.random_uniform([num_points], -1, 1)
        three = tf.scalar(3, "int32")
        ys = a.mul(xs.pow(three)).add(b.mul(xs.square())).add(c.mul(xs)).add(d).add(
            tf.random_normal([num_points], 0, sigma))
        ymin, ymax = ys.min(), ys.max()
        yrange = ymax.sub(ymin)
        return {"xs": xs, "ys": ys.sub(ymin).div(yrange)}
    return tf.tidy(build)


def test_fitting_a_curve_to_synthetic_data():
    random.seed(0)
    tf.set_seed(0)
    training_data = generate_data(100, {"a": -0.8, "b": -0.2, "c": 0.9, "d": 0.5})
    a = tf.variable(tf.scalar(random.random()))
    b = tf.variable(tf.scalar(random.random()))
    c = tf.variable(tf.scalar(random.random()))
    d = tf.variable(tf.scalar(random.random()))

    def predict(x):
        # tidy inside the function minimize differentiates: the tape keeps what it saved
        return tf.tidy(lambda: a.mul(x.pow(tf.scalar(3, "int32")))
                       .add(b.mul(x.square())).add(c.mul(x)).add(d))

    def loss(prediction, labels):
        return prediction.sub(labels).square().mean()

    optimizer = tf.train.sgd(0.5)

    def train(xs, ys, num_iterations):
        for _ in range(num_iterations):
            optimizer.minimize(lambda: loss(predict(xs), ys))

    xs = training_data["xs"].numpy().astype(np.float64)
    ys = training_data["ys"].numpy().astype(np.float64)
    best = np.polyfit(xs, ys, 3)
    optimum = np.mean((np.polyval(best, xs) - ys) ** 2)
    before = loss(predict(training_data["xs"]), training_data["ys"]).item()
    train(training_data["xs"], training_data["ys"], 75)
    after_75 = loss(predict(training_data["xs"]), training_data["ys"]).item()
    assert after_75 < 4 * optimum < before, (before, after_75, optimum)
    train(training_data["xs"], training_data["ys"], 225)
    np.testing.assert_allclose([v.item() for v in (a, b, c, d)], best, atol=0.02)
    assert tf.get_backend() == "gl"
