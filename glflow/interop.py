"""Rendering and tensors on one GPU: glflow's moderngl context, textures <-> tensors.

    with gf.gl_section() as ctx:          # glflow's GL context, current in this thread
        color = ctx.texture((256, 256), 4)
        ctx.framebuffer([color]).use()
        ...                               # draw with moderngl
        frame = gf.from_texture(color)    # [256, 256, 4] float32, top row first, no host copy
    shown = frame.to_texture()            # a new RGBA32F moderngl texture (the caller owns it)

Threading: glflow's context is current in no thread between glflow calls (EGL lets one thread
have it at a time, and ops may come from any thread). Make moderngl calls on it only inside
`gl_section()`, which holds glflow's GL lock and makes the context current; glflow ops nest in
it for free. Do not use moderngl's own `with ctx:` on it: that makes it current without the
lock and leaves it current after the block, so a glflow op in another thread then fails.

GL state: glflow's kernels draw with blending, depth test, face culling and wireframe off and
no sampler objects bound. from_texture, to_texture and the end of a gl_section() restore that;
set all the state your own drawing needs before each frame's draws (the context is shared),
and call other glflow ops after from_texture (or restore the state yourself:
`ctx.enable_only(moderngl.NOTHING)`, `ctx.clear_samplers()`).

Rasteriser threads (llvmpipe's default on a machine with several cores): glflow guards each of
its own draws against Mesa's fence race (glflow/backends/gl/fences.py), and the end of a
gl_section() guards the scene drawn last in it; when one section draws into several
framebuffers, the scenes of the earlier ones are not guarded. So draw into one framebuffer per
section (or set LP_NUM_THREADS=0); draws in other GL contexts of the process are not guarded
at all.

Rows: a tensor's row 0 is the picture's top row, as in image files and numpy; GL keeps a
rendered picture's top row last (texture row 0 is the bottom). from_texture and to_texture
flip between the two; flip_y=False keeps the texture's row order (for a texture written from a
top-row-first array with texture.write, whose row 0 is already the top).
"""
import contextlib

import moderngl

from .runtime import state
from .runtime.dtypes import FLOAT32
from .tensor import Tensor

TEXEL_DTYPES = {"f1": "8-bit normalised (RGBA8, R8, ...)", "f2": "float16",
                "f4": "float32 (RGBA32F, ...)"}
# to_texture makes no float16 textures: drivers round float -> half their own way (llvmpipe
# truncates), so the GL and numpy results could differ by an ulp.
TARGET_DTYPES = {k: TEXEL_DTYPES[k] for k in ("f1", "f4")}


def _gl_backend(op):
    """glflow's GL backend, made if needed: the context lives there whichever backend is
    active (on the cpu backend, textures still belong to it)."""
    try:
        return state.backend_named("gl")
    except Exception as exc:
        raise RuntimeError(f"{op}: glflow has no OpenGL context on this machine ({exc})") from exc


def context():
    """The moderngl.Context glflow computes in. Use it inside `gl_section()` (module doc)."""
    return _gl_backend("context").ctx


@contextlib.contextmanager
def gl_section():
    """glflow's GL section as a `with` block: its lock held, its context current in this thread;
    yields the moderngl.Context. Re-entrant. At the end the GL state is glflow's again
    (blending, depth test, culling, wireframe off, no sampler objects bound)."""
    gl = _gl_backend("gl_section")
    with gl.gl as ctx:
        try:
            yield ctx
        finally:
            gl.reset_state()


def _check_flip(op, flip_y):
    if not isinstance(flip_y, bool):
        raise TypeError(f"{op}: flip_y must be True or False, got {flip_y!r}")


def _check_texel_dtype(op, dtype, what, supported=TEXEL_DTYPES):
    if dtype not in supported:
        known = ", ".join(f"{k!r} ({v})" for k, v in supported.items())
        raise ValueError(f"{op}: {what} {dtype!r} is not supported; supported: {known}")


def _check_texture(op, texture, gl):
    if not isinstance(texture, moderngl.Texture):
        raise TypeError(f"{op}: texture must be a 2-D moderngl.Texture, got "
                        f"{type(texture).__name__}")
    if isinstance(texture.mglo, moderngl.InvalidObject):
        raise ValueError(f"{op}: the texture has been released")
    if texture.ctx is not gl.ctx:
        raise ValueError(f"{op}: the texture belongs to another GL context; make it with "
                         "gf.context() (inside gf.gl_section()) so glflow can read it")
    if texture.depth:
        raise ValueError(f"{op}: depth textures are not supported (size {texture.size}); "
                         "render depth into a color texture")
    if texture.samples:
        raise ValueError(f"{op}: multisample texture ({texture.samples} samples, size "
                         f"{texture.size}); resolve it into a plain texture first "
                         "(ctx.copy_framebuffer)")
    _check_texel_dtype(op, texture.dtype, "texture dtype")


def from_texture(texture, flip_y=True):
    """A 2-D moderngl texture of glflow's context as a float32 tensor [H, W, C].

    C is the texture's channel count (1-4); 8-bit texels become k / 255 exactly as numpy
    computes it, half and float texels keep their values. Row 0 is the picture's top row
    (GL's last texture row) unless flip_y=False. On the GL backend one shader pass copies the
    texels into the tensor's texture; the cpu backend reads the texture back to host memory.
    Call it inside `gl_section()` when you rendered there (or anywhere after)."""
    op = "from_texture"
    gl = _gl_backend(op)
    _check_texture(op, texture, gl)
    _check_flip(op, flip_y)
    width, height = texture.size
    shape = (height, width, texture.components)
    b = state.backend()
    with gl.gl:
        handle = b.from_texture(texture, flip_y)
    return Tensor.wrap(handle, shape, FLOAT32, b)


def to_texture(tensor, dtype="f4", flip_y=True):
    """A new moderngl texture of glflow's context showing an [H, W, C] tensor (C in 1..4):
    W x H pixels of C channels, float32 ('f4', default) or 8-bit ('f1': values clamped to
    [0, 1] and rounded to the nearest k / 255, NaN to 0). Row 0 of the tensor is the
    picture's top row (GL's last texture row) unless flip_y=False. A GL tensor is drawn
    into it on the GPU, a cpu one uploaded. The caller owns the texture (texture.release())."""
    op = "to_texture"
    if not isinstance(tensor, Tensor):
        raise TypeError(f"{op}: expected a glflow Tensor, got {type(tensor).__name__}")
    storage = tensor._live_storage(op)
    shape = tuple(tensor.shape)
    if len(shape) != 3 or not 1 <= shape[2] <= 4:
        raise ValueError(f"{op}: tensor must be [height, width, channels] with 1 to 4 "
                         f"channels, got shape {list(shape)}")
    _check_texel_dtype(op, dtype, "dtype", TARGET_DTYPES)
    _check_flip(op, flip_y)
    gl = _gl_backend(op)
    limit = gl.gl.max_texture_size
    if not (1 <= shape[0] <= limit and 1 <= shape[1] <= limit):
        raise ValueError(f"{op}: a texture is 1 to {limit} pixels on a side on this device, "
                         f"tensor shape {list(shape)}")
    with gl.gl as ctx:
        return storage.backend.to_texture(storage.handle, shape, dtype, flip_y, ctx)


__all__ = ["context", "gl_section", "from_texture", "to_texture"]
