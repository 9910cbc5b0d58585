"""Fused optimizer update kernels (glflow/ops/optimizer_updates.py): gl against cpu with
check_op, the fused optimizers against their composed ops, and bad input."""
import numpy as np
import pytest

from glflow import optimizers
import glflow as gf
from glflow.runtime import counters
from helpers import check_op, fixed, normal, positive


# Odd sizes: one element, a part-filled texel, prime sides, a texture row that does not fill.
SHAPES = [(1,), (3,), (5, 7), (13, 17), (64, 33)]


def _train(make_optimizer, fused, backend, steps=4):
    """A few steps on two variables; returns their values and the optimizer's slots."""
    gf.set_backend(backend)
    rng = np.random.default_rng(3)
    variables = [gf.variable(rng.normal(size=s).astype(np.float32)) for s in [(7, 5), (5,)]]
    opt = make_optimizer()
    opt.fused = fused
    for _ in range(steps):
        grads = [gf.tensor(rng.normal(size=v.shape).astype(np.float32)) for v in variables]
        opt.apply_gradients(zip(grads, variables))
    return [v.numpy() for v in variables] + [s.numpy() for s in opt.variables]


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("decay", [1.0, 0.996])
def test_adam_update_gl_matches_cpu(shape, decay):
    # var, m, v (a second moment: >= 0), grad
    check_op(lambda w, m, v, g: gf.adam_update(w, m, v, g, lr_t=0.01, decay=decay),
             [normal(shape), normal(shape, 0.1), positive(shape, 0.0, 0.5), normal(shape)],
             grad=False)


def test_adam_update_other_hyperparameters():
    check_op(lambda w, m, v, g: gf.adam_update(w, m, v, g, lr_t=0.3, beta_1=0.5, beta_2=0.75,
                                               epsilon=1e-3),
             [normal((6, 5)), normal((6, 5)), positive((6, 5)), normal((6, 5), 10.0)],
             grad=False)


def test_adam_update_nan_and_negative_second_moment():
    # sqrt(v') of a negative or nan v' is nan, as the sqrt kernel defines it, on both backends
    v = np.array([0.5, -4.0, np.nan, 0.0, np.inf], np.float32)
    g = np.array([np.nan, 0.1, 0.2, 0.0, 1.0], np.float32)
    w = np.ones(5, np.float32)
    out = check_op(lambda w, m, v, g: gf.adam_update(w, m, v, g, lr_t=0.1),
                   [fixed(w), fixed(np.zeros(5, np.float32)), fixed(v), fixed(g)], grad=False)
    assert np.isnan(out[0][:3]).all() and np.isfinite(out[0][3:]).all()


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("nesterov", [False, True])
def test_sgd_momentum_update_gl_matches_cpu(shape, nesterov):
    check_op(lambda w, vel, g: gf.sgd_momentum_update(w, vel, g, lr=0.05, momentum=0.9,
                                                      nesterov=nesterov, decay=0.999),
             [normal(shape), normal(shape, 0.1), normal(shape)], grad=False)


@pytest.mark.parametrize("backend", ["cpu", "gl"])
def test_empty_variables(backend):
    gf.set_backend(backend)
    empty = gf.zeros([0, 3])
    assert [t.shape for t in gf.adam_update(empty, empty, empty, empty, 0.1)] == [[0, 3]] * 3
    assert [t.shape for t in gf.sgd_momentum_update(empty, empty, empty, 0.1, 0.9)] == [[0, 3]] * 2


@pytest.mark.parametrize("backend", ["cpu", "gl"])
@pytest.mark.parametrize("make_optimizer", [
    lambda: optimizers.Adam(0.01),
    lambda: optimizers.AdamW(0.01, weight_decay=0.05),
    lambda: optimizers.SGD(0.1, momentum=0.9),
    lambda: optimizers.SGD(0.1, momentum=0.9, nesterov=True, weight_decay=0.01),
], ids=["adam", "adamw", "sgd_momentum", "sgd_nesterov_decay"])
def test_fused_optimizer_equals_composed_ops(backend, make_optimizer):
    # Same float32 arithmetic in the same order: equal up to the rounding of a contracted
    # multiply-add (a few ulps after 4 steps).
    fused = _train(make_optimizer, True, backend)
    composed = _train(make_optimizer, False, backend)
    for f, c in zip(fused, composed):
        np.testing.assert_allclose(f, c, rtol=2e-6, atol=1e-7)


def test_fused_steps_use_one_kernel_per_variable_and_no_new_textures():
    gf.set_backend("gl")
    before = dict(counters.kernel_counts)
    rng = np.random.default_rng(0)
    variables = [gf.variable(rng.normal(size=s).astype(np.float32)) for s in [(9, 4), (4,)]]
    grads = [gf.tensor(rng.normal(size=v.shape).astype(np.float32)) for v in variables]
    opt = optimizers.Adam(0.01)
    opt.apply_gradients(zip(grads, variables))
    textures = gf.memory()["num_textures"]
    for _ in range(5):
        opt.apply_gradients(zip(grads, variables))
    assert gf.memory()["num_textures"] == textures
    runs = counters.kernel_counts[("gl", "adam_update")] - before.get(("gl", "adam_update"), 0)
    assert runs == 6 * len(variables)


def test_bad_input_names_the_op_and_argument():
    w = gf.zeros([3, 4])
    with pytest.raises(ValueError, match=r"adam_update: m has shape \[4, 3\], the variable var "
                                         r"has shape \[3, 4\]"):
        gf.adam_update(w, gf.zeros([4, 3]), w, w, 0.1)
    with pytest.raises(TypeError, match="sgd_momentum_update: grad must be float32, got int32"):
        gf.sgd_momentum_update(w, w, gf.zeros([3, 4], "int32"), 0.1, 0.9)
    with pytest.raises(TypeError, match="adam_update: lr_t must be a real number"):
        gf.adam_update(w, w, w, w, "fast")


def test_fused_updates_reuse_framebuffers_for_many_variables():
    """Each fused update draws into a framebuffer over the variable and its slots; once warm,
    a model with many variables (here 120) makes none anew per step (a too-small cache did)."""
    gf.set_backend("gl")
    cache = gf.runtime.state.backend().mrt_framebuffers
    variables = [gf.variable(gf.random_normal([17, 5], seed=i)) for i in range(120)]
    optimizer = gf.optimizers.Adam(1e-3)
    grads = [(gf.ones([17, 5]), v) for v in variables]
    for _ in range(3):
        optimizer.apply_gradients(grads)
    before = dict(cache._fbos)
    optimizer.apply_gradients(grads)
    assert all(key in before for key in cache._fbos), "framebuffers were made anew"
