"""Autodiff API: grad, grads, value_and_grad(s), variable_grads, custom_grad, GradientTape;
second order (elementwise and matmul) against analytic derivatives; accumulation when a tensor
is used twice; non-differentiable ops; unconnected inputs; no growth over many steps.
Per-op gradients are checked by check_op in the op tests; this file tests the machinery."""
import gc

import numpy as np
import pytest

import glflow as gf
from helpers import check_op, normal


@pytest.fixture(params=["cpu", "gl"])
def backend(request):
    gf.set_backend(request.param)
    yield request.param
    gf.set_backend("gl")


X = np.array([[0.5, -1.25, 2.0], [1.5, 0.75, -0.5]], np.float32)
W = np.array([[1.0, -2.0], [0.5, 0.25], [-1.5, 1.0]], np.float32)


def close(got, want, rtol=1e-5, atol=1e-5):
    np.testing.assert_allclose(np.asarray(got.numpy() if isinstance(got, gf.Tensor) else got),
                               want, rtol=rtol, atol=atol)


# --------------------------------------------------------------------------- the API

def test_grad_and_value_and_grad(backend):
    x = gf.tensor(X)
    close(gf.grad(lambda t: gf.sum(t * t * t))(x), 3 * X ** 2)
    value, dx = gf.value_and_grad(lambda t: gf.sum(gf.sin(t)))(x)
    close(value, np.sin(X.astype(np.float64)).sum())
    close(dx, np.cos(X))
    # dy weights the output: d(sum(dy * exp(x)))/dx
    dy = np.full(X.shape, 2.0, np.float32)
    close(gf.grad(gf.exp)(x, gf.tensor(dy)), 2.0 * np.exp(X))


def test_grads_and_value_and_grads(backend):
    x, w = gf.tensor(X), gf.tensor(W)
    f = lambda a, b: gf.sum(gf.matmul(a, b))  # noqa: E731
    ones = np.ones((2, 2))
    dx, dw = gf.grads(f)([x, w])
    close(dx, ones @ W.T)
    close(dw, X.T @ ones)
    value, (dx2, dw2) = gf.value_and_grads(f)([X, W])  # numpy inputs are converted
    close(value, (X.astype(np.float64) @ W).sum())
    close(dx2, ones @ W.T)
    close(dw2, X.T @ ones)


def test_gradient_tape(backend):
    x = gf.tensor(X)
    with gf.GradientTape() as tape:
        tape.watch(x)
        y = gf.sum(gf.square(x) * 3.0)
    close(tape.gradient(y, x), 6 * X)
    with pytest.raises(RuntimeError, match="non-persistent tape can be used once"):
        tape.gradient(y, x)
    with gf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        a = gf.exp(x)
        b = gf.sum(a * 2.0)
    close(tape.gradient(b, x), 2 * np.exp(X))
    grads = tape.gradient(b, {"x": x, "pair": [a, (x,)]})  # nested sources keep their shape
    close(grads["x"], 2 * np.exp(X))
    close(grads["pair"][0], np.full(X.shape, 2.0))
    close(grads["pair"][1][0], 2 * np.exp(X))
    close(tape.gradient(a, x, output_gradients=gf.tensor(X)), X * np.exp(X))
    with pytest.raises(ValueError, match=r"gradient: output gradient shape \[3\] differs"):
        tape.gradient(a, x, output_gradients=gf.ones([3]))


def test_tape_watches_trainable_variables(backend):
    v = gf.variable(gf.tensor(X), name="v")
    frozen = gf.variable(gf.tensor(X), trainable=False, name="frozen")
    with gf.GradientTape() as tape:
        y = gf.sum(v * frozen)
    close(tape.gradient(y, v), X)
    with gf.GradientTape() as tape:
        z = gf.sum(frozen * 2.0)  # non-trainable: not watched, nothing recorded
    assert tape.gradient(z, frozen) is None
    with gf.GradientTape(watch_accessed_variables=False) as tape:
        y = gf.sum(v * 2.0)
    assert tape.gradient(y, v) is None


