"""Prepared launches: kernels resolved once for graph mode's compiled replay.

`GLBackend.prepare(kernel, in_shapes, out_shape, dtype, attrs)` returns a callable
`launch(handles, out=None) -> GLData` (a tuple for several outputs) whose work per call is
only what changes between runs:
- elementwise kernels and fused programs (PreparedDraw; a kernel host forwarding may run only
  when its output is too large to stay on the host): the access pattern of every input,
  the generated program, every uniform and the viewport are fixed at prepare time; a call
  binds the framebuffer and textures and draws. Uniforms are written again only when another
  launch used the program since (the program's launch_key says who set them last). It draws
  into `out` when given: graph mode's memory plan hands it a planned buffer. A fused program
  with several outputs (PreparedMultiDraw) draws once into one render target per output,
  textures from the pool, through the MRT framebuffer cache matmul's passes use;
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
        program = attrs["program"]
        if len(program[1]) > 1:
            return PreparedMultiDraw(backend, program, in_shapes, attrs.get("views"), params,
                                     out_shape)
        return PreparedDraw(backend, ("fused",), program, in_shapes, attrs.get("views"),
                            params, out_shape)
    spec = registry.REGISTRY.get(kernel)
    route = backend._route(kernel) if spec is not None else None
    # A kernel host forwarding may run (gl/host.py) draws here unless its output is small
    # enough to stay on the host, where backend.run decides on each call.
    if (spec is not None and spec.pattern == registry.ELEMENTWISE
            and (route == backend._run_elementwise
                 or (route == backend._run_forwardable
                     and not backend.may_forward(prod(out_shape))))):
        program = elementwise.call(kernel, len(in_shapes), len(spec.params))
        params = {slot: attrs[p] for slot, p in enumerate(spec.params)}
        return PreparedDraw(backend, (), program, in_shapes,
                            attrs.get("views") if attrs else None, params, out_shape)
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
    __slots__ = ("backend", "size", "source", "samplers", "images", "uniforms", "viewport",
                 "marker", "counted", "layout")

    def __init__(self, backend, extra_counts, program, in_shapes, views, params, out_shape):
        self.backend = backend
        size = self.size = prod(out_shape)
        plan, self.uniforms, self.marker = _resolve(backend, program, in_shapes, views, params,
                                                    out_shape)
        self.source, self.samplers, self.images = plan.source, plan.samplers, plan.images
        lay = self.layout = backend.layout(size)
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
        images = self.images
        if images is None:
            unit = 0
            for h in handles:
                h.texture.tex.mglo.use(unit)
                unit += 1
        else:
            elementwise.bind_inputs([h.texture.tex.mglo for h in handles], images)
        prog.vao.mglo.render(_TRIANGLES, 3, 0, -1)
        if b._fences is not None:  # llvmpipe with rasteriser threads (gl/fences.py)
            b._fences.submitted()
        counters.count_kernel(*self.counted)  # one launch, "fused" for a fused tree
        return out


class PreparedMultiDraw:
    """One elementwise pass writing several outputs of one shape, one render target each.
    `out`, when given, holds a planned buffer or None (a fresh texture) per output."""
    into_buffer = True
    __slots__ = ("backend", "size", "outputs", "source", "samplers", "images", "uniforms",
                 "marker", "width", "rows")

    def __init__(self, backend, program, in_shapes, views, params, out_shapes):
        shape = tuple(out_shapes[0])
        if any(tuple(s) != shape for s in out_shapes):
            raise ValueError(f"fused: the outputs of one pass share one shape, got "
                             f"{[list(s) for s in out_shapes]}")
        self.backend = backend
        self.size = prod(shape)
        self.outputs = len(out_shapes)
        plan, self.uniforms, self.marker = _resolve(backend, program, in_shapes, views, params,
                                                    shape)
        self.source, self.samplers, self.images = plan.source, plan.samplers, plan.images
        lay = backend.layout(self.size)
        self.width, self.rows = lay.width, lay.rows

    def __call__(self, handles, out=None):
        b = self.backend
        with b.gl:
            if out is None:
                out = (None,) * self.outputs
            outs = tuple(b._alloc(self.size) if o is None else o for o in out)
            if self.size == 0:
                return outs
            prog = b.programs.get(self.source, self.samplers)
            if prog.launch_key is not self.marker:
                for name, value in self.uniforms:
                    prog.set(name, value)
                prog.launch_key = self.marker
            fbo = b.mrt_framebuffers.get([o.texture for o in outs])
            b._draw(prog, fbo, self.width, self.rows, [h.texture.tex.mglo for h in handles],
                    images=self.images)
        counters.count_kernel("gl", "fused")
        return outs


def _resolve(backend, program, in_shapes, views, params, out_shape):
    """(plan, uniforms, marker) of an elementwise pass: the uniforms as (name, value) pairs,
    and the launch key every draw with equal source and uniforms shares."""
    size = prod(out_shape)
    in_sizes = [prod(s) for s in in_shapes]
    accesses = access.for_inputs(in_shapes, in_sizes, views, out_shape, size)
    plan = elementwise.plan(program, accesses, len(out_shape), backend.image_inputs)
    recorder = _UniformRecorder()
    elementwise.set_uniforms(recorder, accesses, out_shape, backend.layout(size),
                             [backend.layout(n) for n in in_sizes], params)
    # Draws with equal uniforms share one key object, so a program drawn by several steps of
    # a graph with the same sizes is not set again between them.
    uniforms = tuple(recorder.values)
    if len(_markers) >= MARKER_CAPACITY:
        _markers.clear()
    marker = _markers.setdefault((plan.source, uniforms), ("prepared", uniforms))
    return plan, uniforms, marker


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
        data = self.data_class(buffer, self.backend.layout(size))
        data.derived = False  # rewritten on every run: no kernel may keep what it derives
        return data

    def release(self, buffer):
        self.backend.pool.release(buffer)
