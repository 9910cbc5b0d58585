"""The one headless OpenGL context: created on first GL use, probed once, shared by every thread.

EGL lets a context be current in one thread at a time, and a thread that leaves it current blocks
every other thread. So each GL section makes the context current and releases it on exit
(on llvmpipe nearly all of that cost is eglMakeCurrent twice), under one re-entrant lock;
nested sections in the same thread pay nothing more. Only the thread holding the lock touches
the nesting depth, so it is a plain attribute; and the section calls moderngl's C context
directly (its Python wrappers add to every section).

No explicit glFlush at the end of a section: it made chains of dependent ops slower on
llvmpipe, where a flush waits for the rasteriser. Nor is the context kept current in the main
thread between ops: other threads would then need a second, shared context and every section
a flush and a fence, which left little of the saving on llvmpipe (both measured in
benchmarks/README.md, "The eager hot path"); on drivers where eglMakeCurrent is costly it may
pay: measure there first.
"""
import os
import threading

import moderngl

from ...runtime import devices
from .fences import FenceGuard

# Rasteriser threads. Mesa's llvmpipe rasterises on one worker thread per CPU by default
# (LP_NUM_THREADS sets the count, 0 draws in the calling thread), and glflow leaves that as Mesa
# and the user set it: large draws run up to ~2x faster on two cores, dependent small draws
# slower (benchmarks/README.md, "llvmpipe threads"). With threads, llvmpipe (22.3 as in
# Debian 12, and later versions) can corrupt the heap: glflow's thread may free a scene's fence
# while the last worker is still unlocking it (fences.py has the mechanism; it crashed about 1
# full test run in 5 when glflow had no guard). So every glflow draw goes through a FenceGuard
# that keeps each scene's fence alive until a later scene is seen finished:
# scripts/stress_threads.py --probe hits the race in about a second without it and found none
# with it (benchmarks/README.md has the runs).

# Image loads: an elementwise pass reads its same-layout inputs with imageLoad through read-only
# image units where the GL has image load/store. The tensors' textures are the same; only the
# read differs. 8 inputs at most: the fewest fragment-shader image uniforms (and image units)
# that GL_ARB_shader_image_load_store guarantees; the rest read through samplers. Framebuffer
# writes of earlier draws are visible to later image loads without glMemoryBarrier, which
# orders only shaders' own incoherent writes (image stores, buffers), none of which glflow makes.
IMAGE_EXTENSION = "GL_ARB_shader_image_load_store"
IMAGE_INPUTS = 8


class GLUnavailable(RuntimeError):
    """No usable OpenGL 3.3 context (no EGL, no driver, too old)."""


def _create_context(device):
    """glflow's standalone EGL context on EGL device `device` (None: EGL's first). Returns
    (context, the rasteriser threads llvmpipe started, as a string: counted where Linux names
    them, else the LP_NUM_THREADS in force, else "default")."""
    chosen = {} if device is None else {"device_index": device}
    ctx = moderngl.create_context(standalone=True, backend="egl", require=330, **chosen)
    # llvmpipe's rasterisers belong to its screen, shared by every context of the process
    threads = _llvmpipe_threads_running()
    if threads is None:
        return ctx, os.environ.get("LP_NUM_THREADS", "default")
    return ctx, str(threads)


def _llvmpipe_threads_running():
    """How many llvmpipe rasteriser threads ("llvmpipe-N") this process has; None where
    thread names cannot be read (no /proc)."""
    try:
        tasks = os.listdir("/proc/self/task")
    except OSError:
        return None
    count = 0
    for tid in tasks:
        try:
            with open(f"/proc/self/task/{tid}/comm") as f:
                count += f.read().startswith("llvmpipe-")
        except OSError:  # the thread ended meanwhile
            pass
    return count


def image_inputs(ctx):
    """How many inputs of an elementwise pass may be read through image units (imageLoad)
    rather than samplers: IMAGE_INPUTS where the GL has image load/store (core from GL 4.2),
    0 without it or with GLFLOW_IMAGE_LOADS=0. On llvmpipe an imageLoad costs about half a
    texelFetch, whose robust addressing and sampler path it skips (benchmarks/README.md, "Image
    loads")."""
    setting = os.environ.get("GLFLOW_IMAGE_LOADS", "1")
    if setting not in ("0", "1"):
        raise ValueError(f"GLFLOW_IMAGE_LOADS must be 0 or 1, got {setting!r}")
    if setting == "0" or IMAGE_EXTENSION not in ctx.extensions:
        return 0
    return IMAGE_INPUTS


class GLContext:
    def __init__(self):
        device = devices.requested()  # a bad GLFLOW_DEVICE is the user's error: not wrapped
        try:
            self.ctx, lp_threads = _create_context(device)
        except Exception as exc:
            raise GLUnavailable(f"cannot create a headless EGL OpenGL 3.3 context ({exc}). "
                                "On Debian/Ubuntu: apt-get install libegl1 libgl1-mesa-dri "
                                "libegl-mesa0") from exc
        self.device = 0 if device is None else device
        devices.context_made(self.device)
        self.lock = threading.RLock()
        self._depth = 0  # sections open in the thread that holds the lock
        info = self.ctx.info
        self.renderer = info.get("GL_RENDERER", "?")
        self.vendor = info.get("GL_VENDOR", "?")
        self.version = info.get("GL_VERSION", "?")
        # Rasteriser threads glflow's context got (None on other drivers, which ignore the
        # variable).
        self.llvmpipe_threads = lp_threads if "llvmpipe" in self.renderer else None
        # With rasteriser threads every draw must hand its scene to the guard (fences.py);
        # None where there is no race to guard against (no threads, or another driver).
        self.fences = FenceGuard() if self.llvmpipe_threads not in (None, "0") else None
        self.max_texture_size = int(info["GL_MAX_TEXTURE_SIZE"])
        self.max_draw_buffers = int(info["GL_MAX_DRAW_BUFFERS"])
        self.max_color_attachments = int(info.get("GL_MAX_COLOR_ATTACHMENTS", self.max_draw_buffers))
        self.max_texture_units = int(info.get("GL_MAX_TEXTURE_IMAGE_UNITS", 16))
        self.image_inputs = image_inputs(self.ctx)
        self.float16 = self._probe_float16()
        self._make_current = self.ctx.mglo.__enter__
        self._release = self.ctx.mglo.__exit__
        self.ctx.__exit__(None, None, None)  # leave it current in no thread

    def _probe_float16(self):
        try:
            tex = self.ctx.texture((1, 1), 4, dtype="f2")
            fbo = self.ctx.framebuffer([tex])
            fbo.release()
            tex.release()
            return True
        except Exception:
            return False

    def __enter__(self):
        self.lock.acquire()
        if self._depth == 0:
            try:
                self._make_current()
            except BaseException:
                self.lock.release()
                raise
        self._depth += 1
        return self.ctx

    def __exit__(self, *exc):
        self._depth -= 1
        if self._depth == 0:
            self._release(None, None, None)
        self.lock.release()
        return False

    def describe(self):
        return {"renderer": self.renderer, "vendor": self.vendor, "version": self.version,
                "glsl": self.ctx.version_code, "max_texture_size": self.max_texture_size,
                "max_render_targets": min(self.max_draw_buffers, self.max_color_attachments),
                "max_texture_units": self.max_texture_units, "float16_render": self.float16,
                "image_inputs": self.image_inputs,
                "llvmpipe_threads": self.llvmpipe_threads, "device": self.device}