def test_variable_grads(backend):
    w = gf.variable(gf.tensor(W), name="w")
    b = gf.variable(gf.zeros([2]), name="b")
    frozen = gf.variable(gf.ones([2]), trainable=False, name="frozen")
    x = gf.tensor(X)
    result = gf.variable_grads(lambda: gf.sum(gf.square(gf.matmul(x, w) + b) * frozen))
    z = X.astype(np.float64) @ W
    close(result["value"], (z ** 2).sum(), rtol=1e-5)
    assert set(result["grads"]) == {"w", "b"}
    close(result["grads"]["w"], X.T @ (2 * z))
    close(result["grads"]["b"], (2 * z).sum(0))
    only_b = gf.variable_grads(lambda: gf.sum(gf.matmul(x, w) + b), var_list=[b])
    assert set(only_b["grads"]) == {"b"}
    close(only_b["grads"]["b"], [2.0, 2.0])
    with pytest.raises(ValueError, match="variable_grads: f must return a scalar"):
        gf.variable_grads(lambda: gf.matmul(x, w))


def test_custom_grad(backend):
    @gf.custom_grad
    def scaled_square(x):
        # value x^2, but a gradient of 10 * dy: proves the custom function is what ran
        return gf.square(x), lambda dy: [dy * 10.0]
    x = gf.tensor(X)
    close(scaled_square(x), X ** 2)
    close(gf.grad(lambda t: gf.sum(scaled_square(t)))(x), np.full(X.shape, 10.0))

    @gf.custom_grad
    def softplus_times(a, b):  # two inputs and a hand-written gradient for each
        y = gf.log(gf.exp(a) + 1.0) * b
        return y, lambda dy: [dy * gf.sigmoid(a) * b, dy * gf.log(gf.exp(a) + 1.0)]
    b = np.flip(X, 1).copy()
    da, db = gf.grads(lambda p, q: gf.sum(softplus_times(p, q)))([X, b])
    x64 = X.astype(np.float64)
    close(da, b / (1 + np.exp(-x64)))
    close(db, np.log1p(np.exp(x64)))


def test_custom_grad_refuses_malformed_gradients(backend):
    # Fewer gradients than inputs silently gave zeros; a numpy array failed deep inside with
    # AttributeError: '_shape'.
    def with_gradients(make):
        @gf.custom_grad
        def product(a, b):
            return a * b, make
        return lambda a, b: gf.sum(product(a, b))
    x, y = gf.tensor(X), gf.tensor(X * 2)
    too_few = with_gradients(lambda dy: [dy * 2.0])
    with pytest.raises(ValueError, match=r"custom_grad: .* returned 1 gradients for 2 inputs"):
        gf.grads(too_few)([x, y])
    as_numpy = with_gradients(lambda dy: [np.ones(X.shape, np.float32), dy])
    with pytest.raises(TypeError,
                       match="custom_grad: gradient 0 must be a Tensor or None, got ndarray"):
        gf.grads(as_numpy)([x, y])
    wrong_shape = with_gradients(lambda dy: [dy, gf.ones([2])])
    with pytest.raises(ValueError, match=r"gradient 1 has shape \[2\], input 1 has shape"):
        gf.grads(wrong_shape)([x, y])
    one_none = with_gradients(lambda dy: [dy * 3.0, None])  # None: no gradient for b
    da, db = gf.grads(one_none)([x, y])
    close(da, np.full(X.shape, 3.0))
    close(db, np.zeros(X.shape))


# --------------------------------------------------------------------------- second order

