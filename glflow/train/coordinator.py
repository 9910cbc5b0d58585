"""Coordinator: stop a group of threads together (TensorFlow's tf.train.Coordinator).

    coord = gf.train.Coordinator()
    threads = gf.train.start_queue_runners(sess, coord)
    try:
        while not coord.should_stop():
            sess.run(train)
    except gf.errors.OutOfRangeError:
        pass
    finally:
        coord.request_stop()
    coord.join(threads)

A thread that fails reports its exception with `request_stop(exc)`; `join` re-raises the first
one reported (after the threads end or the grace period runs out, when it names the threads
still running)."""
import contextlib
import sys
import threading
import time

from .. import errors


class Coordinator:
    def __init__(self, clean_stop_exception_types=None):
        self._clean = tuple(clean_stop_exception_types or (errors.OutOfRangeError,))
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._exc_info = None
        self._joined = False
        self._registered = set()

    def request_stop(self, ex=None):
        """Ask every thread to stop; an exception (or exc_info) is kept for join to raise,
        unless it is a clean stop (OutOfRangeError by default)."""
        with self._lock:
            if ex is not None and self._exc_info is None and not self._stop.is_set():
                info = ex if isinstance(ex, tuple) else (type(ex), ex, ex.__traceback__)
                if not issubclass(info[0], self._clean):
                    self._exc_info = info
            self._stop.set()

    def clear_stop(self):
        with self._lock:
            self._stop.clear()
            self._exc_info = None
            self._joined = False

    def should_stop(self):
        return self._stop.is_set()

    def wait_for_stop(self, timeout=None):
        """Whether a stop was requested within timeout seconds (None: wait for it)."""
        return self._stop.wait(timeout)

    @contextlib.contextmanager
    def stop_on_exception(self):
        """Report an exception of the block with request_stop instead of raising it."""
        try:
            yield
        except BaseException:  # noqa: B902 - every exception is reported, as TF does
            self.request_stop(sys.exc_info())

    def register_thread(self, thread):
        with self._lock:
            self._registered.add(thread)

    def join(self, threads=None, stop_grace_period_secs=120, ignore_live_threads=False):
        """Wait for the threads (and the registered ones) after a stop was requested; raise
        the reported exception, or RuntimeError naming threads still alive after the grace
        period."""
        with self._lock:
            threads = set(threads or ()) | set(self._registered)
        while any(t.is_alive() for t in threads) and not self.wait_for_stop(0.05):
            pass
        deadline = time.monotonic() + stop_grace_period_secs
        for t in threads:
            t.join(max(deadline - time.monotonic(), 0))
        stragglers = [t.name for t in threads if t.is_alive()]
        with self._lock:
            self._joined = True
            self._registered.clear()
            info = self._exc_info
        if info is not None:
            raise info[1].with_traceback(info[2])
        if stragglers and not ignore_live_threads:
            raise RuntimeError(f"Coordinator stopped with threads still running: "
                               f"{', '.join(stragglers)}")

    @property
    def joined(self):
        return self._joined

    def raise_requested_exception(self):
        with self._lock:
            info = self._exc_info
        if info is not None:
            raise info[1].with_traceback(info[2])


class LooperThread(threading.Thread):
    """A thread calling target(*args) until the coordinator stops."""

    def __init__(self, coord, timer_interval_secs, target=None, args=None, kwargs=None):
        super().__init__(daemon=True)
        self._coord = coord
        self._interval = timer_interval_secs
        self._target_fn = target
        self._args = args or ()
        self._kwargs = kwargs or {}
        coord.register_thread(self)

    def run(self):
        with self._coord.stop_on_exception():
            while not self._coord.should_stop():
                self._target_fn(*self._args, **self._kwargs)
                if self._interval and self._coord.wait_for_stop(self._interval):
                    break


__all__ = ["Coordinator", "LooperThread"]
