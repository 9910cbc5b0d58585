"""Where benchmark results go, and how they are written.

A run writes into a folder the user names (`--out DIR`) or into a fresh per-user folder,
`$XDG_CACHE_HOME/glflow/bench/<timestamp>/` (`~/.cache/glflow/bench/<timestamp>/` when the
variable is unset). The default never depends on the current directory, so a run started in a
source checkout cannot overwrite the reference results committed under `benchmarks/results/`.
Every file is written to a unique temporary name in the target folder and renamed over the
final name, so an interrupted run never leaves a half-written file.
"""
import datetime
import json
import os
import tempfile

import numpy as np

from .. import atomic_write as atomic


def cache_home():
    """$XDG_CACHE_HOME, or ~/.cache; the XDG spec says a relative value is to be ignored, and a
    home that cannot be found falls back to the temp folder: never a path relative to the cwd."""
    xdg = os.environ.get("XDG_CACHE_HOME", "")
    if os.path.isabs(xdg):
        return xdg
    home = os.path.expanduser("~")
    if os.path.isabs(home):
        return os.path.join(home, ".cache")
    user = os.getuid() if hasattr(os, "getuid") else os.environ.get("USERNAME", "user")
    return os.path.join(tempfile.gettempdir(), f"glflow-{user}")


def default_root():
    """The folder that holds one sub-folder per default run."""
    return os.path.join(cache_home(), "glflow", "bench")


def new_run_dir(root=None, now=None):
    """A new, empty <root>/<UTC timestamp> folder (a suffix keeps two runs in one second apart)."""
    root = root or default_root()
    os.makedirs(root, exist_ok=True)
    now = now or datetime.datetime.now(datetime.timezone.utc)
    stamp = now.strftime("%Y%m%d-%H%M%S")
    for attempt in range(1, 1000):
        path = os.path.join(root, stamp if attempt == 1 else f"{stamp}-{attempt}")
        try:
            os.mkdir(path)
            return path
        except FileExistsError:
            continue
    raise RuntimeError(f"glflow bench: cannot make a new run folder under {root}")


def write_bytes(path, data):
    """Write `data` to `path` atomically (unique temp file in the same folder + os.replace)."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    return atomic.write_bytes(path, data)


def write_text(path, text):
    return write_bytes(path, text.encode("utf-8"))


def write_json(path, doc):
    return write_text(path, json.dumps(doc, indent=2, default=json_default) + "\n")


def json_default(value):
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"not JSON serialisable: {value!r}")


def read_json(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)
