"""Image loads (glflow/backends/gl/context.py, "Image loads"): where the GL has image
load/store, elementwise passes read same-layout inputs with imageLoad through read-only image
units instead of texelFetch. The two reads must give the same bits, and reads of textures the
previous draw just rendered must see the new values (eager chains, compiled replay, several
outputs), with and without llvmpipe's rasteriser threads."""
import os
import subprocess
import sys

import numpy as np
import pytest

import glflow as gf
from glflow.backends.gl import access, context, elementwise
from glflow.runtime import state

pytestmark = pytest.mark.skipif(os.environ.get("GLFLOW_IMAGE_LOADS") == "0",
                                reason="image loads turned off for this run")


@pytest.fixture
def gl():
    gf.set_backend("gl")
    b = state.backend()
    previous = b.host_forward
    b.host_forward = False   # every op drawn, also the small ones
    yield b
    b.host_forward = previous
    b.set_image_loads(True)


def both_reads(backend, fn):
    """fn() as numpy arrays with image loads on, then off (fresh launches each time)."""
    results = []
    for on in (True, False):
        backend.set_image_loads(on)
        out = fn()
        results.append([y.numpy() for y in (out if isinstance(out, (list, tuple)) else [out])])
    return results


def same_bits(a, b):
    assert a.shape == b.shape and a.dtype == b.dtype
    assert np.array_equal(a.view(np.uint32), b.view(np.uint32)) if a.dtype == np.float32 \
        else np.array_equal(a, b)


def test_image_inputs_follow_the_extension(gl):
    has = context.IMAGE_EXTENSION in gl.ctx.extensions
    assert gf.backend_info()["image_inputs"] == (context.IMAGE_INPUTS if has else 0)


def test_eager_ops_read_the_same_bits_both_ways(gl):
    if not gl.gl.image_inputs:
        pytest.skip("this GL has no image load/store")
    rng = np.random.default_rng(3)
    # odd sizes (the last texel reaches past the data), a broadcast operand (sampler) beside a
    # same-layout one (image), specials
    x = rng.standard_normal((37, 53)).astype(np.float32)
    x.flat[:6] = [0.0, -0.0, np.inf, -np.inf, np.nan, 1e-38]
    y = rng.standard_normal((37, 53)).astype(np.float32)
    row = rng.standard_normal(53).astype(np.float32)

    def ops():
        a, b, r = gf.tensor(x), gf.tensor(y), gf.tensor(row)
        return [gf.sin(a), gf.exp(a), a + b, gf.maximum(a, b) * r, gf.where(a > b, a, r),
                gf.transpose(a) * 2.0]
    on, off = both_reads(gl, ops)
    with np.errstate(invalid="ignore", over="ignore"):   # sin(inf) is nan, as on GL
        want = [np.sin(x), np.exp(x), x + y, np.maximum(x, y) * row]
    for got_on, got_off in zip(on, off):
        same_bits(got_on, got_off)
    for got, w in zip(on, want):
        np.testing.assert_allclose(got, w, rtol=2e-6, atol=1e-6)


def test_a_chain_reads_what_the_previous_draw_wrote(gl):
    """300 dependent adds ping-ponging through pooled textures: a stale read anywhere
    shows in the sum."""
    c = np.float32(0.5)

    def chain():
        y = gf.tensor(np.zeros(4099, np.float32))
        k = gf.tensor(np.full(4099, c, np.float32))
        for _ in range(300):
            y = y + k
        return y
    on, off = both_reads(gl, chain)
    np.testing.assert_array_equal(on[0], np.full(4099, 150.0, np.float32))
    same_bits(on[0], off[0])


def test_more_inputs_than_image_units(gl):
    """A fused pass of ten same-layout inputs: eight read as images, two through samplers."""
    rng = np.random.default_rng(5)
    xs = [rng.standard_normal(301).astype(np.float32) for _ in range(10)]
    f = gf.function(lambda *ts: gf.add_n([t * float(i + 1) for i, t in enumerate(ts)]))

    def run():
        return f(*[gf.tensor(a) for a in xs])
    on, off = both_reads(gl, run)
    assert len(f.graph.kernel_nodes()) == 1
    same_bits(on[0], off[0])
    want = sum(np.float64(a) * (i + 1) for i, a in enumerate(xs))
    np.testing.assert_allclose(on[0], want, rtol=1e-5, atol=1e-5)


