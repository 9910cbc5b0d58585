"""Bare-moderngl baselines: glflow's own generated shader for `add`, driven without glflow.

Suites compare glflow against these in the same run and on the same context, so the
difference is what glflow's Python, pool and program cache cost, nothing else. With llvmpipe's
rasteriser threads every draw here is handed to glflow's fence guard as glflow's own are
(backends/gl/fences.py): without it these loops could corrupt the heap, and the comparison
stays like for like.
"""
from glflow.backends.gl import access, elementwise
from glflow.backends.gl.layout import Layout
import moderngl

EXPR = elementwise.call("add", 2)


def texture(ctx, width, rows, data=None):
    tex = ctx.texture((width, rows), 4, dtype="f4", data=data)
    tex.filter = (moderngl.NEAREST, moderngl.NEAREST)
    return tex


class RawAdd:
    """The add program for same-shape inputs of `size` elements, its uniforms set once.
    Create, draw and release inside `with backend.gl:`."""

    def __init__(self, backend, size):
        self.layout = lay = Layout(size, backend.max_size)
        # the source and header glflow's own program has, inputs read through image units
        # where glflow reads them so (backends/gl/context.py, "Image loads")
        source = elementwise.build_source(EXPR, [access.SAME, access.SAME], 1,
                                          backend.image_inputs)
        self.images = backend.image_inputs > 0
        ctx = backend.ctx
        self.prog = ctx.program(vertex_shader=backend.programs.vertex_shader,
                                fragment_shader=backend.programs.version + source)
        values = {"u_x0": 0, "u_x1": 1, "u_out_shift": lay.shift, "u_out_size": size,
                  "u_x0_shift": lay.shift, "u_x1_shift": lay.shift}
        for name, value in values.items():
            if name in self.prog:
                self.prog[name].value = value
        self.vao = ctx.vertex_array(self.prog, [])
        self.fences = backend.gl.fences  # None without rasteriser threads

    def framebuffer(self, ctx, tex):
        fbo = ctx.framebuffer(color_attachments=[tex])
        fbo.viewport = (0, 0, self.layout.width, self.layout.rows)
        return fbo

    def bind(self, tex, unit):
        """Input `unit` of the add: an image unit or a texture unit, as the program reads it."""
        if self.images:
            tex.bind_to_image(unit, read=True, write=False)
        else:
            tex.use(unit)

    def draw(self, fbo, a, b):
        fbo.use()
        self.bind(a, 0)
        self.bind(b, 1)
        self.vao.render(moderngl.TRIANGLES, vertices=3)
        if self.fences is not None:
            self.fences.submitted()

    def release(self):
        self.vao.release()
        self.prog.release()
