"""GLBackend: tensors in RGBA32F textures, kernels as fragment shaders, all through one context.

Data handles are `GLData` (a pooled texture + its layout); size-0 tensors have no texture and
never touch GL. `run` is the one entry point for kernels: elementwise kernels (one GLSL
function each, `shaders/<family>/<name>.glsl`) and graph mode's fused programs go through
the generated-shader path here; reductions and matmul through their own modules; every other
kernel through its family module's `KERNELS` table (glflow/backends/gl/<family>.py).

The elementwise path is the hot path of eager mode (every +, *, relu): a 16-element op costs the
llvmpipe draw plus whatever Python adds, so it keeps per-launch work to dict lookups (cached
plans, layouts, programs; benchmarks/README.md has the numbers).
"""
from math import prod

import numpy as np

import moderngl

from ...runtime import counters, registry
from . import (access, conv, elementwise, host, indexing, interop, joining, linalg, matmul,
               optimizer_updates, padding, pool, prepared, reduction, scan, search, slicing,
               softmax)
from .context import GLContext
from .layout import Layout, max_elements
from .programs import ProgramCache
from .texture_pool import PooledTexture, TexturePool

# The families with kernels of their own (a shader or several passes each), as the numpy
# backend has them; elementwise kernels are GLSL functions the generator composes.
FAMILIES = (conv, indexing, joining, linalg, optimizer_updates, padding, pool, reduction, scan,
            search, slicing, softmax)


def _table(name):
    table = {}
    for module in FAMILIES:
        for kernel, fn in getattr(module, name, {}).items():
            if kernel in table:
                raise ValueError(f"gl backend: kernel {kernel!r} in two families")
            table[kernel] = fn
    return table


KERNELS = _table("KERNELS")
# Launches a kernel still cannot split (see docs/architecture.md): refused before GL work.
LIMITS = _table("LIMITS")


# (program, out_shape, image inputs, (input shape, input size)...) -> (accesses, Plan, uniform
# key). Values are never mutated, so threads may read and fill it under the GIL without a lock;
# bounded by starting afresh, as elementwise.plan's cache does.
_launches = {}
LAUNCH_CAPACITY = 4096
# float32 texels hold every integer up to 2^24 exactly; int32 tensors beyond are refused.
EXACT_INT = 1 << 24


class GLData:
    """A tensor's data: a pooled texture, or for a small tensor a float32 host copy that
    becomes a texture when a GL kernel first reads it (gl/host.py).

    A tensor's data never changes once made (kernels draw into new textures), so kernels may
    keep derived textures with it in `derived` (matmul's packed B: a model's weights are
    packed once, not on every predict) until it is freed. Graph mode's planned buffers are
    rewritten on every run: their `derived` is False, and nothing is kept."""
    __slots__ = ("_texture", "layout", "host", "_backend", "derived")

    def __init__(self, texture, layout, host=None, backend=None):
        self._texture = texture
        self.layout = layout
        self.host = host
        self._backend = backend
        self.derived = None  # None: nothing kept yet; a dict once a kernel keeps something

    @property
    def texture(self):
        texture = self._texture
        if texture is None and self.host is not None:
            texture = self._backend._materialize(self)
        return texture


