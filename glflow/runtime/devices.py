"""Which EGL device glflow's GL context runs on: the devices EGL lists, and the one chosen.

EGL numbers the machine's devices (EGL_EXT_device_enumeration): each GPU driver's devices and,
with Mesa, a software device (llvmpipe). glcontext's EGL backend makes its context on the
device with a given index, so the index is the whole choice: `GLFLOW_DEVICE=N` or
`set_device(N)` before the first GL op. The GL backend reads `requested()` when it makes its
context and reports back with `context_made`; from then on the choice is fixed, because glflow
has one context per process and every tensor lives in it.

Listing goes through libEGL with ctypes (no Python package exposes EGL's device queries short of
PyOpenGL). It only queries device strings: no display is initialised, so no driver starts
(llvmpipe's rasteriser threads included, see glflow/backends/gl/context.py).
"""
import ctypes
import ctypes.util
import os
import threading
from dataclasses import dataclass

ENV = "GLFLOW_DEVICE"

# EGL enums (EGL 1.5 and the EGL_EXT_device_* extensions)
_EGL_VENDOR = 0x3053
_EGL_EXTENSIONS = 0x3055
_EGL_DRM_DEVICE_FILE = 0x3233
_EGL_DRM_RENDER_NODE_FILE = 0x3377
_EGL_RENDERER = 0x335F

_lock = threading.Lock()
_chosen = None     # set_device's index; None: GLFLOW_DEVICE, else EGL's first device
_in_use = None     # the index glflow's context was made on


@dataclass(frozen=True)
class Device:
    """One EGL device. `software` marks a CPU rasteriser (Mesa's llvmpipe); `drm_node` is the
    /dev/dri file of a kernel driver's device; vendor and renderer are known where the driver
    answers EGL_EXT_device_query_name (NVIDIA does, Mesa 22 does not)."""
    index: int
    software: bool
    drm_node: str = None
    vendor: str = None
    renderer: str = None
    extensions: tuple = ()

    def describe(self):
        kind = "software (CPU rasteriser)" if self.software else "hardware"
        parts = [p for p in (self.vendor, self.renderer, self.drm_node) if p]
        return f"{self.index}: {kind}" + (f", {', '.join(parts)}" if parts else "")


def list_devices():
    """The EGL devices of this machine, in EGL's order (the index GLFLOW_DEVICE takes); an
    empty list where EGL or its device enumeration is missing."""
    try:
        egl = ctypes.CDLL(ctypes.util.find_library("EGL") or "libEGL.so.1")
    except OSError:
        return []
    egl.eglGetProcAddress.restype = ctypes.c_void_p
    egl.eglGetProcAddress.argtypes = [ctypes.c_char_p]
    query_devices = egl.eglGetProcAddress(b"eglQueryDevicesEXT")
    query_string = egl.eglGetProcAddress(b"eglQueryDeviceStringEXT")
    if not query_devices or not query_string:
        return []
    query_devices = ctypes.CFUNCTYPE(ctypes.c_uint, ctypes.c_int,
                                     ctypes.POINTER(ctypes.c_void_p),
                                     ctypes.POINTER(ctypes.c_int))(query_devices)
    query_string = ctypes.CFUNCTYPE(ctypes.c_char_p, ctypes.c_void_p, ctypes.c_int)(query_string)
    count = ctypes.c_int(0)
    if not query_devices(0, None, ctypes.byref(count)) or count.value <= 0:
        return []
    handles = (ctypes.c_void_p * count.value)()
    if not query_devices(count.value, handles, ctypes.byref(count)):
        return []

    def text(handle, name):  # None where the device does not answer that query
        value = query_string(handle, name)
        return value.decode("utf-8", "replace") if value else None

    found = []
    for index, handle in enumerate(handles[:count.value]):
        extensions = tuple((text(handle, _EGL_EXTENSIONS) or "").split())
        named = "EGL_EXT_device_query_name" in extensions
        found.append(Device(
            index=index, software="EGL_MESA_device_software" in extensions,
            drm_node=(text(handle, _EGL_DRM_RENDER_NODE_FILE)
                      if "EGL_EXT_device_drm_render_node" in extensions else None)
            or (text(handle, _EGL_DRM_DEVICE_FILE)
                if "EGL_EXT_device_drm" in extensions else None),
            vendor=text(handle, _EGL_VENDOR) if named else None,
            renderer=text(handle, _EGL_RENDERER) if named else None,
            extensions=extensions))
    return found


def _checked_index(where, value):
    if isinstance(value, bool) or not isinstance(value, int):
        try:
            value = int(str(value).strip())
        except ValueError:
            raise ValueError(f"{where}: the device is an EGL device index (0, 1, ...), "
                             f"got {value!r}") from None
    if value < 0:
        raise ValueError(f"{where}: the device index must be >= 0, got {value}")
    listed = list_devices()
    if listed and value >= len(listed):
        raise ValueError(f"{where}: there is no EGL device {value}; this machine has "
                         f"{len(listed)}: " + "; ".join(d.describe() for d in listed))
    return value


def set_device(index):
    """Run glflow's GL context on EGL device `index` (see list_devices()). Call it before the
    first GL op: glflow has one context per process, made on first use."""
    index = _checked_index("set_device", index)
    global _chosen
    with _lock:
        if _in_use is not None and index != _in_use:
            raise RuntimeError(f"set_device({index}): glflow's GL context already runs on "
                               f"device {_in_use}; choose the device before the first GL op "
                               f"(or set {ENV}={index} before starting Python)")
        _chosen = index


def requested():
    """The device index glflow's context should use: set_device's, else GLFLOW_DEVICE's, else
    None (EGL's first device). Raises ValueError for a GLFLOW_DEVICE that is no device."""
    with _lock:
        if _chosen is not None:
            return _chosen
    value = os.environ.get(ENV, "").strip()
    return _checked_index(ENV, value) if value else None


def context_made(index):
    """Called by the GL backend once its context exists: the device is fixed from now on."""
    global _in_use
    with _lock:
        _in_use = index


def in_use():
    """The device glflow's context runs on; None before the first GL op."""
    return _in_use
