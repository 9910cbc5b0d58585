"""One small rendered picture for `glflow demo`: moderngl draws a lit cube in glflow's own GL
context, gf.from_texture takes the frame as a tensor without a read back, glflow ops outline it
(Sobel edges by conv2d) and gf.io writes the PNG. examples/render_and_classify.py is the full
version (several shapes, a classifier trained on the frames).
"""
import os
import tempfile

import moderngl
import numpy as np

from . import interop, ops
from .io.images import write_image

VERTEX_SHADER = """
#version 330 core
uniform mat4 u_transform;
uniform mat3 u_rotation;
in vec3 in_position;
in vec3 in_normal;
out vec3 v_normal;
void main() {
    v_normal = u_rotation * in_normal;
    gl_Position = u_transform * vec4(in_position, 1.0);
}
"""
FRAGMENT_SHADER = """
#version 330 core
in vec3 v_normal;
out vec4 color;
void main() {
    float light = max(dot(normalize(v_normal), normalize(vec3(-0.4, 0.7, 1.0))), 0.0);
    color = vec4(vec3(0.95, 0.55, 0.25) * (0.3 + 0.7 * light), 1.0);
}
"""
BACKGROUND = (0.08, 0.09, 0.12)


def cube_vertices():
    """[36, 6] float32: a cube of side 1 as triangles, position and face normal per vertex."""
    rows = []
    for axis in range(3):
        for sign in (-1.0, 1.0):
            normal = np.zeros(3)
            normal[axis] = sign
            u, v = np.roll(np.eye(3), 1, axis=0)[axis], np.roll(np.eye(3), 2, axis=0)[axis]
            if sign < 0:
                u, v = v, u                        # counter-clockwise seen from outside
            corners = [normal + a * u + b * v for a, b in
                       ((-1, -1), (1, -1), (1, 1), (-1, -1), (1, 1), (-1, 1))]
            rows += [np.concatenate([c * 0.5, normal]) for c in corners]
    return np.array(rows, np.float32)


def transform(angles=(0.6, 0.8)):
    """(clip-space transform, normal rotation) of the cube: turned, 3 units before a 40 degree
    perspective camera."""
    x, y = angles
    rx = np.array([[1, 0, 0], [0, np.cos(x), -np.sin(x)], [0, np.sin(x), np.cos(x)]])
    ry = np.array([[np.cos(y), 0, np.sin(y)], [0, 1, 0], [-np.sin(y), 0, np.cos(y)]])
    model = np.eye(4)
    model[:3, :3] = rx @ ry
    model[2, 3] = -3.0
    f, near, far = 1 / np.tan(np.radians(20)), 0.1, 20.0
    projection = np.array([[f, 0, 0, 0], [0, f, 0, 0],
                           [0, 0, (far + near) / (near - far), 2 * far * near / (near - far)],
                           [0, 0, -1, 0]])
    return (projection @ model).astype(np.float32), (rx @ ry).astype(np.float32)


def render_cube(size):
    """The cube as a [size, size, 4] float32 tensor, rendered in glflow's context and handed
    over by from_texture (top row first)."""
    with interop.gl_section() as ctx:
        program = ctx.program(vertex_shader=VERTEX_SHADER, fragment_shader=FRAGMENT_SHADER)
        clip, rotation = transform()
        program["u_transform"].write(clip.T.tobytes())
        program["u_rotation"].write(rotation.T.tobytes())
        buffer = ctx.buffer(cube_vertices().tobytes())
        vao = ctx.vertex_array(program, [(buffer, "3f 3f", "in_position", "in_normal")])
        color = ctx.texture((size, size), 4)
        depth = ctx.depth_renderbuffer((size, size))
        fbo = ctx.framebuffer([color], depth)
        fbo.use()
        ctx.enable_only(moderngl.DEPTH_TEST)   # and its test: the context is shared
        ctx.depth_func = "<"
        fbo.clear(*BACKGROUND, 1.0)
        vao.render(moderngl.TRIANGLES)
        frame = interop.from_texture(color)
        for obj in (vao, buffer, program, fbo, depth, color):
            obj.release()
    return frame


def outlined(frame):
    """The frame with its edges (Sobel magnitude of the grey levels, by one conv2d over the
    four channels) drawn in light blue."""
    sobel = np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], np.float32)
    filters = np.zeros((3, 3, 4, 4), np.float32)
    for c, weight in enumerate((0.299, 0.587, 0.114)):
        filters[:, :, c, 0] = weight * sobel
        filters[:, :, c, 1] = weight * sobel.T
    mirrored = ops.pad(frame[None], [[0, 0], [1, 1], [1, 1], [0, 0]], mode="reflect")
    gradient = ops.conv2d(mirrored, ops.tensor(filters), 1, "valid")[0, :, :, :2]
    edges = ops.clip_by_value(ops.sqrt(ops.sum(gradient * gradient, axis=2, keepdims=True)),
                              0.0, 1.0)
    tint = ops.tensor([0.55, 0.85, 1.0])
    return frame[:, :, :3] * (1.0 - edges) + tint * edges


def render_picture(folder=None, size=160):
    """Render, outline and write the demo picture; returns its path (folder: a new temporary
    folder when None)."""
    folder = folder if folder is not None else tempfile.mkdtemp(prefix="glflow-demo-")
    picture = outlined(render_cube(size))
    return write_image(os.path.join(folder, "glflow_demo_cube.png"), picture)


__all__ = ["render_picture", "render_cube"]
