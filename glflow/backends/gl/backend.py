"""GLBackend: tensors in RGBA32F textures, kernels as fragment shaders, all through one context.

Data handles are `GLData` (a pooled texture + its layout); size-0 tensors have no texture and
never touch GL. Every method here runs inside one GL section (lock + context current).

`elementwise` is the hot path of eager mode (every +, *, relu): a 16-element op costs the
llvmpipe draw (~4 us single-threaded) plus whatever Python adds, so it keeps per-launch work to
dict lookups (cached plans, layouts, programs; benchmarks/README.md has the numbers).
"""
from math import prod

import numpy as np

import moderngl

from ... import engine
from . import access, elementwise, matmul, reduce
from .context import GLContext
from .layout import Layout, max_elements
from .pool import PooledTexture, TexturePool
from .programs import ProgramCache


# (expr, out_shape, (input shape, input size)...) -> (accesses, Plan, uniform key). Values are
# never mutated, so threads may read and fill it under the GIL without a lock; bounded by
# starting afresh, as elementwise.plan's cache does.
_launches = {}
LAUNCH_CAPACITY = 4096


class GLData:
    __slots__ = ("texture", "layout")

    def __init__(self, texture, layout):
        self.texture = texture
        self.layout = layout


class GLBackend:
    name = "gl"

    def __init__(self):
        self.gl = GLContext()
        with self.gl as ctx:
            self.ctx = ctx
            self.max_size = self.gl.max_texture_size
            self.pool = TexturePool(ctx, self.max_size)
            self.programs = ProgramCache(ctx)
            self.block_rows = 8 if self.gl.max_draw_buffers >= 8 else 4
            # matmul's product pass, conv's and the fused optimizer updates: about one entry
            # per variable (its value and slots rotate through the same pooled textures), so
            # the cap must exceed a model's variable count or every step makes them anew
            # (an LRU of 32 made 40 framebuffers a step for 40 Adam variables). Framebuffers
            # are small and dropped with their textures (pool.on_delete).
            self.mrt_framebuffers = matmul.FramebufferCache(ctx, capacity=512)
            self.pool.on_delete.append(self.mrt_framebuffers.forget)
        self._layouts = {}
        self._max_elements = max_elements(self.max_size)  # asked by check_size on every op

    # ------------------------------------------------------------------ capability
    def max_elements(self):
        return self._max_elements

    def describe(self):
        info = self.gl.describe()
        info["max_elements"] = self.max_elements()
        return info

    # ------------------------------------------------------------------ storage
    def alloc(self, size):
        """Storage for `size` elements (inside a GL section); kernels draw into it."""
        return self._alloc(size)

    def draw(self, prog, out, textures):
        """Draw `prog` over every texel of the output GLData, reading these GLData inputs."""
        self._draw(prog, out.texture, out.layout.width, out.layout.rows,
                   [t.texture.tex for t in textures])

    def _alloc(self, size):
        layout = self._layouts.get(size)
        if layout is None:  # layouts are immutable: one per size (log2/sqrt cost ~1 us)
            if len(self._layouts) >= 4096:
                self._layouts.clear()
            layout = self._layouts[size] = Layout(size, self.max_size)
        if size == 0:
            return GLData(None, layout)
        return GLData(self.pool.acquire(layout.width, layout.rows), layout)

    def upload(self, array):
        flat = np.ascontiguousarray(array, dtype=np.float32).reshape(-1)
        with self.gl:
            data = self._alloc(flat.size)
            if flat.size:
                self._write(data, flat)
        return data

    def _write(self, data, flat):
        lay, tex = data.layout, data.texture.tex
        per_row = lay.width * 4
        full_rows = flat.size // per_row
        if full_rows:
            tex.write(flat[:full_rows * per_row], viewport=(0, 0, lay.width, full_rows))
        tail = flat[full_rows * per_row:]
        if tail.size:
            row = np.zeros(per_row, np.float32)
            row[:tail.size] = tail
            tex.write(row, viewport=(0, full_rows, lay.width, 1))

    def read(self, data, shape, dtype):
        size = data.layout.size
        if size == 0:
            return np.zeros(shape, dtype=np.dtype(dtype))
        lay = data.layout
        with self.gl as ctx:
            fbo = data.texture.fbo(ctx)
            raw = fbo.read(viewport=(0, 0, lay.width, lay.rows), components=4, dtype="f4")
        values = np.frombuffer(raw, dtype=np.float32)[:size]
        # int32 storage may hold nan/inf (cast of nan, x ** -n at 0): astype gives numpy's
        # value for them (INT_MIN, as the cpu backend's cast) without a RuntimeWarning that
        # would point into glflow for a value the user asked for
        with np.errstate(invalid="ignore"):
            return values.astype(np.dtype(dtype)).reshape(shape)

    def free(self, data):
        if data.texture is not None:
            self.pool.release(data.texture)

    def finish(self):
        with self.gl as ctx:
            ctx.finish()

    def memory_stats(self):
        stats = self.pool.stats()
        stats.update({"num_programs": len(self.programs), "num_compiles": self.programs.compiles})
        return stats

    def empty_cache(self):
        with self.gl:
            self.mrt_framebuffers.clear()  # they may hold textures the pool deletes now
            self.pool.empty_cache()

    # ------------------------------------------------------------------ drawing
    def _draw(self, prog, out_texture, width, rows, textures, x=0, y=0):
        """Draw over the width x rows texels at (x, y) of a pooled texture or framebuffer."""
        if isinstance(out_texture, PooledTexture):
            fbo = out_texture._fbo or out_texture.fbo(self.ctx)  # made once per texture
            viewport = (x, y, width, rows)
            if out_texture.viewport != viewport:  # the setter costs ~0.4 us
                fbo.viewport = viewport
                out_texture.viewport = viewport
        else:  # a framebuffer of several targets (matmul's MRT pass)
            fbo = out_texture
            fbo.viewport = (x, y, width, rows)
        # The C method: moderngl's Python Framebuffer.use only adds `ctx.fbo = self`, which
        # glflow never reads (~0.2 us a draw).
        fbo.mglo.use()
        for unit, tex in enumerate(textures):
            tex.use(unit)
        # The C method: moderngl's Python wrapper only fills in defaults (~0.3 us a draw).
        prog.vao.mglo.render(moderngl.TRIANGLES, 3, 0, -1)

    # ------------------------------------------------------------------ kernels
    def elementwise(self, expr, inputs, params, out_shape, out_dtype):
        """Run an elementwise expression. inputs: [(GLData, shape, StridedView or None)].
        GL computes in float32 whatever the dtype; int32/bool results are exact (see dtypes)."""
        size = prod(out_shape)
        launch = key = None
        # Eager mode repeats the same few launches: everything but the data handles is a
        # function of (expr, out_shape, input shapes and sizes), so it is found with one dict
        # lookup instead of classification + plan key + uniform key (~1.5 us an op). Inputs
        # read through views are rare and take the general path (None marks them here).
        sig = [(shape, d.layout.size) if v is None else None for d, shape, v in inputs]
        if None not in sig:
            key = (expr, out_shape, *sig)
            try:
                launch = _launches.get(key)
            except TypeError:  # argument lists in expr (unhashable): take the general path
                key = None
        if launch is None:
            launch = self._launch(expr, inputs, out_shape, size)
            if key is not None:
                if len(_launches) >= LAUNCH_CAPACITY:
                    _launches.clear()
                _launches[key] = launch
        accesses, plan, uniform_key = launch
        with self.gl:
            out = self._alloc(size)
            if size == 0:
                return out
            prog = self.programs.get(plan.source, plan.samplers)
            lay = out.layout
            # Same uniform key and output layout as this program's last launch: every uniform
            # already holds its value (equal sizes give equal layouts, and accesses are the
            # memo's own). The check costs ~0.3 us, the sets ~2 us.
            if params or prog.launch_key != (uniform_key, lay):
                elementwise.set_uniforms(prog, accesses, out_shape, lay,
                                         [d.layout for d, _, _ in inputs], params)
                prog.launch_key = None if params else (uniform_key, lay)
            # The textures' C objects: _draw only calls use(unit) on them, and moderngl's
            # Python Texture.use is a wrapper around exactly that (a call less per input).
            self._draw(prog, out.texture, lay.width, lay.rows,
                       [d.texture.tex.mglo for d, _, _ in inputs])
        count = engine.count_kernel
        for kernel in plan.kernels:
            count("gl", kernel)
        return out

    def _launch(self, expr, inputs, out_shape, size):
        """(accesses, plan, uniform key) of one launch: what `elementwise` memoises."""
        accesses = []
        for d, shape, v in inputs:
            if v is not None:
                accesses.append(access.from_view(v, out_shape))
            elif d.layout.size == size:  # same element count: no index math (classify's rule)
                accesses.append(access.SAME)
            else:
                accesses.append(access.classify(shape, out_shape, d.layout.size, size))
        plan = elementwise.plan(expr, accesses, len(out_shape))
        # Every uniform is a function of these (plus params, never memoised): out_shape, the
        # input sizes (their layouts' shifts) and the access objects (their uniforms).
        uniform_key = (out_shape, tuple(d.layout.size for d, _, _ in inputs), tuple(accesses))
        return accesses, plan, uniform_key

    def reduce(self, kernel, data, outer, length, inner, out_dtype):
        """Combine `kernel` over the middle axis of an [outer, length, inner] view."""
        engine.count_kernel("gl", kernel)
        with self.gl:
            return reduce.run(self, kernel, data, outer, length, inner)

    def limit(self, kernel, out_shape, attrs):
        """Why this launch of `kernel` cannot run on this device, or None (no GL work)."""
        from .kernels import find
        check = find(kernel + "_limit", required=False)
        return None if check is None else check(self, out_shape=tuple(out_shape), **attrs)

    def call(self, kernel, inputs, out_shape, out_dtype, attrs):
        """Run a kernel from glflow/backends/gl/kernels/ (see that package's docstring)."""
        from .kernels import find
        fn = find(kernel)
        engine.count_kernel("gl", kernel)
        with self.gl:
            return fn(self, *[d for d, _ in inputs], out_shape=tuple(out_shape), **attrs)

    def matmul(self, a, a_view, b, b_view, batches, m, k, n):
        engine.count_kernel("gl", "matmul")
        with self.gl:
            return matmul.run(self, a, a_view, b, b_view, batches, m, k, n)


__all__ = ["GLBackend", "GLData"]
