"""Optimizers against numpy references of their update rules (written here, float64) over
several steps on both backends; schedules against their formulas; clipping; configs."""
import math

import numpy as np
import pytest

import glflow as gf
from glflow import optimizers
from glflow.optimizers import schedules

# five float32 update steps against a float64 reference: the rounding of each step (~1e-7
# relative) accumulates, and 1/sqrt(v) amplifies it where v is small
RTOL, ATOL = 2e-5, 2e-6
STEPS = 5


@pytest.fixture(autouse=True)
def _restore_backend():
    previous = gf.get_backend()
    yield
    gf.set_backend(previous)


def _grads(shape=(3, 4), seed=0):
    rng = np.random.default_rng(seed)
    return [rng.normal(size=shape) for _ in range(STEPS)]


def run_glflow(opt, w0, grads, backend):
    gf.set_backend(backend)
    var = gf.variable(w0.astype(np.float32))
    for g in grads:
        opt.apply_gradients([(gf.tensor(g.astype(np.float32)), var)])
    return var.numpy()


def ref_sgd(w, grads, lr, momentum=0.0, nesterov=False, wd=0.0):
    v = np.zeros_like(w)
    for g in grads:
        w = w * (1 - lr * wd)
        if momentum == 0:
            w = w - lr * g
            continue
        v = momentum * v - lr * g
        w = w + (momentum * v - lr * g if nesterov else v)
    return w


def ref_adam(w, grads, lr, b1=0.9, b2=0.999, eps=1e-7, amsgrad=False, wd=0.0):
    m, v, vmax = np.zeros_like(w), np.zeros_like(w), np.zeros_like(w)
    for t, g in enumerate(grads, start=1):
        w = w - lr * wd * w
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        vmax = np.maximum(vmax, v)
        alpha = lr * math.sqrt(1 - b2 ** t) / (1 - b1 ** t)
        w = w - alpha * m / (np.sqrt(vmax if amsgrad else v) + eps)
    return w


def ref_adamax(w, grads, lr, b1=0.9, b2=0.999, eps=1e-7):
    m, u = np.zeros_like(w), np.zeros_like(w)
    for t, g in enumerate(grads, start=1):
        m = b1 * m + (1 - b1) * g
        u = np.maximum(b2 * u, np.abs(g))
        w = w - lr / (1 - b1 ** t) * m / (u + eps)
    return w


def ref_rmsprop(w, grads, lr, rho=0.9, momentum=0.0, eps=1e-7, centered=False):
    ms, mg, mom = np.zeros_like(w), np.zeros_like(w), np.zeros_like(w)
    for g in grads:
        ms = rho * ms + (1 - rho) * g * g
        mg = rho * mg + (1 - rho) * g
        denom = ms - mg * mg + eps if centered else ms + eps
        step = lr * g / np.sqrt(denom)
        mom = momentum * mom + step
        w = w - (mom if momentum else step)
    return w


def ref_adagrad(w, grads, lr, init=0.1, eps=1e-7):
    acc = np.full_like(w, init)
    for g in grads:
        acc = acc + g * g
        w = w - lr * g / np.sqrt(acc + eps)
    return w


def ref_adadelta(w, grads, lr, rho=0.95, eps=1e-7):
    eg, ed = np.zeros_like(w), np.zeros_like(w)
    for g in grads:
        eg = rho * eg + (1 - rho) * g * g
        delta = np.sqrt(ed + eps) / np.sqrt(eg + eps) * g
        ed = rho * ed + (1 - rho) * delta * delta
        w = w - lr * delta
    return w


