"""Textures rendered by user code <-> glflow tensors, on the GPU (no trip through host memory).

from_texture draws a user's texture (8-bit, half or float, 1-4 channels) into glflow's packed
layout (4 consecutive elements of the row-major [H, W, C] buffer per RGBA32F texel) in one
pass; to_texture draws a tensor's packed texels into a new texture of C channels. Rows: a
tensor's row 0 is the picture's top row (as in image files and numpy), and GL keeps the top
row last (a rendered frame's row 0 is its bottom), so both passes flip unless told not to.

The caller (glflow/interop.py) has validated the arguments and holds glflow's GL section.
"""
import moderngl
import numpy as np

from .programs import load

# The exact float32 of k / 255: an 8-bit texel sampled by the driver may come back an ulp off
# (Mesa's llvmpipe returns k * (1 / 255.0)), and from_texture promises the value numpy computes.
UNORM8 = (np.arange(256, dtype=np.float32) / np.float32(255)).astype(np.float32)


def _source(shader, components, unorm8=False):
    head = f"#define COMPONENTS {components}\n" + ("#define UNORM8\n" if unorm8 else "")
    return head + load("templates/common.glsl") + "\n" + load(f"interop/{shader}")


def from_texture_source(components, unorm8):
    return _source("from_texture.frag", components, unorm8)


def to_texture_source(components):
    return _source("to_texture.frag", components)


def reset_state(ctx):
    """The state glflow's kernels draw with: no blending, depth test, culling, discard or
    wireframe, and no sampler objects on the texture units (a sampler's mipmap filter makes
    texelFetch read zeros). A user's 3-D pass may leave any of them in the shared context."""
    ctx.enable_only(moderngl.NOTHING)
    ctx.wireframe = False
    ctx.clear_samplers()


def from_texture(backend, texture, flip_y):
    """GLData of the [H, W, C] float32 tensor holding `texture`'s texels."""
    width, height = texture.size
    components = texture.components
    unorm8 = texture.dtype == "f1"
    out = backend.alloc(height * width * components)
    prog = backend.programs.get(from_texture_source(components, unorm8), ["u_image"])
    if unorm8 and "u_unorm8" not in prog.values:  # a constant: written once per program
        uniform = prog.program.get("u_unorm8", None)
        if uniform is not None:
            uniform.write(UNORM8.tobytes())
        prog.values["u_unorm8"] = True
    lay = out.layout
    for name, value in (("u_out_shift", lay.shift), ("u_out_size", lay.size),
                        ("u_width", width), ("u_height", height), ("u_flip", int(flip_y))):
        prog.set(name, value)
    reset_state(backend.ctx)
    # texelFetch needs a complete texture: a mipmap filter with no mipmaps built reads zeros,
    # so sample with NEAREST and give the user's filter back.
    user_filter = texture.filter
    texture.filter = (moderngl.NEAREST, moderngl.NEAREST)
    try:
        backend._draw(prog, out.texture, lay.width, lay.rows, [texture])
    finally:
        texture.filter = user_filter
    return out


def to_texture(backend, data, shape, dtype, flip_y):
    """A new moderngl texture (W x H, C channels, `dtype` 'f4' or 'f1') showing an [H, W, C]
    tensor's values; the caller owns it (texture.release())."""
    height, width, components = shape
    ctx = backend.ctx
    texture = ctx.texture((width, height), components, dtype=dtype)
    framebuffer = ctx.framebuffer(color_attachments=[texture])
    try:
        prog = backend.programs.get(to_texture_source(components), ["u_x"])
        for name, value in (("u_x_shift", data.layout.shift), ("u_width", width),
                            ("u_height", height), ("u_flip", int(flip_y))):
            prog.set(name, value)
        reset_state(ctx)
        backend._draw(prog, framebuffer, width, height, [data.texture.tex])
    except BaseException:
        texture.release()
        raise
    finally:
        framebuffer.release()
    return texture
