"""gf.profile(fn): what a function costs in kernels and memory, as TF.js's tf.profile reports it.

    info = gf.profile(lambda: block(x, w, b))
    info.new_bytes, info.new_tensors, info.peak_bytes, info.kernel_names
    info.kernels[0]   # {"name", "input_shapes", "output_shapes", "kernel_time_ms",
                      #  "total_bytes_snapshot"}

Every kernel launch is recorded, eager ones (through the backend's `run`) and the steps of
compiled graphs (executor.Program), each timed between two `finish()` calls: the times are
real but the synchronisation makes the profiled run slower than a normal one. Fusion shows up
directly: a fused chain is one kernel. `new_bytes` and `new_tensors` count tensors (as
memory() does); `peak_bytes` is the backend's bytes in use at its highest after any kernel
(on GL the pool's textures in use, which includes the intermediates a compiled graph holds
outside tensors).
"""
import threading
import time

from ..runtime import counters, state
from ..runtime.memory import MemoryInfo

_active = None
_lock = threading.Lock()


def active():
    """The profile being recorded, or None (compiled graphs ask once per run)."""
    return _active


class _Recorder:
    def __init__(self, backend):
        self.backend = backend
        self.kernels = []
        self.peak = _bytes_in_use(backend)
        self._inside_program = False
        self._original_run = backend.run

    def _timed(self, name, input_shapes, output_shapes, call):
        b = self.backend
        b.finish()
        start = time.perf_counter()
        result = call()
        b.finish()
        elapsed = (time.perf_counter() - start) * 1e3
        in_use = _bytes_in_use(b)
        self.peak = max(self.peak, in_use)
        self.kernels.append({"name": name, "input_shapes": input_shapes,
                             "output_shapes": output_shapes, "kernel_time_ms": elapsed,
                             "total_bytes_snapshot": in_use})
        return result

    def run(self, kernel, inputs, out_shape, dtype, attrs):
        """The backend's run while profiling (eager kernels)."""
        original = self._original_run
        if self._inside_program:
            return original(kernel, inputs, out_shape, dtype, attrs)
        return self._timed(kernel, [list(s) for _, s in inputs], _shapes(out_shape),
                           lambda: original(kernel, inputs, out_shape, dtype, attrs))

    def run_program(self, program, slots):
        """A compiled graph's loop, one timed step at a time."""
        self._inside_program = True
        try:
            for step in program.steps:
                name, shapes = step.label
                outs = [list(v.shape) for v in step.node.outputs]
                self._timed(name, shapes, outs, lambda: program.run_step(step, slots))
        finally:
            self._inside_program = False


def _shapes(out_shape):
    if out_shape and isinstance(out_shape[0], (tuple, list)):
        return [list(s) for s in out_shape]
    return [list(out_shape)]


def _bytes_in_use(backend):
    return backend.memory_stats().get("bytes_in_use", counters.live_bytes)


def profile(fn):
    """Run fn() once and report its kernels and memory (see the module docstring). The
    result of fn is in `info.result`."""
    global _active
    if not callable(fn):
        raise TypeError(f"profile: fn must be callable, got {type(fn).__name__}")
    b = state.backend()
    with _lock:
        if _active is not None:
            raise RuntimeError("profile: another profile is running; profiles do not nest")
        recorder = _active = _Recorder(b)
    tensors, nbytes = counters.live_tensors, counters.live_bytes
    b.run = recorder.run  # the instance attribute shadows the method while profiling
    try:
        result = fn()
    finally:
        del b.run
        _active = None
    return MemoryInfo(new_bytes=counters.live_bytes - nbytes,
                      new_tensors=counters.live_tensors - tensors, peak_bytes=recorder.peak,
                      kernels=recorder.kernels,
                      kernel_names=[k["name"] for k in recorder.kernels], result=result)