CASES = [
    (lambda: optimizers.SGD(0.1), lambda w, g: ref_sgd(w, g, 0.1)),
    (lambda: optimizers.SGD(0.1, momentum=0.9), lambda w, g: ref_sgd(w, g, 0.1, 0.9)),
    (lambda: optimizers.SGD(0.1, momentum=0.9, nesterov=True),
     lambda w, g: ref_sgd(w, g, 0.1, 0.9, True)),
    (lambda: optimizers.SGD(0.1, weight_decay=0.5), lambda w, g: ref_sgd(w, g, 0.1, wd=0.5)),
    (lambda: optimizers.Adam(0.01), lambda w, g: ref_adam(w, g, 0.01)),
    (lambda: optimizers.Adam(0.01, beta_1=0.5, amsgrad=True),
     lambda w, g: ref_adam(w, g, 0.01, b1=0.5, amsgrad=True)),
    (lambda: optimizers.AdamW(0.01, weight_decay=0.1),
     lambda w, g: ref_adam(w, g, 0.01, wd=0.1)),
    (lambda: optimizers.Adamax(0.02), lambda w, g: ref_adamax(w, g, 0.02)),
    (lambda: optimizers.RMSprop(0.01), lambda w, g: ref_rmsprop(w, g, 0.01)),
    (lambda: optimizers.RMSprop(0.01, momentum=0.8, centered=True),
     lambda w, g: ref_rmsprop(w, g, 0.01, momentum=0.8, centered=True)),
    (lambda: optimizers.Adagrad(0.1), lambda w, g: ref_adagrad(w, g, 0.1)),
    (lambda: optimizers.Adadelta(1.0), lambda w, g: ref_adadelta(w, g, 1.0)),
]


@pytest.mark.parametrize("make,ref", CASES)
@pytest.mark.parametrize("backend", ["gl", "cpu"])
def test_update_rules_match_numpy(make, ref, backend):
    w0 = np.random.default_rng(9).normal(size=(3, 4))
    grads = _grads()
    got = run_glflow(make(), w0, grads, backend)
    np.testing.assert_allclose(got, ref(w0, grads), rtol=RTOL, atol=ATOL)


