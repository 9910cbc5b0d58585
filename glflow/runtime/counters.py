"""Process-wide counters: live tensors and their bytes (for `memory()`), and kernel launches per
(backend, kernel) for tests, benchmarks and GLFLOW_DEBUG=2.

Tensors are made and dropped from any thread, so the live counts change under one lock; one
lock round trip per tensor is what an eager op can afford (benchmarks/README.md, "The
eager hot path").
"""
import itertools
import threading

from . import debug

_lock = threading.Lock()
_ids = itertools.count(1)   # next() on a C counter is atomic under the GIL: no lock for ids

live_tensors = 0
live_bytes = 0
kernel_counts = {}          # (backend name, kernel) -> launches


def new_id():
    return next(_ids)


def tensor_made(new_bytes):
    """A tensor came to life, with `new_bytes` of storage made for it (0 when it shares one)."""
    global live_tensors, live_bytes
    with _lock:
        live_tensors += 1
        live_bytes += new_bytes


def tensor_dropped():
    global live_tensors
    with _lock:
        live_tensors -= 1


def storage_made(nbytes):
    global live_bytes
    with _lock:
        live_bytes += nbytes


def storage_freed(nbytes):
    global live_bytes
    with _lock:
        live_bytes -= nbytes


def count_kernel(backend_name, kernel):
    """One launch of `kernel` on a backend (dict updates are atomic enough under the GIL for
    counters that are read, never relied on for ordering)."""
    key = (backend_name, kernel)
    kernel_counts[key] = kernel_counts.get(key, 0) + 1
    if debug.level >= 2:
        print(f"[glflow] {backend_name}: {kernel}")


def kernel_launches():
    """A copy of the launch counts, to diff before and after some work."""
    return dict(kernel_counts)
