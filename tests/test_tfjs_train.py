"""gf.train: TF.js's optimizer factories against TF.js's update rules (written here in numpy,
in TF.js's own form: momentum accumulates g, Adam corrects m and v separately, Adamax's decay
divides the rate), and Optimizer.minimize(f, return_cost, var_list) with TF.js's semantics."""
import math

import numpy as np
import pytest

import glflow as gf
from glflow import optimizers

# five float32 steps against a float64 reference (as in test_optimizers.py)
RTOL, ATOL = 2e-5, 2e-6
EPS = 1e-7  # TF.js's epsilon for float32, what `epsilon=None` means


def tfjs_sgd(w, grads, lr):
    for g in grads:
        w = w - lr * g
    return w


def tfjs_momentum(w, grads, lr, m, nesterov):
    acc = np.zeros_like(w)
    for g in grads:
        acc = m * acc + g
        w = w - lr * (g + m * acc if nesterov else acc)
    return w


def tfjs_adagrad(w, grads, lr, initial):
    acc = np.full_like(w, initial)
    for g in grads:
        acc = acc + g * g
        w = w - lr * g / np.sqrt(acc + EPS)
    return w


def tfjs_adadelta(w, grads, lr, rho):
    a, b = np.zeros_like(w), np.zeros_like(w)
    for g in grads:
        a = rho * a + (1 - rho) * g * g
        update = np.sqrt(b + EPS) / np.sqrt(a + EPS) * g
        b = rho * b + (1 - rho) * update * update
        w = w - lr * update
    return w


def tfjs_adam(w, grads, lr, b1, b2):
    m, v = np.zeros_like(w), np.zeros_like(w)
    for t, g in enumerate(grads, start=1):
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        # TF.js adds epsilon to the corrected root; glflow to the raw one (Keras). With
        # |g| ~ 1 the two differ by ~1e-7 relative, far inside RTOL.
        w = w - lr * (m / (1 - b1 ** t)) / (np.sqrt(v / (1 - b2 ** t)) + EPS)
    return w


def tfjs_adamax(w, grads, lr, b1, b2, decay):
    m, u = np.zeros_like(w), np.zeros_like(w)
    for iteration, g in enumerate(grads):  # TF.js counts iterations from 0
        rate = lr / (1 + decay * iteration)
        m = b1 * m + (1 - b1) * g
        u = np.maximum(b2 * u, np.abs(g))
        w = w - rate / (1 - b1 ** (iteration + 1)) * m / (u + EPS)
    return w


def tfjs_rmsprop(w, grads, lr, decay, momentum, centered):
    ms, mg, mom = np.zeros_like(w), np.zeros_like(w), np.zeros_like(w)
    for g in grads:
        ms = decay * ms + (1 - decay) * g * g
        mg = decay * mg + (1 - decay) * g
        denominator = ms - mg * mg + EPS if centered else ms + EPS
        mom = momentum * mom + lr * g / np.sqrt(denominator)
        w = w - mom
    return w


CASES = [
    ("sgd", lambda: gf.train.sgd(0.1), lambda w, gs: tfjs_sgd(w, gs, 0.1)),
    ("momentum", lambda: gf.train.momentum(0.05, 0.8),
     lambda w, gs: tfjs_momentum(w, gs, 0.05, 0.8, False)),
    ("nesterov", lambda: gf.train.momentum(0.05, 0.8, True),
     lambda w, gs: tfjs_momentum(w, gs, 0.05, 0.8, True)),
    ("adagrad", lambda: gf.train.adagrad(0.1, 0.3),
     lambda w, gs: tfjs_adagrad(w, gs, 0.1, 0.3)),
    ("adadelta", lambda: gf.train.adadelta(0.5, 0.9),
     lambda w, gs: tfjs_adadelta(w, gs, 0.5, 0.9)),
    ("adam", lambda: gf.train.adam(0.01, 0.8, 0.95),
     lambda w, gs: tfjs_adam(w, gs, 0.01, 0.8, 0.95)),
    ("adamax", lambda: gf.train.adamax(0.02, 0.85, 0.99, None, 0.3),
     lambda w, gs: tfjs_adamax(w, gs, 0.02, 0.85, 0.99, 0.3)),
    ("rmsprop", lambda: gf.train.rmsprop(0.01, 0.8, 0.5),
     lambda w, gs: tfjs_rmsprop(w, gs, 0.01, 0.8, 0.5, False)),
    ("rmsprop_centered", lambda: gf.train.rmsprop(0.01, 0.85, 0.0, None, True),
     lambda w, gs: tfjs_rmsprop(w, gs, 0.01, 0.85, 0.0, True)),
]


@pytest.mark.parametrize("name,make,reference", CASES, ids=[c[0] for c in CASES])
def test_factories_follow_tfjs_update_rules(name, make, reference):
    rng = np.random.default_rng(7)
    w0 = rng.normal(size=(3, 5))
    grads = [rng.normal(size=(3, 5)) for _ in range(5)]
    opt = make()
    assert isinstance(opt, optimizers.Optimizer)
    var = gf.variable(w0.astype(np.float32))
    for g in grads:
        opt.apply_gradients([(gf.tensor(g.astype(np.float32)), var)])
    np.testing.assert_allclose(var.numpy(), reference(w0, grads), rtol=RTOL, atol=ATOL)