def test_schedules_follow_their_formulas():
    exp = schedules.ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5)
    stair = schedules.ExponentialDecay(0.1, 10, 0.5, staircase=True)
    inv = schedules.InverseTimeDecay(0.1, 10, 0.5)
    cos = schedules.CosineDecay(0.1, decay_steps=20, alpha=0.1)
    warm = schedules.CosineDecay(0.0, 20, warmup_target=0.2, warmup_steps=5)
    pw = schedules.PiecewiseConstantDecay([10, 20], [1.0, 0.5, 0.1])
    for step in [0, 1, 7, 10, 15, 20, 25, 40]:
        assert math.isclose(exp(step), 0.1 * 0.5 ** (step / 10))
        assert math.isclose(stair(step), 0.1 * 0.5 ** (step // 10))
        assert math.isclose(inv(step), 0.1 / (1 + 0.5 * step / 10))
        frac = min(step, 20) / 20
        assert math.isclose(cos(step), 0.1 * (0.9 * 0.5 * (1 + math.cos(math.pi * frac)) + 0.1))
        want = (0.2 * step / 5 if step < 5
                else 0.2 * 0.5 * (1 + math.cos(math.pi * min(step - 5, 20) / 20)))
        assert math.isclose(warm(step), want, abs_tol=1e-12)
        assert pw(step) == (1.0 if step <= 10 else 0.5 if step <= 20 else 0.1)


def test_schedule_drives_the_optimizer_step_by_step():
    gf.set_backend("gl")
    opt = optimizers.SGD(schedules.ExponentialDecay(0.5, 1, 0.5))
    var = gf.variable(np.zeros(2, np.float32))
    for _ in range(3):
        opt.apply_gradients([(gf.ones([2]), var)])
    np.testing.assert_allclose(var.numpy(), -(0.5 + 0.25 + 0.125) * np.ones(2), rtol=1e-6)
    assert opt.iterations == 3 and math.isclose(opt.learning_rate, 0.5 ** 4)
    with pytest.raises(TypeError, match="schedule"):
        opt.learning_rate = 0.1


@pytest.mark.parametrize("backend", ["gl", "cpu"])
def test_clipping(backend):
    gf.set_backend(backend)
    g1, g2 = np.array([3.0, 4.0], np.float32), np.array([0.0, 12.0], np.float32)

    def step(**clip):
        a, b = gf.variable(np.zeros(2, np.float32)), gf.variable(np.zeros(2, np.float32))
        optimizers.SGD(1.0, **clip).apply_gradients([(gf.tensor(g1), a), (gf.tensor(g2), b)])
        return -a.numpy(), -b.numpy()

    a, b = step(clipnorm=1.0)  # each gradient scaled to norm 1
    np.testing.assert_allclose(a, g1 / 5, rtol=1e-6)
    np.testing.assert_allclose(b, g2 / 12, rtol=1e-6)
    a, b = step(global_clipnorm=2.6)  # joint norm 13 -> 2.6
    np.testing.assert_allclose(np.concatenate([a, b]), np.concatenate([g1, g2]) * 0.2, rtol=1e-6)
    a, b = step(clipvalue=3.5)
    np.testing.assert_allclose(np.concatenate([a, b]), [3.0, 3.5, 0.0, 3.5])
    a, b = step(clipnorm=100.0)  # below the limit: unchanged
    np.testing.assert_allclose(a, g1, rtol=1e-6)


def test_none_gradients_skipped_and_bad_pairs_rejected():
    gf.set_backend("gl")
    a, b = gf.variable([1.0, 2.0]), gf.variable([3.0])
    opt = optimizers.Adam(0.1)
    opt.apply_gradients([(None, a), (gf.tensor([1.0]), b)])
    np.testing.assert_array_equal(a.numpy(), [1.0, 2.0])
    assert b.numpy()[0] < 3.0 and len(opt.variables) == 2
    with pytest.raises(ValueError, match=r"gradient of shape \[3\] for variable .* shape \[2\]"):
        opt.apply_gradients([(gf.tensor([1.0, 2.0, 3.0]), a)])
    with pytest.raises(TypeError, match="expected Variables"):
        opt.apply_gradients([(gf.tensor([1.0, 2.0]), gf.tensor([1.0, 2.0]))])


def test_minimize_reduces_a_quadratic():
    gf.set_backend("gl")
    x = gf.variable([3.0, -2.0])
    opt = optimizers.SGD(0.25)
    for _ in range(20):
        opt.minimize(lambda: gf.sum(gf.square(x)), [x])
    assert np.abs(x.numpy()).max() < 1e-3


def test_names_configs_and_argument_errors():
    assert isinstance(optimizers.get("adam"), optimizers.Adam)
    assert isinstance(optimizers.get("RMSprop"), optimizers.RMSprop)
    with pytest.raises(ValueError, match="unknown optimizer 'adamm'"):
        optimizers.get("adamm")
    for name in ["sgd", "adam", "adamw", "adamax", "rmsprop", "adagrad", "adadelta"]:
        opt = optimizers.get(name)
        again = optimizers.get(optimizers.serialize(opt))
        assert again.get_config() == opt.get_config() and type(again) is type(opt)
    sched = optimizers.SGD(schedules.CosineDecay(0.1, 100), momentum=0.5, clipnorm=1.0)
    assert optimizers.deserialize(optimizers.serialize(sched)).get_config() == sched.get_config()
    with pytest.raises(ValueError, match="at most one of clipnorm"):
        optimizers.SGD(clipnorm=1.0, global_clipnorm=1.0)
    with pytest.raises(ValueError, match="learning_rate must be a number >= 0"):
        optimizers.Adam(-1.0)
    with pytest.raises(ValueError, match="beta_1 must be in"):
        optimizers.Adam(beta_1=1.0)
    with pytest.raises(ValueError, match="momentum must be in"):
        optimizers.SGD(momentum=2.0)
