"""TexturePool: reuse RGBA32F textures by size bucket, keep at most `budget` bytes idle.

`release` may run from any thread (it is called when a tensor's storage dies) and makes no GL
call: textures past the budget are queued and deleted for real by the next GL section.
"""
import collections
import threading

import moderngl

from .layout import bucket_rows


class PooledTexture:
    """A texture plus its cached framebuffer; lives as long as the GL texture does."""
    __slots__ = ("tex", "width", "rows", "nbytes", "_fbo", "viewport")

    def __init__(self, tex, width, rows):
        self.tex = tex
        self.width = width
        self.rows = rows
        self.nbytes = width * rows * 16
        self._fbo = None
        self.viewport = None  # last viewport drawn: the backend skips unchanged ones

    def fbo(self, ctx):
        if self._fbo is None:
            self._fbo = ctx.framebuffer(color_attachments=[self.tex])
        return self._fbo

    def delete(self):
        if self._fbo is not None:
            self._fbo.release()
        self.tex.release()


class TexturePool:
    DEFAULT_BUDGET = 256 << 20

    def __init__(self, ctx, max_size, budget=DEFAULT_BUDGET):
        self.ctx = ctx
        self.max_size = max_size
        self.budget = budget
        self._free = collections.OrderedDict()   # key -> [PooledTexture], oldest key first
        self._doomed = []                         # over budget: delete at the next GL section
        # Re-entrant: a garbage-collected tensor may release a texture while this thread is
        # inside acquire/release (GC runs finalizers at any allocation).
        self._lock = threading.RLock()
        self.pooled_bytes = 0
        self.used_bytes = 0
        self.textures = 0
        self.created = 0
        self.reused = 0
        # Called with each texture just before it is deleted, so caches holding framebuffers
        # over several textures (matmul's MRT targets) drop them and the memory really goes.
        self.on_delete = []

    def acquire(self, width, rows):
        """A texture with this width and at least `rows` rows. Call inside a GL section."""
        if self._doomed:  # checked here: a call to collect() per op showed in profiles
            self.collect()
        rows = min(bucket_rows(rows), self.max_size)
        key = (width, rows)
        with self._lock:
            stack = self._free.get(key)
            if stack:
                pt = stack.pop()
                if not stack:
                    del self._free[key]
                self.pooled_bytes -= pt.nbytes
                self.used_bytes += pt.nbytes
                self.reused += 1
                return pt
        tex = self.ctx.texture((width, rows), 4, dtype="f4")
        tex.filter = (moderngl.NEAREST, moderngl.NEAREST)
        tex.repeat_x = tex.repeat_y = False
        pt = PooledTexture(tex, width, rows)
        with self._lock:
            self.used_bytes += pt.nbytes
            self.textures += 1
            self.created += 1
        return pt

    def release(self, pt):
        """Give a texture back (any thread, no GL call)."""
        with self._lock:
            self.used_bytes -= pt.nbytes
            key = (pt.width, pt.rows)
            self._free.setdefault(key, []).append(pt)
            self._free.move_to_end(key)
            self.pooled_bytes += pt.nbytes
            while self.pooled_bytes > self.budget and self._free:
                self._evict_oldest()

    def _evict_oldest(self):
        key, stack = next(iter(self._free.items()))
        pt = stack.pop(0)
        if not stack:
            del self._free[key]
        self.pooled_bytes -= pt.nbytes
        self.textures -= 1
        self._doomed.append(pt)

    def collect(self):
        """Delete queued textures for real. Call inside a GL section."""
        if not self._doomed:
            return
        with self._lock:
            doomed, self._doomed = self._doomed, []
        for pt in doomed:
            for forget in self.on_delete:
                forget(pt)
            pt.delete()

    def empty_cache(self):
        with self._lock:
            while self._free:
                self._evict_oldest()
        self.collect()

    def stats(self):
        return {"bytes_in_use": self.used_bytes, "bytes_pooled": self.pooled_bytes,
                "num_textures": self.textures, "textures_created": self.created,
                "textures_reused": self.reused, "pool_budget_bytes": self.budget}