def test_compiled_replay_with_one_and_several_outputs(gl):
    rng = np.random.default_rng(7)
    x = rng.standard_normal((64, 33)).astype(np.float32)

    def block(t):
        h = gf.tanh(t * 0.5 + 1.0)
        return h, h * h   # one fused pass writing two render targets

    def chain(t):
        for _ in range(5):
            t = gf.sin(t) + t
        return t

    results = []
    for on in (True, False):
        gl.set_image_loads(on)
        f, g = gf.function(block), gf.function(chain)   # traced and prepared afresh
        runs = [[y.numpy() for y in f(gf.tensor(x))] + [g(gf.tensor(x)).numpy()]
                for _ in range(3)]
        for later in runs[1:]:
            for a, b in zip(runs[0], later):
                same_bits(a, b)
        results.append(runs[0])
    for a, b in zip(*results):
        same_bits(a, b)
    h = np.tanh(x * 0.5 + 1.0)
    np.testing.assert_allclose(results[0][1], h * h, rtol=1e-5, atol=1e-6)


def test_reductions_read_the_same_bits_both_ways(gl):
    """The reduction passes read their input through an image unit too (one pass and
    several; texel-aligned, inner-axis and per-element variants)."""
    if not gl.gl.image_inputs:
        pytest.skip("this GL has no image load/store")
    rng = np.random.default_rng(11)
    x = rng.standard_normal((301, 1037)).astype(np.float32)
    big = rng.standard_normal(3 << 20).astype(np.float32)

    def reductions():
        t, b = gf.tensor(x), gf.tensor(big)
        return [gf.reduce_sum(t, 1), gf.reduce_max(t, 0), gf.reduce_min(gf.transpose(t), 1),
                gf.reduce_prod(t[:, :8] * 0.5 + 1.0, 1), gf.reduce_sum(b), gf.reduce_any(t > 3.0, 1)]
    on, off = both_reads(gl, reductions)
    for a, b in zip(on, off):
        same_bits(a, b)
    np.testing.assert_allclose(on[0], x.sum(1), rtol=1e-4, atol=1e-3)
    np.testing.assert_array_equal(on[1], x.max(0))
    np.testing.assert_allclose(on[4], big.astype(np.float64).sum(), rtol=1e-4, atol=0.5)


def test_a_fused_prologue_reads_the_same_bits_both_ways(gl):
    """graph mode fuses an elementwise prologue into the reduction's first pass; its
    same-layout inputs are image units, the broadcast one a sampler."""
    rng = np.random.default_rng(13)
    x = rng.standard_normal((129, 67)).astype(np.float32)
    y = rng.standard_normal((129, 67)).astype(np.float32)
    row = rng.standard_normal(67).astype(np.float32)
    results = []
    for on in (True, False):
        gl.set_image_loads(on)
        f = gf.function(lambda a, b, r: gf.reduce_sum(gf.tanh(a * b + r), 1))
        results.append(f(gf.tensor(x), gf.tensor(y), gf.tensor(row)).numpy())
        assert len(f.graph.kernel_nodes()) == 1
    same_bits(*results)
    np.testing.assert_allclose(results[0], np.tanh(x * y + row).sum(1), rtol=1e-5, atol=1e-4)


