"""Render a scene with moderngl offscreen, turn its pixels into a glflow tensor, filter it with
glflow ops (a box blur and a Sobel edge detector built from slices and arithmetic), and save
the results as PNG files (with Pillow, when installed).

    glflow run examples/offscreen_tensor_pixels.py [OUT_DIR]

The pixels travel through numpy: glflow keeps its OpenGL context and textures private (one
context, serialised across threads, with its own packed RGBA32F tensor layout), so user
moderngl code renders in a context of its own and hands glflow an array.
"""
import os
import sys

import numpy as np

import moderngl

import glflow as gf

SIZE = 128
VERTEX = """
#version 330 core
in vec2 in_position;
in vec3 in_color;
out vec3 color;
void main() { gl_Position = vec4(in_position, 0.0, 1.0); color = in_color; }
"""
FRAGMENT = """
#version 330 core
in vec3 color;
out vec4 fragment;
void main() { fragment = vec4(color, 1.0); }
"""


def render_triangle(size):
    """An RGB triangle on black, size x size, as a float32 [size, size, 3] array in [0, 1]."""
    ctx = moderngl.create_context(standalone=True, backend="egl", require=330)
    try:
        program = ctx.program(vertex_shader=VERTEX, fragment_shader=FRAGMENT)
        vertices = np.array([-0.8, -0.7, 1, 0, 0,
                             0.8, -0.7, 0, 1, 0,
                             0.0, 0.8, 0, 0, 1], dtype="f4")
        vao = ctx.vertex_array(program, [(ctx.buffer(vertices), "2f 3f", "in_position",
                                          "in_color")])
        fbo = ctx.simple_framebuffer((size, size), components=4)
        fbo.use()
        fbo.clear(0.0, 0.0, 0.0, 1.0)
        vao.render(moderngl.TRIANGLES)
        pixels = np.frombuffer(fbo.read(components=3), dtype=np.uint8)
    finally:
        ctx.release()
    # GL's first row is the bottom of the image: flip to the usual top-down order
    return pixels.reshape(size, size, 3)[::-1].astype(np.float32) / 255.0


def box_blur(img):
    """3x3 mean over the interior: nine shifted slices summed (one shader per op)."""
    h, w = img.shape[0], img.shape[1]
    total = None
    for dy in range(3):
        for dx in range(3):
            part = img[dy:h - 2 + dy, dx:w - 2 + dx]
            total = part if total is None else total + part
    return total / 9.0


def sobel_magnitude(gray):
    """|gradient| of a [h, w] image from the two 3x3 Sobel filters, over the interior."""
    h, w = gray.shape

    def at(dy, dx):
        return gray[1 + dy:h - 1 + dy, 1 + dx:w - 1 + dx]
    gx = (at(-1, 1) + at(0, 1) * 2.0 + at(1, 1)) - (at(-1, -1) + at(0, -1) * 2.0 + at(1, -1))
    gy = (at(1, -1) + at(1, 0) * 2.0 + at(1, 1)) - (at(-1, -1) + at(-1, 0) * 2.0 + at(-1, 1))
    return gf.sqrt(gx.square() + gy.square())


def save_png(array, path):
    try:
        from PIL import Image
    except ImportError:
        print(f"  (Pillow not installed: not writing {path})")
        return
    data = np.clip(np.asarray(array) * 255.0 + 0.5, 0, 255).astype(np.uint8)
    Image.fromarray(data).save(path)
    print(f"  wrote {path}")


def main(out_dir):
    # glflow's context first: on llvmpipe the first GL context of a process fixes the
    # rasteriser thread count for all of them, and glflow asks for none (README, Limits).
    print(f"glflow on {gf.backend_info()['renderer']}")
    pixels = render_triangle(SIZE)
    image = gf.tensor(pixels)                              # [128, 128, 3] in a glflow texture
    print(f"rendered {SIZE}x{SIZE}: tensor {image.shape}, mean {image.mean().item():.4f}")
    blurred = box_blur(image)
    gray = (image * gf.tensor([0.299, 0.587, 0.114])).sum(axis=2)
    edges = sobel_magnitude(gray)
    edges = edges / gf.maximum(edges.max(), 1e-6)
    print(f"blur {blurred.shape}, edges {edges.shape}: {int((edges > 0.5).sum().item())} "
          f"edge pixels above half the strongest")
    # the filters on numpy, to show the GPU result is the same
    reference = sum(pixels[dy:SIZE - 2 + dy, dx:SIZE - 2 + dx]
                    for dy in range(3) for dx in range(3)) / 9.0
    print(f"blur matches numpy: {np.allclose(blurred.numpy(), reference, atol=1e-5)}")
    os.makedirs(out_dir, exist_ok=True)
    save_png(pixels, os.path.join(out_dir, "triangle.png"))
    save_png(blurred.numpy(), os.path.join(out_dir, "triangle_blur.png"))
    save_png(edges.numpy(), os.path.join(out_dir, "triangle_edges.png"))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "offscreen_output")
