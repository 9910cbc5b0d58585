"""Write a file so that readers see the old contents or the new, never half of either.

Every file glflow writes (models, weights, checkpoints, CSV logs, plots, benchmark results)
goes through `atomic_write`: the data goes to a fresh temporary file in the target's folder
(`tempfile.mkstemp`: a unique name opened with O_EXCL, so concurrent writers never share one
and an existing file or symlink of that name is never followed), is flushed to disk, and then
replaces the target in one `os.replace`. A fixed `<path>.tmp` made concurrent saves to one path
fail and followed a symlink planted at that name.
"""
import contextlib
import os
import stat
import tempfile


@contextlib.contextmanager
def atomic_write(path, mode="wb", **open_kwargs):
    """`with atomic_write(path, "w") as f: f.write(...)`: the target appears (or is replaced)
    only when the block ends without an error; on an error it is left as it was."""
    if "w" not in mode or any(c in mode for c in "ax+"):
        raise ValueError(f"atomic_write: mode must be a plain write mode ('w', 'wb'), got "
                         f"{mode!r}")
    path = os.fspath(path)
    folder, name = os.path.split(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, mode, **open_kwargs) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, _mode_for(path))
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def write_bytes(path, data):
    """Write `data` to `path` atomically; returns path as a string."""
    with atomic_write(path) as f:
        f.write(data)
    return os.fspath(path)


def write_all(files):
    """Several (path, bytes) as one change: every file first to a unique temporary file in its
    folder, then each renamed into place in the order given (put the file readers open first,
    a TF.js model.json, last). A failed write leaves the previous files and no temporary file."""
    written = []
    try:
        for path, data in files:
            folder, name = os.path.split(os.path.abspath(os.fspath(path)))
            fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{name}.", suffix=".tmp")
            written.append(tmp)
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.chmod(tmp, _mode_for(path))
        for tmp, (path, _) in zip(written, files):
            os.replace(tmp, path)
    except BaseException:
        for tmp in written:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
        raise


def _mode_for(path):
    """The permissions the file would get from open(): the old file's if it exists, else
    0o666 less the umask (mkstemp makes its file 0o600)."""
    try:
        return stat.S_IMODE(os.stat(path).st_mode)
    except OSError:
        return 0o666 & ~_umask()


def _umask():
    """The process umask without changing it (os.umask sets it while reading it: a race with
    files other threads create meanwhile). Linux reports it in /proc; elsewhere assume 022."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    return 0o022