def test_pair_reductions_and_softmax_read_the_same_bits_both_ways(gl):
    """argmax / argmin, logsumexp and the softmax family read their input through an image
    unit too (the softmax pass reads its line statistics through a sampler beside it)."""
    if not gl.gl.image_inputs:
        pytest.skip("this GL has no image load/store")
    rng = np.random.default_rng(17)
    x = rng.standard_normal((37, 1029)).astype(np.float32)

    def ops():
        t = gf.tensor(x)
        return [gf.argmax(t, 1), gf.argmin(t, 0), gf.logsumexp(t, 1), gf.softmax(t),
                gf.log_softmax(gf.transpose(t)), gf.softmax(t[:, :12])]
    on, off = both_reads(gl, ops)
    for a, b in zip(on, off):
        same_bits(a, b)
    np.testing.assert_array_equal(on[0], x.argmax(1))
    e = np.exp(x - x.max(1, keepdims=True))
    np.testing.assert_allclose(on[3], e / e.sum(1, keepdims=True), rtol=1e-5, atol=1e-7)


def test_fused_optimizer_updates_read_the_same_bits_both_ways(gl):
    """The Adam and momentum updates read all their inputs through image units."""
    if not gl.gl.image_inputs:
        pytest.skip("this GL has no image load/store")
    rng = np.random.default_rng(19)
    w, m, g = (rng.standard_normal(1031).astype(np.float32) for _ in range(3))
    v = rng.random(1031).astype(np.float32)

    def updates():
        tw, tm, tv, tg = (gf.tensor(a) for a in (w, m, v, g))
        return (list(gf.adam_update(tw, tm, tv, tg, 0.01, decay=0.99))
                + list(gf.sgd_momentum_update(tw, tm, tg, 0.1, 0.9, nesterov=True)))
    on, off = both_reads(gl, updates)
    for a, b in zip(on, off):
        same_bits(a, b)
    m2 = m * np.float32(0.9) + g * np.float32(0.1)
    np.testing.assert_allclose(on[1], m2, rtol=1e-6, atol=1e-7)


def test_pooling_reads_the_same_bits_both_ways(gl):
    """The pooling kernels and their gradients read their inputs through image units: aligned
    (C % 4 == 0, whole texels) and unaligned channels."""
    if not gl.gl.image_inputs:
        pytest.skip("this GL has no image load/store")
    rng = np.random.default_rng(23)
    arrays = [rng.standard_normal((2, 9, 11, c)).astype(np.float32) for c in (8, 3)]

    def max_pool(t):
        return gf.nn.max_pool(t, [1, 3, 3, 1], [1, 2, 2, 1], "SAME")

    def avg_pool(t):
        return gf.nn.avg_pool(t, [1, 2, 2, 1], [1, 2, 2, 1], "VALID")

    def pools():
        out = []
        for a in arrays:
            x = gf.tensor(a)
            out += [max_pool(x), avg_pool(x)]
            out += gf.grads(lambda t: gf.sum(max_pool(t) ** 2))([x])
            out += gf.grads(lambda t: gf.sum(avg_pool(t) * 3.0))([x])
        return out
    on, off = both_reads(gl, pools)
    for a, b in zip(on, off):
        same_bits(a, b)
    want = arrays[1][:, :8, :10].reshape(2, 4, 2, 5, 2, 3).mean(axis=(2, 4))
    np.testing.assert_allclose(on[5], want, rtol=1e-6, atol=1e-6)


def test_plans_say_which_inputs_are_images():
    tile = access.Access("tile", uniforms={"texels": 2})
    plan = elementwise.Plan(elementwise.call("add", 2), [access.SAME, tile], 1, images=8)
    assert plan.images == (True, False)
    assert "imageLoad(u_x0" in plan.source and "texelFetch(u_x1" in plan.source
    assert elementwise.Plan(elementwise.call("add", 2), [access.SAME, access.SAME], 1,
                            images=0).images is None


@pytest.mark.parametrize("setting, expect", [("0", "0"), ("2", "GLFLOW_IMAGE_LOADS must be")])
def test_the_environment_variable(setting, expect):
    code = ("import glflow as gf\n"
            "try:\n"
            "    print(gf.backend_info()['image_inputs'])\n"
            "except ValueError as e:\n"
            "    print(e)\n")
    env = dict(os.environ, GLFLOW_IMAGE_LOADS=setting, GLFLOW_BACKEND="gl")
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                          timeout=120)
    assert expect in done.stdout, done.stdout + done.stderr
