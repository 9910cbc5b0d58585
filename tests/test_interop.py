"""Render-to-tensor interop (glflow/interop.py): textures of glflow's context <-> tensors.

Expected values come from the texture's own bytes (numpy: k / 255, float32 as stored, rows
reversed for the top-row-first convention), never from glflow; the row convention is pinned to
a picture moderngl really renders (red on top), on both backends.
"""
import io
import json
import threading

import moderngl
import numpy as np
import pytest

import glflow as gf
from glflow.runtime import counters, state
from glflow.backends.gl import interop as gl_interop
from glflow.backends.gl.backend import GLBackend
from glflow.bench import load_suite, runner
from test_glsl_dialects import validate

SIZES = [(7, 5), (1, 1), (33, 17)]      # (width, height): odd, one pixel, wider than a texel row
NUMPY = {"f1": np.uint8, "f2": np.float16, "f4": np.float32}


def texels(rng, dtype, height, width, components):
    """Random texel data as the texture stores it, and the float32 values it stands for."""
    shape = (height, width, components)
    if dtype == "f1":
        data = rng.integers(0, 256, shape).astype(np.uint8)
        return data, data.astype(np.float32) / np.float32(255)
    data = (rng.standard_normal(shape) * 100).astype(NUMPY[dtype])
    return data, data.astype(np.float32)


def make_texture(data, dtype):
    height, width, components = data.shape
    with gf.gl_section() as ctx:
        return ctx.texture((width, height), components, data=data.tobytes(), dtype=dtype,
                           alignment=1)


def release(*textures):
    with gf.gl_section():
        for t in textures:
            t.release()


def read_bytes(texture):
    with gf.gl_section():
        return texture.read(alignment=1)


@pytest.mark.parametrize("backend", ["gl", "cpu"])
@pytest.mark.parametrize("dtype", ["f1", "f2", "f4"])
@pytest.mark.parametrize("components", [1, 2, 3, 4])
def test_from_texture_is_exact(backend, dtype, components):
    gf.set_backend(backend)
    rng = np.random.default_rng(components)
    for width, height in SIZES:
        data, values = texels(rng, dtype, height, width, components)
        tex = make_texture(data, dtype)
        top_first = gf.from_texture(tex)
        as_stored = gf.from_texture(tex, flip_y=False)
        release(tex)
        assert top_first.shape == [height, width, components]
        assert top_first.dtype == "float32" and top_first.backend.name == backend
        assert np.array_equal(as_stored.numpy(), values)
        assert np.array_equal(top_first.numpy(), values[::-1])


@pytest.mark.parametrize("backend", ["gl", "cpu"])
@pytest.mark.parametrize("dtype", ["f1", "f4"])
@pytest.mark.parametrize("components", [1, 2, 3, 4])
def test_round_trips_are_exact(backend, dtype, components):
    """texture -> tensor -> texture gives the same bytes; tensor -> texture -> tensor the same
    values (for 8-bit, values that are k / 255)."""
    gf.set_backend(backend)
    rng = np.random.default_rng(10 + components)
    for width, height in SIZES:
        data, values = texels(rng, dtype, height, width, components)
        tex = make_texture(data, dtype)
        t = gf.from_texture(tex)
        back = t.to_texture(dtype=dtype)
        assert (back.size, back.components, back.dtype) == ((width, height), components, dtype)
        assert read_bytes(back) == data.tobytes()
        again = gf.from_texture(back)
        release(tex, back)
        assert np.array_equal(again.numpy(), t.numpy())
        stored = gf.tensor(values).to_texture(dtype=dtype, flip_y=False)
        assert read_bytes(stored) == data.tobytes()
        release(stored)


def test_to_texture_8bit_rounds_like_numpy_on_both_backends():
    """Out-of-range values clamp, the rest round to the nearest k / 255, NaN writes 0: the GL
    pass and the numpy twin agree byte for byte, and with an independent numpy formula."""
    rng = np.random.default_rng(3)
    x = np.concatenate([rng.uniform(-0.3, 1.3, 4000), (np.arange(256) + 0.5) / 255,
                        [np.nan, np.inf, -np.inf, 0.0]]).astype(np.float32).reshape(-1, 5, 1)
    want = np.rint(np.clip(np.nan_to_num(x[::-1], nan=0.0), 0, 1) * np.float32(255))
    for backend in ("gl", "cpu"):
        gf.set_backend(backend)
        tex = gf.tensor(x).to_texture(dtype="f1")
        got = np.frombuffer(read_bytes(tex), np.uint8).reshape(x.shape)
        release(tex)
        assert np.array_equal(got, want.astype(np.uint8)), backend


