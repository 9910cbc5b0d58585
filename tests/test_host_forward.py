"""Host forwarding (glflow/backends/gl/host.py): small tensors' cheap ops run in numpy with the
bits the shaders would write, and everything else still meets GL as before."""
import os
import subprocess
import sys

import numpy as np
import pytest

import glflow as gf
from glflow.backends.gl import host
from glflow.runtime import counters, registry, state

# Values where kernels differ if they differ at all: signed zeros, infinities, nan, integers
# and halves (rounding), large and small normal floats, the float32 extremes.
SPECIAL = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 1.0, -1.0, 2.5, -2.5, 0.5, -0.5, 3.0,
                    1e-37, -1e-37, 3.4e38, -3.4e38, 6.0, 7.0, 1e20, -1e20], np.float32)
ARITY = {"where": 3, "fill": 0}
BINARY = {"add", "sub", "mul", "maximum", "minimum", "squared_difference", "equal",
          "not_equal", "greater", "greater_equal", "less", "less_equal", "logical_and",
          "logical_or", "logical_xor", "prelu"}
PARAMS = {"leaky_relu": {"alpha": 0.2}, "step": {"alpha": -0.3},
          "clip_by_value": {"clip_value_min": -1.5, "clip_value_max": 2.0},
          "fill": {"value": -7.25}}


def _arity(kernel):
    return ARITY.get(kernel, 2 if kernel in BINARY else 1)


def _values(rng, size, kernel):
    if kernel.startswith("logical") or kernel == "where":
        return rng.integers(0, 2, size).astype(np.float32)
    mixed = rng.standard_normal(size).astype(np.float32) * rng.choice([1, 100, 1e-3], size)
    picks = rng.random(size) < 0.5
    return np.where(picks, rng.choice(SPECIAL, size), mixed).astype(np.float32)


def _same_bits(got, want):
    """Equal, signed zeros told apart, any nan equal to any nan."""
    nan = np.isnan(want)
    assert np.array_equal(np.isnan(got), nan)
    assert np.array_equal(got[~nan].view(np.uint32), want[~nan].view(np.uint32)), (got, want)


@pytest.fixture
def backend():
    gf.set_backend("gl")
    b = state.backend()
    previous = b.host_forward
    b.host_forward = True
    yield b
    b.host_forward = previous


def _run_both(b, kernel, arrays, out_shape, attrs):
    """(forwarded result, drawn result) as float32 arrays. The host runs the kernel unless its
    result holds a denormal (then GL does, as host.run documents)."""
    shapes = [a.shape for a in arrays]
    before = counters.kernel_counts.get(("host", kernel), 0)
    on_host = b.run(kernel, [(b.upload(a), a.shape) for a in arrays], out_shape, "float32",
                    attrs)
    forwarded = on_host.host is not None
    assert forwarded or kernel in host.MAY_DENORMALIZE
    assert forwarded == (on_host._texture is None)
    assert counters.kernel_counts.get(("host", kernel), 0) == before + forwarded
    b.host_forward = False
    try:
        drawn = b.run(kernel, [(b.upload(a), s) for a, s in zip(arrays, shapes)], out_shape,
                      "float32", attrs)
        assert drawn.host is None
    finally:
        b.host_forward = True
    return (b.read(on_host, out_shape, "float32"), b.read(drawn, out_shape, "float32"))


@pytest.mark.parametrize("kernel", sorted(host.FORWARDED))
@pytest.mark.parametrize("size", [1, 7, 13, 127])
def test_forwarded_kernel_writes_the_shader_bits(backend, kernel, size):
    rng = np.random.default_rng(size)
    arrays = [_values(rng, size, kernel) for _ in range(_arity(kernel))]
    got, want = _run_both(backend, kernel, arrays, (size,), PARAMS.get(kernel, {}))
    _same_bits(got, want)


@pytest.mark.parametrize("kernel", sorted(BINARY))
def test_broadcast_operands(backend, kernel):
    rng = np.random.default_rng(3)
    for a_shape, b_shape, out in [((3, 5), (), (3, 5)), ((), (7,), (7,)),
                                  ((3, 1), (1, 5), (3, 5)), ((2, 1, 3), (4, 1), (2, 4, 3))]:
        a = _values(rng, int(np.prod(a_shape)), kernel).reshape(a_shape)
        c = _values(rng, int(np.prod(b_shape)), kernel).reshape(b_shape)
        got, want = _run_both(backend, kernel, [a, c], out, {})
        _same_bits(got, want)