def test_second_order_elementwise(backend):
    x = gf.tensor(X)
    cube = lambda t: gf.sum(t * t * t)  # noqa: E731
    close(gf.grad(lambda t: gf.sum(gf.grad(cube)(t)))(x), 6 * X)
    close(gf.grad(lambda t: gf.sum(gf.grad(lambda s: gf.sum(gf.sin(s)))(t)))(x), -np.sin(X))
    th = np.tanh(X.astype(np.float64))
    d2_tanh = -2 * th * (1 - th ** 2)
    close(gf.grad(lambda t: gf.sum(gf.grad(lambda s: gf.sum(gf.tanh(s)))(t)))(x), d2_tanh)
    # third order of x^4: 24 x
    f = lambda t: gf.sum(gf.square(gf.square(t)))  # noqa: E731
    g1 = lambda t: gf.sum(gf.grad(f)(t))  # noqa: E731
    g2 = lambda t: gf.sum(gf.grad(g1)(t))  # noqa: E731
    close(gf.grad(g2)(x), 24 * X, rtol=1e-4)


def test_second_order_with_nested_tapes(backend):
    x = gf.tensor(X)
    with gf.GradientTape() as outer:
        outer.watch(x)
        with gf.GradientTape() as inner:
            inner.watch(x)
            y = gf.sum(gf.exp(x) * x)
        dy = inner.gradient(y, x)           # (x + 1) e^x
        total = gf.sum(dy)
    close(dy, (X + 1) * np.exp(X))
    close(outer.gradient(total, x), (X + 2) * np.exp(X))


def test_second_order_matmul(backend):
    """f(X) = sum((X W)^2): df/dX = 2 X W W^T. Then g(X) = sum(df/dX * V) is linear in X with
    dg/dX = 2 V W W^T (W W^T is symmetric)."""
    rng = np.random.default_rng(3)
    v = rng.standard_normal(X.shape).astype(np.float32)
    w = gf.tensor(W)
    f = lambda t: gf.sum(gf.square(gf.matmul(t, w)))  # noqa: E731
    first = gf.grad(f)(gf.tensor(X))
    close(first, 2 * X @ W @ W.T, rtol=1e-5)
    second = gf.grad(lambda t: gf.sum(gf.grad(f)(t) * gf.tensor(v)))(gf.tensor(X))
    close(second, 2 * v.astype(np.float64) @ W @ W.T, rtol=1e-5)


def test_second_order_agrees_with_finite_differences_of_the_first():
    # check_op differentiates the gradient function itself: gl vs cpu and finite differences
    def first_derivative(t, w):
        return gf.grads(lambda a, b: gf.sum(gf.tanh(gf.matmul(a, b))))([t, w])[0]
    check_op(first_derivative, [normal((3, 4)), normal((4, 2))], rtol=1e-5, atol=1e-5,
             fd_rtol=1e-4, fd_atol=1e-5, wrt=[0, 1])


# --------------------------------------------------------------------------- accumulation

def test_gradients_accumulate_when_a_tensor_is_used_twice(backend):
    x = gf.tensor(X)
    close(gf.grad(lambda t: gf.sum(t * t))(x), 2 * X)                  # both operands
    close(gf.grad(lambda t: gf.sum(t * t + t))(x), 2 * X + 1)           # two paths
    close(gf.grad(lambda t: gf.sum(gf.exp(t) * gf.sin(t)))(x),
          np.exp(X) * (np.sin(X) + np.cos(X)))
    # broadcast reuse: row r of t added to every row, so each element is used twice
    close(gf.grad(lambda t: gf.sum(t + t[0]))(x), np.array([[3.0] * 3, [1.0] * 3]))
    close(gf.grad(lambda t: gf.sum(gf.matmul(t, gf.transpose(t))))(x),
          2 * np.ones((2, 2)) @ X)


# --------------------------------------------------------------------------- not differentiable

@pytest.mark.parametrize("op", ["round", "floor", "sign"])
def test_gradient_through_a_non_differentiable_op_is_a_clear_error(backend, op):
    x = gf.tensor(X)
    with pytest.raises(ValueError, match=rf"gradient: op '{op}' is not differentiable, and "
                                         r"the target depends on a watched tensor through it"):
        gf.grad(lambda t: gf.sum(getattr(gf, op)(t) * t))(x)