VERTEX = """#version 330 core
in vec2 in_position;
void main() { gl_Position = vec4(in_position, 0.0, 1.0); }
"""
RED_ON_TOP = """#version 330 core
out vec4 color;
void main() { color = gl_FragCoord.y > 3.0 ? vec4(1.0, 0.0, 0.0, 1.0) : vec4(0.0, 0.0, 1.0, 1.0); }
"""


def render_red_on_top(ctx, width=5, height=6):
    """A picture whose upper half (NDC y > 0, as on a screen) is red, lower half blue."""
    color = ctx.texture((width, height), 4)
    fbo = ctx.framebuffer([color])
    prog = ctx.program(vertex_shader=VERTEX, fragment_shader=RED_ON_TOP)
    quad = ctx.buffer(np.array([-1, -1, 1, -1, -1, 1, 1, 1], dtype="f4"))
    vao = ctx.vertex_array(prog, [(quad, "2f", "in_position")])
    fbo.use()
    vao.render(moderngl.TRIANGLE_STRIP)
    for obj in (vao, quad, prog, fbo):
        obj.release()
    return color


@pytest.mark.parametrize("backend", ["gl", "cpu"])
def test_rendered_picture_comes_top_row_first(backend):
    gf.set_backend(backend)
    with gf.gl_section() as ctx:
        color = render_red_on_top(ctx)
        image = gf.from_texture(color).numpy()
        color.release()
    red, blue = [1, 0, 0, 1], [0, 0, 1, 1]
    assert np.array_equal(image[:3], np.broadcast_to(red, (3, 5, 4)))
    assert np.array_equal(image[3:], np.broadcast_to(blue, (3, 5, 4)))


SAMPLE_TOP = """#version 330 core
uniform sampler2D image;
out vec4 color;
void main() { color = texture(image, vec2(0.5, 0.99)); }
"""


def test_to_texture_shows_row_zero_at_the_top():
    """Sampled the way a shader shows a picture (v = 1 is the top), the texture shows the
    tensor's row 0 there."""
    picture = np.zeros((4, 3, 4), np.float32)
    picture[0] = [0.25, 0.5, 0.75, 1.0]
    tex = gf.tensor(picture).to_texture()
    with gf.gl_section() as ctx:
        tex.filter = (moderngl.NEAREST, moderngl.NEAREST)
        out = ctx.texture((1, 1), 4, dtype="f4")
        fbo = ctx.framebuffer([out])
        prog = ctx.program(vertex_shader=VERTEX, fragment_shader=SAMPLE_TOP)
        quad = ctx.buffer(np.array([-1, -1, 3, -1, -1, 3], dtype="f4"))
        vao = ctx.vertex_array(prog, [(quad, "2f", "in_position")])
        fbo.use()
        tex.use(0)
        vao.render(moderngl.TRIANGLES)
        seen = np.frombuffer(out.read(), np.float32)
        for obj in (vao, quad, prog, fbo, out, tex):
            obj.release()
    assert np.array_equal(seen, picture[0, 0])


def test_gl_from_texture_stays_on_the_gpu(monkeypatch):
    """No texture or framebuffer read, no upload: one GL pass into the tensor's texture."""
    data, values = texels(np.random.default_rng(4), "f1", 9, 11, 3)
    tex = make_texture(data, "f1")

    def refuse(*args, **kwargs):
        raise AssertionError("from_texture read back or uploaded")
    for cls, name in ((moderngl.Texture, "read"), (moderngl.Texture, "read_into"),
                      (moderngl.Framebuffer, "read"), (GLBackend, "upload"),
                      (GLBackend, "read")):
        monkeypatch.setattr(cls, name, refuse)
    before = counters.kernel_counts.get(("gl", "from_texture"), 0)
    t = gf.from_texture(tex)
    assert counters.kernel_counts[("gl", "from_texture")] == before + 1
    monkeypatch.undo()
    release(tex)
    assert np.array_equal(t.numpy(), values[::-1])