def test_factory_defaults_are_tfjs_defaults():
    adam = gf.train.adam()
    assert (adam.learning_rate, adam.beta_1, adam.beta_2, adam.epsilon) == (0.001, 0.9, 0.999,
                                                                            EPS)
    adamax = gf.train.adamax()
    assert (adamax.learning_rate, adamax.beta_1, adamax.beta_2) == (0.002, 0.9, 0.999)
    adadelta = gf.train.adadelta()
    assert (adadelta.learning_rate, adadelta.rho, adadelta.epsilon) == (0.001, 0.95, EPS)
    assert gf.train.adagrad(0.1).initial_accumulator_value == 0.1
    rms = gf.train.rmsprop(0.01)
    assert (rms.rho, rms.momentum, rms.centered) == (0.9, 0.0, False)
    assert gf.train.momentum(0.1, 0.9).nesterov is False
    with pytest.raises(ValueError, match="SGD: momentum must be in"):
        gf.train.momentum(0.1, 1.5)


def test_minimize_without_var_list_trains_every_variable_the_loss_reads():
    a, b = gf.variable(gf.tensor([1.0, -2.0])), gf.variable(gf.scalar(3.0))
    untouched = gf.variable(gf.tensor([5.0]))
    frozen = gf.variable(gf.tensor([0.5, 0.5]), trainable=False)
    x = gf.tensor([0.5, 1.5])
    opt = gf.train.sgd(0.1)
    # loss = sum((a * x + b - frozen)^2): d/da = 2 r x, d/db = 2 sum(r)
    result = opt.minimize(lambda: gf.sum(gf.square(a * x + b - frozen)))
    assert result is None  # TF.js returns the cost only when asked
    r = np.array([1.0, -2.0]) * [0.5, 1.5] + 3.0 - 0.5
    np.testing.assert_allclose(a.numpy(), [1.0, -2.0] - 0.1 * 2 * r * [0.5, 1.5], rtol=1e-6)
    np.testing.assert_allclose(b.numpy(), 3.0 - 0.1 * 2 * r.sum(), rtol=1e-6)
    np.testing.assert_array_equal(untouched.numpy(), [5.0])
    np.testing.assert_array_equal(frozen.numpy(), [0.5, 0.5])


def test_minimize_return_cost_and_var_list():
    a, b = gf.variable(gf.scalar(2.0)), gf.variable(gf.scalar(-1.0))
    opt = gf.train.sgd(0.25)
    cost = opt.minimize(lambda: gf.square(a) + gf.square(b), True, [a])
    assert cost.item() == pytest.approx(5.0)
    assert a.item() == pytest.approx(2.0 - 0.25 * 4.0) and b.item() == -1.0
    cost = opt.minimize(lambda: gf.square(a) + gf.square(b), return_cost=True, var_list=[b])
    assert cost.item() == pytest.approx(2.0)
    assert b.item() == pytest.approx(-1.0 + 0.25 * 2.0) and a.item() == pytest.approx(1.0)
    # Keras's form: the variable list second
    optimizers.SGD(0.5).minimize(lambda: gf.square(a), [a])
    assert a.item() == pytest.approx(0.0)


def test_minimize_reduces_a_loss_with_every_factory():
    for make in (lambda: gf.train.sgd(0.1), lambda: gf.train.momentum(0.05, 0.5),
                 lambda: gf.train.adam(0.3), lambda: gf.train.rmsprop(0.2),
                 lambda: gf.train.adagrad(0.5), lambda: gf.train.adamax(0.3)):
        w = gf.variable(gf.tensor([3.0, -2.0]))
        opt = make()
        first = opt.minimize(lambda: gf.sum(gf.square(w - 1.0)), True).item()
        for _ in range(30):
            last = opt.minimize(lambda: gf.sum(gf.square(w - 1.0)), True).item()
        assert last < 0.02 * first and math.isfinite(last)


def test_minimize_errors_are_clear():
    w = gf.variable(gf.tensor([1.0, 2.0]))
    opt = gf.train.sgd(0.1)
    with pytest.raises(ValueError, match=r"SGD.minimize: f must return a scalar.*\[2\]"):
        opt.minimize(lambda: w * 2)
    with pytest.raises(ValueError, match="SGD.minimize: the loss reads no trainable Variable"):
        opt.minimize(lambda: gf.sum(gf.tensor([1.0, 2.0])))
    with pytest.raises(TypeError, match="SGD.minimize: f must be a function"):
        opt.minimize(gf.sum(w))
    with pytest.raises(TypeError, match="var_list must hold Variables"):
        opt.minimize(lambda: gf.sum(w), var_list=[gf.tensor([1.0])])
    other = gf.variable(gf.scalar(1.0))
    with pytest.raises(ValueError, match="does not depend on any of the 1 variables"):
        opt.minimize(lambda: gf.sum(w), var_list=[other])
    np.testing.assert_array_equal(w.numpy(), [1.0, 2.0])


def test_gradient_tape_watched_variables():
    a, b = gf.variable(gf.scalar(1.0)), gf.variable(gf.scalar(2.0))
    frozen = gf.variable(gf.scalar(3.0), trainable=False)
    with gf.GradientTape() as tape:
        y = b * a + frozen + b
    assert [v.id for v in tape.watched_variables()] == [b.id, a.id]
    assert tape.gradient(y, a).item() == 2.0
