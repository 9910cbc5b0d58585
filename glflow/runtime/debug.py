"""GLFLOW_DEBUG: 0 quiet, 1 compiles and graph passes, 2 every kernel launched, 3 generated GLSL."""
import os


def _from_environment():
    try:
        return int(os.environ.get("GLFLOW_DEBUG", "0"))
    except ValueError:
        return 0


# Read once at import: the kernel counter asks on every launch (os.environ.get is not free;
# benchmarks/README.md, "The eager hot path").
level = _from_environment()


def debug_level():
    return level


def set_debug_level(new_level=None):
    """Change the level while running; None re-reads GLFLOW_DEBUG. Returns the level in force."""
    global level
    level = _from_environment() if new_level is None else int(new_level)
    return level