def test_user_gl_state_does_not_leak_into_kernels():
    """A 3-D pass leaves blending/culling/wireframe on: from_texture and the ops after it
    still compute exact values, and the state is glflow's after the section."""
    data, values = texels(np.random.default_rng(5), "f4", 4, 6, 4)
    tex = make_texture(data, "f4")
    with gf.gl_section() as ctx:
        ctx.enable(moderngl.BLEND | moderngl.CULL_FACE | moderngl.DEPTH_TEST)
        ctx.blend_func = moderngl.ONE, moderngl.ONE
        ctx.cull_face = "front"
        ctx.wireframe = True
        sampler = ctx.sampler(filter=(moderngl.LINEAR_MIPMAP_LINEAR, moderngl.LINEAR))
        sampler.use(0)                   # a mipmap filter and no mipmaps: texelFetch reads 0
        t = gf.from_texture(tex)
        doubled = t * 2.0
        ctx.enable(moderngl.BLEND)
        ctx.wireframe = True
        sampler.use(0)
    after = t + 1.0
    with gf.gl_section() as ctx:
        ctx.cull_face = "back"           # the GL default again, for the tests that follow
        ctx.blend_func = moderngl.DEFAULT_BLENDING
    release(tex, sampler)
    np.testing.assert_array_equal(doubled.numpy(), values[::-1] * 2.0)
    np.testing.assert_array_equal(after.numpy(), values[::-1] + 1.0)


def test_from_texture_in_another_thread():
    data, values = texels(np.random.default_rng(6), "f1", 5, 7, 4)
    tex = make_texture(data, "f1")
    results = []
    worker = threading.Thread(target=lambda: results.append(gf.from_texture(tex).numpy()))
    worker.start()
    worker.join()
    release(tex)
    assert np.array_equal(results[0], values[::-1])


def test_repeated_frames_reuse_pooled_textures():
    data, _ = texels(np.random.default_rng(7), "f1", 16, 16, 4)
    tex = make_texture(data, "f1")
    gf.from_texture(tex)
    textures = gf.memory()["num_textures"]
    for _ in range(5):
        frame = gf.from_texture(tex)
        del frame
    assert gf.memory()["num_textures"] == textures
    release(tex)


# --------------------------------------------------------------------------- bad input

def gl_work():
    """Counters that move on any GL work: textures made, kernels launched."""
    return gf.memory()["textures_created"], dict(counters.kernel_counts)


def test_from_texture_refuses_what_it_cannot_read():
    ctx = gf.context()
    with gf.gl_section():
        depth = ctx.depth_texture((4, 4))
        integer = ctx.texture((4, 4), 4, dtype="u1")
        released = ctx.texture((4, 4), 4)
        released.release()
        flat = ctx.texture((3, 3), 4)
    cases = [
        (np.zeros((4, 4, 4), np.float32), TypeError, "moderngl.Texture, got ndarray"),
        (depth, ValueError, "depth textures are not supported"),
        (integer, ValueError, "texture dtype 'u1' is not supported"),
        (released, ValueError, "has been released"),
    ]
    before = gl_work()
    for texture, error, message in cases:
        with pytest.raises(error, match=message) as info:
            gf.from_texture(texture)
        assert "from_texture" in str(info.value)
    with pytest.raises(TypeError, match="from_texture: flip_y must be True or False"):
        gf.from_texture(flat, flip_y=1)
    assert gl_work() == before
    release(depth, integer, flat)


def test_from_texture_refuses_another_context():
    other = moderngl.create_context(standalone=True, backend="egl", require=330)
    try:
        with other:
            foreign = other.texture((2, 2), 4)
        before = gl_work()
        with pytest.raises(ValueError, match="from_texture: the texture belongs to another "
                                             "GL context"):
            gf.from_texture(foreign)
        assert gl_work() == before
    finally:
        other.release()