def test_forwarding_covers_every_listed_kernel_and_only_elementwise_ones():
    assert host.FORWARDED <= set(registry.REGISTRY)
    assert all(registry.get(k).pattern == registry.ELEMENTWISE for k in host.FORWARDED)
    assert host.MAY_DENORMALIZE <= host.FORWARDED


def test_public_ops_match_drawn_ops_on_views_and_dtypes(backend):
    """Transposes and slices (the identity kernel through a view), int32 and bool tensors."""
    rng = np.random.default_rng(5)
    x = rng.standard_normal((5, 7)).astype(np.float32)
    i = rng.integers(-20, 20, (5, 7)).astype(np.int32)

    def program():
        a, n = gf.tensor(x), gf.tensor(i)
        return [gf.transpose(a) * 2.0, a[1:4, ::2] - 1.0, n + 3, n * n - n, gf.greater(a, 0.1),
                gf.where(a > 0, a, -a), gf.relu(a) + gf.cast(n, "float32"), -n, gf.abs(n),
                gf.logical_and(a > 0, n > 0), gf.minimum(n, 4), gf.ones([3, 2]) * 5.0]

    results = [(r.numpy(), r.dtype) for r in program()]
    backend.host_forward = False
    drawn = [(r.numpy(), r.dtype) for r in program()]
    for (got, got_dtype), (want, want_dtype) in zip(results, drawn):
        assert got_dtype == want_dtype
        assert got.dtype == want.dtype and got.shape == want.shape
        if got.dtype.kind == "f":
            _same_bits(got, want)
        else:
            assert np.array_equal(got, want)


def test_threshold_is_tensors_under_128_elements(backend):
    before = counters.kernel_counts.get(("host", "add"), 0)
    small = gf.tensor(np.ones(127, np.float32))
    large = gf.tensor(np.ones(128, np.float32))
    assert small._storage.handle.host is not None
    assert large._storage.handle.host is None
    (small + small).numpy()
    (large + large).numpy()
    assert counters.kernel_counts.get(("host", "add"), 0) == before + 1


def test_a_host_tensor_read_by_gl_kernels_is_uploaded_once_and_kept(backend):
    rng = np.random.default_rng(9)
    w = rng.standard_normal((4, 6)).astype(np.float32)
    t = gf.tensor(w)
    data = t._storage.handle
    assert data._texture is None
    got = gf.matmul(gf.tensor(np.eye(3, 4, dtype=np.float32)), t).numpy()
    np.testing.assert_array_equal(got, w[:3])
    texture = data._texture
    assert texture is not None and data.host is not None
    np.testing.assert_allclose(gf.sum(t, axis=0).numpy(), w.sum(0), rtol=1e-6, atol=1e-6)
    assert data._texture is texture  # made once
    np.testing.assert_array_equal((t * 2.0).numpy(), w * 2)  # and still forwarded
    np.testing.assert_array_equal(t.numpy(), w)


def test_denormals_go_to_gl(backend):
    """llvmpipe reads and writes denormals as zero; host copies never hold one."""
    tiny = np.float32(np.finfo(np.float32).tiny)
    x = gf.tensor(np.array([1e-40, 1.0, -3e-39], np.float32))
    assert x._storage.handle.host is None
    a = gf.tensor(np.array([tiny * 1.5, 2.0], np.float32))
    c = gf.tensor(np.array([tiny, 1.0], np.float32))
    assert a._storage.handle.host is not None
    before = counters.kernel_counts.get(("host", "sub"), 0)
    d = a - c  # tiny / 2: a denormal result, which GL flushes to zero
    assert counters.kernel_counts.get(("host", "sub"), 0) == before
    np.testing.assert_array_equal(d.numpy(), [0.0, 1.0])
    before = counters.kernel_counts.get(("host", "leaky_relu"), 0)
    gf.nn.leaky_relu(c, alpha=1e-40).numpy()  # a denormal parameter: GL's launch
    assert counters.kernel_counts.get(("host", "leaky_relu"), 0) == before


