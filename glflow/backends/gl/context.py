"""The one headless OpenGL context: created on first GL use, probed once, shared by every thread.

EGL lets a context be current in one thread at a time, and a thread that leaves it current blocks
every other thread. So each GL section makes the context current and releases it on exit
(~1.9 us a pair on llvmpipe, nearly all of it eglMakeCurrent twice), under one re-entrant lock;
nested sections in the same thread pay nothing more. Only the thread holding the lock touches
the nesting depth, so it is a plain attribute; and the section calls moderngl's C context
directly (its Python wrappers added ~0.7 us a pair, measured with timeit).

No explicit glFlush at the end of a section: tried (through ctypes, moderngl has none), it made
chains of dependent ops slower on llvmpipe, where a flush waits for the rasteriser: 12
interleaved rounds, flushed / unflushed time = 1.27 for 1M-element adds, 1.07 for 16-element
adds, 1.03 for 128^2 matmuls.
"""
import threading

import moderngl


class GLUnavailable(RuntimeError):
    """No usable OpenGL 3.3 context (no EGL, no driver, too old)."""


class GLContext:
    def __init__(self):
        try:
            self.ctx = moderngl.create_context(standalone=True, backend="egl", require=330)
        except Exception as exc:
            raise GLUnavailable(f"cannot create a headless EGL OpenGL 3.3 context ({exc}). "
                                "On Debian/Ubuntu: apt-get install libegl1 libgl1-mesa-dri "
                                "libegl-mesa0") from exc
        self.lock = threading.RLock()
        self._depth = 0  # sections open in the thread that holds the lock
        info = self.ctx.info
        self.renderer = info.get("GL_RENDERER", "?")
        self.vendor = info.get("GL_VENDOR", "?")
        self.version = info.get("GL_VERSION", "?")
        self.max_texture_size = int(info["GL_MAX_TEXTURE_SIZE"])
        self.max_draw_buffers = int(info["GL_MAX_DRAW_BUFFERS"])
        self.max_color_attachments = int(info.get("GL_MAX_COLOR_ATTACHMENTS", self.max_draw_buffers))
        self.max_texture_units = int(info.get("GL_MAX_TEXTURE_IMAGE_UNITS", 16))
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
                "max_texture_units": self.max_texture_units, "float16_render": self.float16}
