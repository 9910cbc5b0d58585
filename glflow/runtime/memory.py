"""memory() and empty_cache(): what is alive on the active backend, and freeing its pool."""
from . import counters, state


class MemoryInfo(dict):
    """A dict (`info["num_bytes"]`) whose keys also read as attributes (`info.num_bytes`), as
    TF.js's tf.memory() object does (numTensors -> num_tensors)."""

    def __getattr__(self, name):
        try:
            return self[name]
        except KeyError:
            raise AttributeError(f"memory(): no field {name!r}; fields: "
                                 f"{', '.join(self)}") from None


def memory():
    """Tensors alive, their bytes, and the active backend's textures/pool/program stats."""
    b = state.backend()
    info = MemoryInfo(backend=state.current_name, num_tensors=counters.live_tensors,
                      num_bytes=counters.live_bytes)
    info.update(b.memory_stats())
    return info


def empty_cache():
    """Free pooled (unused) GPU memory for real."""
    state.backend().empty_cache()