@pytest.mark.parametrize("size", [1, 3, host.FEW, host.FEW + 1, 100])
def test_has_denormal_agrees_with_the_definition_at_every_size(size):
    """The few-element path (Python floats) and numpy's give the definition's answer: some
    element is nonzero with a magnitude under the smallest normal float32."""
    tiny = np.finfo(np.float32).tiny
    rng = np.random.default_rng(size)
    pool = np.array([0.0, -0.0, np.nan, np.inf, -np.inf, 1.0, -2.5, tiny, -tiny, 1e-39,
                     -1e-45, tiny * 0.999, 3.4e38], np.float32)
    for _ in range(300):
        a = rng.choice(pool, size)
        magnitude = np.abs(a.astype(np.float64))
        expected = bool(((magnitude > 0) & (magnitude < tiny)).any())
        assert host.has_denormal(a) == expected, a


def test_training_is_bit_identical_with_and_without_forwarding(backend):
    """The TF.js curve-fitting tutorial's shape of work: tiny tensors, a tape, an optimizer."""
    rng = np.random.default_rng(1)
    xs = rng.uniform(-1, 1, 50).astype(np.float32)
    ys = (0.3 * xs ** 3 - 0.5 * xs + 0.1 + rng.normal(0, 0.05, 50)).astype(np.float32)

    def fit():
        coef = [gf.Variable(gf.tensor(np.float32(v))) for v in (0.1, -0.2, 0.3, 0.05)]
        opt = gf.optimizers.SGD(0.3)
        x, y = gf.tensor(xs), gf.tensor(ys)
        losses = []
        for _ in range(15):
            with gf.GradientTape() as tape:
                a, b, c, d = coef
                pred = a * x * x * x + b * x * x + c * x + d
                loss = gf.reduce_mean(gf.square(pred - y))
            opt.apply_gradients(zip(tape.gradient(loss, coef), coef))
            losses.append(loss.numpy())
        return np.array(losses), np.array([v.numpy() for v in coef])

    before = counters.kernel_counts.get(("host", "mul"), 0)
    losses, coef = fit()
    assert counters.kernel_counts.get(("host", "mul"), 0) > before
    backend.host_forward = False
    drawn_losses, drawn_coef = fit()
    _same_bits(losses, drawn_losses)
    _same_bits(coef, drawn_coef)
    assert losses[-1] < losses[0]


def test_disposal_and_memory_counts(backend):
    gf.tensor([1.0])  # warm anything made once
    start = gf.memory()
    x = gf.tensor(np.arange(10, dtype=np.float32))
    ys = [x * x for _ in range(5)]
    assert gf.memory()["num_tensors"] == start["num_tensors"] + 6
    for y in ys:
        y.dispose()
    x.dispose()
    assert gf.memory()["num_tensors"] == start["num_tensors"]
    assert gf.memory()["num_bytes"] == start["num_bytes"]
    with pytest.raises(Exception, match="disposed"):
        ys[0] + 1.0


def test_environment_switch_turns_forwarding_off():
    code = ("import glflow as gf; from glflow.runtime import state, counters; "
            "gf.set_backend('gl'); b = state.backend(); x = gf.tensor([1.0, 2.0]); "
            "(x + x).numpy(); print(b.host_forward, x._storage.handle._texture is not None, "
            "counters.kernel_counts.get(('host', 'add'), 0), "
            "counters.kernel_counts.get(('gl', 'add'), 0))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={**os.environ, "GLFLOW_HOST_FORWARD": "0"},
                         check=True).stdout.split()
    assert out == ["False", "True", "0", "1"]


def test_tensors_made_while_forwarding_was_off_forward_once_it_is_on(backend):
    backend.host_forward = False
    x = gf.tensor(np.arange(6, dtype=np.float32))
    assert x._storage.handle._texture is not None
    backend.host_forward = True
    before = counters.kernel_counts.get(("host", "mul"), 0)
    np.testing.assert_array_equal((x * x).numpy(), np.arange(6) ** 2)
    assert counters.kernel_counts.get(("host", "mul"), 0) == before + 1