def test_integer_and_bool_results_carry_no_gradient(backend):
    """argmax and comparisons return int32/bool, which carry no gradient: a target that depends
    on x only through them is a clear error; other paths are unaffected (x * (x > 0))."""
    x = gf.tensor(X)
    for f, op in [(lambda t: gf.sum(gf.cast(gf.argmax(t, 1), "float32")), "argmax"),
                  (lambda t: gf.sum(gf.cast(t > 0, "float32")), "greater")]:
        with gf.GradientTape() as tape:
            tape.watch(x)
            y = f(x)
        with pytest.raises(ValueError, match=rf"only through '{op}', whose (int32|bool) result"):
            tape.gradient(y, x)
        with pytest.raises(ValueError, match="carries no gradient"):
            gf.grad(f)(x)
    close(gf.grad(lambda t: gf.sum(gf.cast(t > 0, "float32") * t))(x), (X > 0).astype(float))


# --------------------------------------------------------------------------- unconnected

def test_unconnected_inputs(backend):
    x, unused = gf.tensor(X), gf.tensor(W)
    with gf.GradientTape(persistent=True) as tape:
        tape.watch(x, unused)
        y = gf.sum(x * 2.0)
    assert tape.gradient(y, unused) is None
    dx, du = tape.gradient(y, [x, unused])
    close(dx, np.full(X.shape, 2.0))
    assert du is None
    constant = gf.tensor(X)
    assert tape.gradient(y, constant) is None  # never watched
    # the functional API returns zeros of the input's shape instead of None
    d_x, d_unused = gf.grads(lambda a, b: gf.sum(a * 2.0))([x, unused])
    close(d_unused, np.zeros(W.shape))
    close(gf.grad(lambda t: gf.sum(gf.tensor(W)))(x), np.zeros(X.shape))


# --------------------------------------------------------------------------- memory

def test_no_tensor_growth_over_1000_gradient_steps():
    gf.set_backend("gl")
    rng = np.random.default_rng(0)
    x = gf.tensor(rng.standard_normal((16, 3)).astype(np.float32))
    target = gf.tensor(rng.standard_normal((16, 1)).astype(np.float32))
    w = gf.variable(gf.tensor(rng.standard_normal((3, 1)).astype(np.float32) * 0.1), name="w")
    b = gf.variable(gf.zeros([1]), name="b")

    def step():
        with gf.GradientTape() as tape:
            loss = gf.mean(gf.square(gf.matmul(x, w) + b - target))
        dw, db = tape.gradient(loss, [w, b])
        w.assign(w - dw * 0.05)
        b.assign(b - db * 0.05)
        return loss.item()
    first = [step() for _ in range(20)]
    gc.collect()
    before = gf.memory()
    losses = [step() for _ in range(1000)]
    gc.collect()
    after = gf.memory()
    for key in ("num_tensors", "num_bytes", "bytes_in_use", "num_textures", "num_compiles"):
        assert after[key] == before[key], key
    assert losses[-1] < first[0]  # and it learned something
    # the least-squares optimum is the limit of gradient descent
    design = np.hstack([x.numpy(), np.ones((16, 1), np.float32)]).astype(np.float64)
    best = np.linalg.lstsq(design, target.numpy().astype(np.float64), rcond=None)[0]
    close(w, best[:3], rtol=1e-3, atol=1e-3)


def test_integer_path_check_walks_deep_graphs(backend):
    """The check for integer-only paths walks the tape iteratively: a 1500-op chain with an
    argmax on the side still gives x its gradient and the unused tensor None."""
    x, unused = gf.tensor(X), gf.tensor(W)
    with gf.GradientTape() as tape:
        tape.watch(x, unused)
        y = x
        for _ in range(1500):
            y = y + 1.0
        target = gf.sum(y) + gf.sum(gf.cast(gf.argmax(y, 1), "float32")) * 0.0
    dx, du = tape.gradient(target, [x, unused])
    close(dx, np.ones(X.shape))
    assert du is None