class GLBackend:
    name = "gl"

    def __init__(self):
        self.gl = GLContext()
        self._fences = self.gl.fences
        with self.gl as ctx:
            self.ctx = ctx
            self.max_size = self.gl.max_texture_size
            # The side, in texels, of any texture a kernel makes for itself (packed operands,
            # MRT targets, id grids); larger work is split into tiles (gl/tiling.py). Tests
            # lower it to run the split paths at small sizes; tensors' own textures keep
            # max_size.
            self.tile_limit = self.max_size
            self.pool = TexturePool(ctx, self.max_size)
            # inputs an elementwise pass may read through image units (context.py)
            self.image_inputs = self.gl.image_inputs
            self.programs = ProgramCache(ctx, image_loads=self.image_inputs > 0)
            self.block_rows = 8 if self.gl.max_draw_buffers >= 8 else 4
            # matmul's product pass, conv's and the fused optimizer updates: about one entry
            # per variable (its value and slots rotate through the same pooled textures), so
            # the cap must exceed a model's variable count or every step makes them anew
            # (an LRU of 32 made 40 framebuffers a step for 40 Adam variables). Framebuffers
            # are small and dropped with their textures (pool.on_delete).
            self.mrt_framebuffers = matmul.FramebufferCache(ctx, capacity=512)
            self.pool.on_delete.append(self.mrt_framebuffers.forget)
        self._layouts = {}
        self._routes = {}        # kernel name -> the method that runs it
        self._param_names = {}   # elementwise kernel -> its float params, in uniform order
        self._max_elements = max_elements(self.max_size)  # asked by check_size on every op
        # Small tensors on the host, their cheap ops in numpy (gl/host.py)
        self.host_forward = host.enabled_by_default()

    # ------------------------------------------------------------------ capability
    def max_elements(self):
        return self._max_elements

    def describe(self):
        info = self.gl.describe()
        info["max_elements"] = self.max_elements()
        # tensors under this many elements stay on the host (gl/host.py); 0: forwarding off
        info["host_forward_below"] = host.BELOW if self.host_forward else 0
        return info

    # ------------------------------------------------------------------ storage
    def alloc(self, size):
        """Storage for `size` elements (inside a GL section); kernels draw into it."""
        return self._alloc(size)

    def draw(self, prog, out, textures, images=None):
        """Draw `prog` over every texel of the output GLData, reading these GLData inputs
        (through image units where `images[i]`, as in _draw)."""
        self._draw(prog, out.texture, out.layout.width, out.layout.rows,
                   [t.texture.tex.mglo for t in textures], images=images)

    def _alloc(self, size):
        layout = self._layouts.get(size)
        if layout is None:  # layouts are immutable: one per size, made once (log2/sqrt)
            if len(self._layouts) >= 4096:
                self._layouts.clear()
            layout = self._layouts[size] = Layout(size, self.max_size)
        if size == 0:
            return GLData(None, layout)
        return GLData(self.pool.acquire(layout.width, layout.rows), layout)

    def layout(self, size):
        """The texture layout of a tensor of `size` elements (one shared object per size)."""
        layout = self._layouts.get(size)
        if layout is None:
            if len(self._layouts) >= 4096:
                self._layouts.clear()
            layout = self._layouts[size] = Layout(size, self.max_size)
        return layout

    def upload(self, array):
        flat = np.ascontiguousarray(array, dtype=np.float32).reshape(-1)
        kept = host.keep(flat)
        if kept is not None and self.host_forward:
            return GLData(None, self.layout(flat.size), kept, self)
        with self.gl:
            data = self._alloc(flat.size)
            if flat.size:
                self._write(data, flat)
        data.host = kept  # forwarding turned on later may still use it
        return data

    def _materialize(self, data):
        """A host-held tensor's texture, made on a GL kernel's first read. The host copy stays:
        a tensor's data never changes once made (kernels write new textures), so the two
        cannot drift apart, and host ops and reads keep using it."""
        with self.gl:
            if data._texture is None:  # another thread may have made it meanwhile
                texture = self.pool.acquire(data.layout.width, data.layout.rows)
                data._texture = texture
                self._write(data, data.host)
            return data._texture

    def _write(self, data, flat):
        lay, tex = data.layout, data._texture.tex
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
        values = data.host
        if values is not None:
            with np.errstate(invalid="ignore"):
                return values.astype(np.dtype(dtype)).reshape(shape)
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
        if data._texture is not None:
            self.pool.release(data._texture)
        if data.derived:
            for texture in data.derived.values():
                self.pool.release(texture)
            data.derived = None

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
    def set_image_loads(self, on):
        """Read same-layout inputs of elementwise passes through image units (on, where the GL
        has image load/store) or samplers (off) from the next launch on: for A/B runs and
        tests. Launches prepared earlier keep their reads."""
        self.image_inputs = self.gl.image_inputs if on else 0

    def _draw(self, prog, out_texture, width, rows, textures, x=0, y=0, images=None):
        """Draw over the width x rows texels at (x, y) of a pooled texture or framebuffer,
        reading textures[i] through texture unit i, or image unit i where `images[i]` (an
        elementwise Plan's images)."""
        if isinstance(out_texture, PooledTexture):
            fbo = out_texture._fbo or out_texture.fbo(self.ctx)  # made once per texture
            viewport = (x, y, width, rows)
            if out_texture.viewport != viewport:  # the setter costs more than the check
                fbo.viewport = viewport
                out_texture.viewport = viewport
        else:  # a framebuffer of several targets (matmul's MRT pass)
            fbo = out_texture
            fbo.viewport = (x, y, width, rows)
        # The C method: moderngl's Python Framebuffer.use only adds `ctx.fbo = self`, which
        # glflow never reads.
        fbo.mglo.use()
        if images is None:
            for unit, tex in enumerate(textures):
                tex.use(unit)
        else:
            elementwise.bind_inputs(textures, images)
        # The C method: moderngl's Python wrapper only fills in defaults.
        prog.vao.mglo.render(moderngl.TRIANGLES, 3, 0, -1)
        if self._fences is not None:  # llvmpipe with rasteriser threads (gl/fences.py)
            self._fences.submitted()

    # ------------------------------------------------------------------ graph mode
    def prepare(self, kernel, in_shapes, out_shape, dtype, attrs):
        """A launch resolved once for compiled replay (glflow/backends/gl/prepared.py)."""
        return prepared.prepare(self, kernel, in_shapes, out_shape, dtype, attrs)

    def buffers(self):
        """Textures for graph mode's memory plan (prepared.Buffers)."""
        return prepared.Buffers(self, GLData)

    # ------------------------------------------------------------------ kernels
    def limit(self, what):
        """Capabilities ops check arguments against: the most elements one tensor holds (one
        max-size texture), the largest int32 stored exactly (float32 texels: 2^24), and the
        most tensors one pass reads (a shader samples each input through a texture unit)."""
        if what == "max_elements":
            return self._max_elements
        if what == "exact_int":
            return EXACT_INT
        if what == "max_inputs":
            return self.gl.max_texture_units
        raise ValueError(f"limit: unknown capability {what!r}")

    def run(self, kernel, inputs, out_shape, dtype, attrs):
        """Run `kernel` on [(GLData, shape)] inputs into a new GLData (a tuple of them for a
        several-output kernel). GL computes in float32 whatever the dtype; int32/bool
        results are exact (see runtime/dtypes.py)."""
        route = self._routes.get(kernel)
        if route is None:
            route = self._routes[kernel] = self._route(kernel)
        return route(kernel, inputs, out_shape, attrs)

    def _route(self, kernel):
        """A family's own kernel (KERNELS), else the generated elementwise path."""
        if kernel == "fused":
            return self._run_fused
        if kernel in KERNELS:
            return self._run_kernel
        if kernel in host.FORWARDED:
            return self._run_forwardable
        if registry.get(kernel).pattern == registry.ELEMENTWISE:
            return self._run_elementwise
        raise KeyError(f"the gl backend has no kernel {kernel!r}")

    def _params(self, kernel):
        """An elementwise kernel's float params, in uniform order (looked up once)."""
        params = self._param_names.get(kernel)
        if params is None:
            params = self._param_names[kernel] = registry.get(kernel).params
        return params

    def _run_elementwise(self, kernel, inputs, out_shape, attrs):
        params = self._params(kernel)
        program = elementwise.call(kernel, len(inputs), len(params))
        values = {slot: attrs[p] for slot, p in enumerate(params)} if params else _NO_PARAMS
        return self.elementwise(program, inputs, attrs.get("views") if attrs else None, values,
                                out_shape)

    def may_forward(self, size):
        """Whether a FORWARDED kernel with an output of `size` elements may run on the host
        (gl/host.py), as it does when its inputs are there too."""
        return self.host_forward and 0 < size < host.BELOW

    def _run_forwardable(self, kernel, inputs, out_shape, attrs):
        """An elementwise kernel that runs on the host when its inputs are there and its
        output is small (gl/host.py), else on GL."""
        size = prod(out_shape)
        if self.may_forward(size):
            arrays = []
            flat = not attrs  # same-size or one-element operands: numpy's ufunc, flat
            for d, _ in inputs:
                h = d.host
                if h is None:
                    break
                arrays.append(h)
                flat = flat and (h.size == size or h.size == 1)
            else:
                ufunc = host.UFUNCS.get(kernel) if flat else None
                if ufunc is not None:
                    out = host.run_flat(kernel, ufunc, arrays)
                else:
                    out = host.run(kernel, [(h, shape) for h, (_, shape) in zip(arrays, inputs)],
                                   out_shape, size, attrs, self._params(kernel))
                if out is not None:
                    return GLData(None, self.layout(size), out, self)
        return self._run_elementwise(kernel, inputs, out_shape, attrs)

    def _run_fused(self, kernel, inputs, out_shape, attrs):
        program = attrs["program"]
        if len(program[1]) > 1:  # several outputs (graph mode): one draw into their targets
            launch = prepared.prepare(self, kernel, [shape for _, shape in inputs], out_shape,
                                      None, attrs)
            return launch([d for d, _ in inputs])
        counters.count_kernel("gl", kernel)
        return self.elementwise(program, inputs, attrs.get("views"),
                                dict(enumerate(attrs.get("params", ()))), out_shape)

    def _run_kernel(self, kernel, inputs, out_shape, attrs):
        """A kernel of a family module (conv.py, pool.py, ...), inside one GL section."""
        check = LIMITS.get(kernel)
        if check is not None:  # a launch the kernel cannot split: refused before GL work
            reason = check(self, out_shape=tuple(out_shape), **attrs)
            if reason:
                shapes = ", ".join(str(list(shape)) for _, shape in inputs)
                raise ValueError(f"{kernel}: inputs {shapes}: {reason}")
        counters.count_kernel("gl", kernel)
        with self.gl:
            return KERNELS[kernel](self, *[d for d, _ in inputs], out_shape=tuple(out_shape),
                                   **attrs)

    # ------------------------------------------------------------------ interop
    # glflow/interop.py: user textures of this context <-> tensors (gl/interop.py has the
    # passes). Outside `run`: a texture is neither a tensor input nor a tensor result.
    def from_texture(self, texture, flip_y):
        """A user's texture in this context as [H, W, C] data, in one GL pass."""
        counters.count_kernel("gl", "from_texture")
        with self.gl:
            return interop.from_texture(self, texture, flip_y)

    def to_texture(self, data, shape, dtype, flip_y, ctx):
        """A new texture of this context (ctx) showing [H, W, C] data, in one GL pass."""
        counters.count_kernel("gl", "to_texture")
        with self.gl:
            return interop.to_texture(self, data, shape, dtype, flip_y)

    def reset_state(self):
        """The GL state glflow's kernels draw with, after user drawing in the context. With
        rasteriser threads, the scene the user drew last is handed to the fence guard too
        (gl/fences.py; scenes of other framebuffers before it in the section are not)."""
        with self.gl as ctx:
            interop.reset_state(ctx)
            if self._fences is not None:
                self._fences.submitted()

    def elementwise(self, program, inputs, views, params, out_shape):
        """Run an elementwise program with one output (gl/elementwise.py) over [(GLData,
        shape)] inputs (broadcast by numpy rules, or read through `views`: a StridedView or
        None per input)."""
        size = prod(out_shape)
        launch = key = None
        # Eager mode repeats the same few launches: everything but the data handles is a
        # function of (program, out_shape, input shapes and sizes), so it is found with one dict
        # lookup instead of classification + plan key + uniform key. Inputs
        # read through views are rare and take the general path.
        if views is None:
            key = (program, out_shape, self.image_inputs,
                   *[(shape, d.layout.size) for d, shape in inputs])
            launch = _launches.get(key)
        if launch is None:
            launch = self._launch(program, inputs, views, out_shape, size)
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
            # memo's own). The check costs a fraction of the sets.
            if params or prog.launch_key != (uniform_key, lay):
                elementwise.set_uniforms(prog, accesses, out_shape, lay,
                                         [d.layout for d, _ in inputs], params)
                prog.launch_key = None if params else (uniform_key, lay)
            # The textures' C objects: _draw only calls use(unit) on them, and moderngl's
            # Python Texture.use is a wrapper around exactly that (a call less per input).
            self._draw(prog, out.texture, lay.width, lay.rows,
                       [d.texture.tex.mglo for d, _ in inputs], images=plan.images)
        count = counters.count_kernel
        for kernel in plan.kernels:
            count("gl", kernel)
        return out

    def _launch(self, program, inputs, views, out_shape, size):
        """(accesses, plan, uniform key) of one launch: what `elementwise` memoises."""
        accesses = access.for_inputs([shape for _, shape in inputs],
                                     [d.layout.size for d, _ in inputs], views, out_shape, size)
        plan = elementwise.plan(program, accesses, len(out_shape), self.image_inputs)
        # Every uniform is a function of these (plus params, never memoised): out_shape, the
        # input sizes (their layouts' shifts) and the access objects (their uniforms).
        uniform_key = (out_shape, tuple(d.layout.size for d, _ in inputs), tuple(accesses))
        return accesses, plan, uniform_key


_NO_PARAMS = {}  # shared and never written

__all__ = ["GLBackend", "GLData"]