@pytest.mark.parametrize("shape, kwargs, error, message", [
    ((4, 4), {}, ValueError, r"\[height, width, channels\] with 1 to 4 channels, got shape \[4, 4\]"),
    ((2, 4, 4, 3), {}, ValueError, r"got shape \[2, 4, 4, 3\]"),
    ((4, 4, 5), {}, ValueError, r"got shape \[4, 4, 5\]"),
    ((0, 4, 3), {}, ValueError, r"1 to \d+ pixels on a side on this device, tensor shape \[0, 4, 3\]"),
    ((4, 4, 3), {"dtype": "f2"}, ValueError, "dtype 'f2' is not supported; supported: 'f1'"),
    ((4, 4, 3), {"dtype": "rgba8"}, ValueError, "dtype 'rgba8' is not supported"),
    ((4, 4, 3), {"flip_y": "yes"}, TypeError, "flip_y must be True or False"),
])
def test_to_texture_refuses_bad_arguments(shape, kwargs, error, message):
    t = gf.zeros(shape)
    before = gl_work()
    with pytest.raises(error, match="to_texture: .*" + message):
        t.to_texture(**kwargs)
    assert gl_work() == before


def test_to_texture_refuses_a_side_past_the_device_limit_and_disposed_tensors():
    limit = gf.backend_info()["max_texture_size"]
    tall = gf.zeros([limit + 1, 1, 1])
    with pytest.raises(ValueError, match=f"to_texture: a texture is 1 to {limit} pixels"):
        tall.to_texture()
    gone = gf.zeros([2, 2, 4])
    gone.dispose()
    with pytest.raises(ValueError, match="to_texture: tensor .* is disposed"):
        gone.to_texture()
    with pytest.raises(TypeError, match="to_texture: expected a glflow Tensor, got list"):
        gf.to_texture([[[1.0]]])


def test_context_is_glflows_and_usable_from_the_cpu_backend():
    gf.set_backend("cpu")
    ctx = gf.context()
    assert isinstance(ctx, moderngl.Context)
    assert ctx is state._named("gl").ctx
    tex = gf.tensor(np.full((2, 3, 2), 0.5, np.float32)).to_texture()
    assert tex.ctx is ctx
    assert np.array_equal(gf.from_texture(tex).numpy(), np.full((2, 3, 2), 0.5, np.float32))
    release(tex)


# --------------------------------------------------------------------------- shaders

def test_interop_shaders_compile_as_gl_and_es(tmp_path):
    sources = {}
    for components in (1, 2, 3, 4):
        for unorm8 in (False, True):
            sources[f"from_texture C={components} unorm8={unorm8}"] = \
                gl_interop.from_texture_source(components, unorm8)
        sources[f"to_texture C={components}"] = gl_interop.to_texture_source(components)
    failures = validate(sources, "frag", tmp_path)
    assert not failures, "\n".join(failures)


def test_a_mipmap_filter_without_mipmaps_still_reads_and_is_given_back():
    """texelFetch reads zeros from an incomplete texture (a mipmap filter, no mipmaps built):
    from_texture samples with NEAREST for its pass and restores the user's filter."""
    data, values = texels(np.random.default_rng(8), "f4", 4, 4, 4)
    tex = make_texture(data, "f4")
    mipmapped = (moderngl.LINEAR_MIPMAP_LINEAR, moderngl.LINEAR)
    with gf.gl_section():
        tex.filter = mipmapped
    got = gf.from_texture(tex).numpy()
    assert tex.filter == mipmapped
    release(tex)
    assert np.array_equal(got, values[::-1])


def test_interop_benchmark_runs_and_checks_its_results(tmp_path):
    """The suite's tiny run (the lead takes the timings): both directions, every tiny size,
    each variant's result compared before it is timed."""
    path, doc = runner.run_suite("interop", load_suite("interop"), "tiny", str(tmp_path),
                                 stream=io.StringIO())
    with open(path) as f:
        assert json.load(f)["summary"] == doc["summary"]
    assert doc["summary"]["all_correct"] is True and doc["summary"]["failed_cases"] == []
    assert [r["case"] for r in doc["rows"]] == [
        "from_texture_16", "from_texture_64", "to_texture_16", "to_texture_64"]
