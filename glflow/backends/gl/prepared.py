"""Prepared launches: kernels resolved once for graph mode's compiled replay.

`GLBackend.prepare(kernel, in_shapes, out_shape, dtype, attrs)` returns a callable
`launch(handles, out=None) -> GLData` (a tuple for several outputs) whose work per call is
only what changes between runs:
- elementwise kernels and fused expressions (PreparedDraw): the access pattern of every input,
  the generated program, every uniform and the viewport are fixed at prepare time; a call
  binds the framebuffer and textures and draws. Uniforms are written again only when another
  launch used the program since (the program's launch_key says who set them last). It draws
  into `out` when given: graph mode's memory plan hands it a planned buffer;
- every other kernel (matmul, conv, reductions, gathers: several passes each, their tiling
  their own business) runs through its Python entry point, backend.run, with its arguments
  fixed (PreparedCall), and takes its output from the texture pool.

`GLBackend.buffers()` is the memory plan's view of textures: a buffer class per size (the
pool's bucket: texture width and rounded rows), a buffer per class, and the GLData of a value
of some size living in a buffer.
"""
from math import prod

import moderngl

from ...runtime import counters, registry
from . import access, elementwise
from .layout import bucket_rows

_TRIANGLES = moderngl.TRIANGLES
_markers = {}   # (source, uniforms) -> the launch key every equal PreparedDraw shares
MARKER_CAPACITY = 4096


def prepare(backend, kernel, in_shapes, out_shape, dtype, attrs):
    if kernel == "fused":
        params = dict(enumerate(attrs.get("params", ())))
        return PreparedDraw(backend, ("fused",), attrs["expr"], in_shapes, attrs.get("views"),
                            params, out_shape)
    spec = registry.REGISTRY.get(kernel)
    if (spec is not None and spec.pattern == registry.ELEMENTWISE
            and backend._route(kernel) == backend._run_elementwise):
        expr = elementwise.call(kernel, len(in_shapes), len(spec.params))
        params = {slot: attrs[p] for slot, p in enumerate(spec.params)}
        return PreparedDraw(backend, (), expr, in_shapes, attrs.get("views") if attrs else None,
                            params, out_shape)
    return PreparedCall(backend, kernel, in_shapes, out_shape, dtype, attrs)


class _UniformRecorder:
    """Stands in for a program while set_uniforms runs: keeps (name, value) pairs."""

    def __init__(self):
        self.values = []

    def set(self, name, value):
        self.values.append((name, value))


class PreparedDraw:
    """One elementwise pass with everything but the data resolved."""
    into_buffer = True
    __slots__ = ("backend", "size", "source", "samplers", "uniforms", "viewport", "marker",
                 "counted", "layout")

    def __init__(self, backend, extra_counts, expr, in_shapes, views, params, out_shape):
        self.backend = backend
        size = self.size = prod(out_shape)
        in_sizes = [prod(s) for s in in_shapes]
        accesses = access.for_inputs(in_shapes, in_sizes, views, out_shape, size)
        plan = elementwise.plan(expr, accesses, len(out_shape))
        self.source, self.samplers = plan.source, plan.samplers
        lay = self.layout = backend.layout(size)
        recorder = _UniformRecorder()
        elementwise.set_uniforms(recorder, accesses, out_shape, lay,
                                 [backend.layout(n) for n in in_sizes], params)
        # Draws with equal uniforms share one key object, so a program drawn by several
        # steps of a graph with the same sizes is not set again between them.
        uniforms = tuple(recorder.values)
        if len(_markers) >= MARKER_CAPACITY:
            _markers.clear()
        self.marker = _markers.setdefault((self.source, uniforms), ("prepared", uniforms))
        self.uniforms = uniforms
        self.viewport = (0, 0, lay.width, lay.rows)
        self.counted = ("gl", "fused" if extra_counts else plan.kernels[0])

    def __call__(self, handles, out=None):
        b = self.backend
        if out is None:
            out = b._alloc(self.size)
            if self.size == 0:
                return out
        prog = b.programs.get(self.source, self.samplers)
        if prog.launch_key is not self.marker:
            for name, value in self.uniforms:
                prog.set(name, value)
            prog.launch_key = self.marker
        tex = out.texture
        fbo = tex._fbo or tex.fbo(b.ctx)
        if tex.viewport != self.viewport:
            fbo.viewport = self.viewport
            tex.viewport = self.viewport
        fbo.mglo.use()
        unit = 0
        for h in handles:
            h.texture.tex.mglo.use(unit)
            unit += 1
        prog.vao.mglo.render(_TRIANGLES, 3, 0, -1)
        counters.count_kernel(*self.counted)  # one launch, "fused" for a fused tree
        return out


class PreparedCall:
    """Any other kernel: backend.run with its arguments fixed."""
    into_buffer = False
    __slots__ = ("run", "kernel", "in_shapes", "out_shape", "dtype", "attrs")

    def __init__(self, backend, kernel, in_shapes, out_shape, dtype, attrs):
        self.run = backend.run
        self.kernel = kernel
        self.in_shapes = [tuple(s) for s in in_shapes]
        self.out_shape = out_shape
        self.dtype = dtype
        self.attrs = attrs

    def __call__(self, handles, out=None):
        return self.run(self.kernel, list(zip(handles, self.in_shapes)), self.out_shape,
                        self.dtype, self.attrs)


class Buffers:
    """The memory plan's textures (see the module docstring)."""

    def __init__(self, backend, data_class):
        self.backend = backend
        self.data_class = data_class   # GLData

    def key(self, size):
        lay = self.backend.layout(size)
        return (lay.width, min(bucket_rows(lay.rows), self.backend.max_size))

    def make(self, key):
        with self.backend.gl:
            return self.backend.pool.acquire(*key)

    def data(self, buffer, size):
        return self.data_class(buffer, self.backend.layout(size))

    def release(self, buffer):
        self.backend.pool.release(buffer)
