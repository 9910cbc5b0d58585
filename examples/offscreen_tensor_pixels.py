"""Render a scene with moderngl offscreen in glflow's own GL context, take its pixels as a
glflow tensor on the GPU (gf.from_texture: one shader pass, no read back), filter it with
glflow ops (a box blur and a Sobel edge detector built from slices and arithmetic), and save
the results as PNG files (gf.io.write_image, through Pillow).

    glflow run examples/offscreen_tensor_pixels.py [OUT_DIR]

moderngl calls on glflow's context go inside `gf.gl_section()`, which holds glflow's GL lock
and makes the context current in this thread (glflow/interop.py: threading and GL state).
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
    """An RGB triangle on black, size x size, as a float32 [size, size, 3] tensor in [0, 1],
    row 0 the top of the picture."""
    with gf.gl_section() as ctx:
        program = ctx.program(vertex_shader=VERTEX, fragment_shader=FRAGMENT)
        vertices = np.array([-0.8, -0.7, 1, 0, 0,
                             0.8, -0.7, 0, 1, 0,
                             0.0, 0.8, 0, 0, 1], dtype="f4")
        buffer = ctx.buffer(vertices)
        vao = ctx.vertex_array(program, [(buffer, "2f 3f", "in_position", "in_color")])
        color = ctx.texture((size, size), 4)               # RGBA8, like a window's pixels
        fbo = ctx.framebuffer([color])
        fbo.use()
        fbo.clear(0.0, 0.0, 0.0, 1.0)
        vao.render(moderngl.TRIANGLES)
        image = gf.from_texture(color)[:, :, :3]           # on the GPU, top row first
        for obj in (vao, buffer, program, fbo, color):
            obj.release()
    return image


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


def save_png(image, path):
    print(f"  wrote {gf.io.write_image(path, image)}")


def main(out_dir):
    print(f"glflow on {gf.backend_info()['renderer']}")
    image = render_triangle(SIZE)                          # [128, 128, 3] in a glflow texture
    print(f"rendered {SIZE}x{SIZE}: tensor {image.shape}, mean {image.mean().item():.4f}")
    blurred = box_blur(image)
    gray = (image * gf.tensor([0.299, 0.587, 0.114])).sum(axis=2)
    edges = sobel_magnitude(gray)
    edges = edges / gf.maximum(edges.max(), 1e-6)
    print(f"blur {blurred.shape}, edges {edges.shape}: {int((edges > 0.5).sum().item())} "
          f"edge pixels above half the strongest")
    # the filters on numpy, to show the GPU result is the same
    pixels = image.numpy()
    reference = sum(pixels[dy:SIZE - 2 + dy, dx:SIZE - 2 + dx]
                    for dy in range(3) for dx in range(3)) / 9.0
    print(f"blur matches numpy: {np.allclose(blurred.numpy(), reference, atol=1e-5)}")
    os.makedirs(out_dir, exist_ok=True)
    save_png(image, os.path.join(out_dir, "triangle.png"))
    save_png(blurred, os.path.join(out_dir, "triangle_blur.png"))
    save_png(edges, os.path.join(out_dir, "triangle_edges.png"))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "offscreen_output")
