"""Rasteriser threads without llvmpipe's fence race: every scene's fence stays referenced by
glflow until a later scene is seen finished.

The race (Mesa's llvmpipe, 22.3 as in Debian 12 and still in later versions): each queued
scene has a fence that every rasteriser thread signals once, in lp_fence_signal: lock, count
up, broadcast, unlock. glflow's thread frees the fence when its last reference goes, and two
of those drops follow an unlocked read of the count (lp_fence_signalled): recycling a finished
scene (lp_setup_get_empty_scene, lp_scene_end_rasterization) and, for a scene recycled before,
moving the rasteriser's last_fence on when the next scene is queued. If the last signaller has
counted but not yet unlocked, its unlock writes into freed memory (a core dump showed the
freed 112-byte fence with its mutex word zeroed after the free). glClientWaitSync is no cure
on its own: llvmpipe's fence_finish also returns at once, unlocked, for a fence that already
reads complete.

What makes a drop safe: all rasteriser threads take part in every scene, in queue order, and
meet at a barrier after signalling a scene's fence. So once a later scene's fence reads
complete, every thread has returned from signalling the earlier one, and freeing it is safe.
The guard therefore holds one GL sync object per scene (glFenceSync right after each draw
flushes that draw's scene and references its fence) and deletes it only after a later
scene's fence was seen complete. To learn that without giving up a fence's protection, every
PROBE_EVERY-th draw gets a second sync on the same fence: querying it drops only the probe's
own reference, while the first sync still holds the fence.

scripts/fence_race_probe.c reproduces the race in seconds (it widens the window between the
count and the unlock and aborts on a destroy inside it) and shows none with the guard:
benchmarks/README.md, "llvmpipe threads".
"""
import ctypes
import ctypes.util
from collections import deque

GL_SYNC_GPU_COMMANDS_COMPLETE = 0x9117
GL_ALREADY_SIGNALED = 0x911A
GL_CONDITION_SATISFIED = 0x911C
# Draws between probes: a probe costs a second glFenceSync plus one status query, and the syncs
# held meanwhile cost ~200 bytes each.
PROBE_EVERY = 16


def _gl_function(egl, name, restype, *argtypes):
    address = egl.eglGetProcAddress(name.encode())
    if not address:
        raise OSError(f"eglGetProcAddress found no {name}")
    return ctypes.CFUNCTYPE(restype, *argtypes)(address)


def sync_functions():
    """glFenceSync, glClientWaitSync and glDeleteSync (moderngl has no sync objects)."""
    egl = ctypes.CDLL(ctypes.util.find_library("EGL") or "libEGL.so.1")
    egl.eglGetProcAddress.restype = ctypes.c_void_p
    egl.eglGetProcAddress.argtypes = [ctypes.c_char_p]
    return (_gl_function(egl, "glFenceSync", ctypes.c_void_p, ctypes.c_uint, ctypes.c_uint),
            _gl_function(egl, "glClientWaitSync", ctypes.c_uint, ctypes.c_void_p,
                         ctypes.c_uint, ctypes.c_uint64),
            _gl_function(egl, "glDeleteSync", None, ctypes.c_void_p))


class FenceGuard:
    """Call `submitted()` inside the GL section right after every draw (or any other call that
    renders: clears, blits); the context must be current. Not thread-safe on its own: glflow
    calls it under the context's lock."""

    def __init__(self, gl_functions=None, probe_every=PROBE_EVERY):
        """gl_functions: (glFenceSync, glClientWaitSync, glDeleteSync); looked up through EGL
        when None (tests pass stand-ins)."""
        self._fence_sync, self._client_wait, self._delete = gl_functions or sync_functions()
        self.probe_every = probe_every
        self._held = deque()    # one sync per scene, oldest first
        self._probes = deque()  # (probe sync, draw number of the scene it shares a fence with)
        self._draws = 0         # draws submitted
        self._released = 0      # held syncs deleted: _held[0] belongs to draw number _released

    def submitted(self):
        """Hold the scene just drawn; every PROBE_EVERY draws, release what is safe to."""
        self._held.append(self._fence_sync(GL_SYNC_GPU_COMMANDS_COMPLETE, 0))
        self._draws += 1
        if self._draws % self.probe_every == 0:
            self._probes.append((self._fence_sync(GL_SYNC_GPU_COMMANDS_COMPLETE, 0),
                                 self._draws - 1))
            self.release_finished()

    def release_finished(self):
        """Delete the held syncs of every scene older than the newest probe seen complete."""
        probes, held, delete = self._probes, self._held, self._delete
        while probes:
            probe, draw = probes[0]
            # timeout 0: a status query. It returns complete only after dropping the probe's
            # reference; the held sync of the same scene keeps the fence alive.
            if self._client_wait(probe, 0, 0) not in (GL_ALREADY_SIGNALED,
                                                     GL_CONDITION_SATISFIED):
                return
            probes.popleft()
            delete(probe)
            while self._released < draw:  # scenes before `draw`: every signaller is done
                delete(held.popleft())
                self._released += 1

    def held(self):
        """Syncs held now (tests and diagnostics)."""
        return len(self._held)
