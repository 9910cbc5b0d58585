"""ProgbarLogger: progress on stdout, the way Keras prints it.

Each epoch ends with one line that holds every logged value in full (`val_loss` and
`val_accuracy` included), never cut to the terminal's width, printed once:

    Epoch 3/10
    25/25 - 0.4s - loss: 0.2115 - accuracy: 0.9370 - val_loss: 0.2290 - val_accuracy: 0.9306

verbose=1 on a terminal also shows a live bar during the epoch (tqdm when installed, a line
rewritten in place otherwise), cleared before that line. Not on a terminal (a pipe, a log
file) there is no live bar: carriage-return updates would each become a line there.
verbose=2: the epoch lines only; verbose=0 never creates a ProgbarLogger.
"""
import sys
import time

from .base import Callback

_UNSET = object()
_tqdm = _UNSET  # the tqdm module, None when not installed; imported on first use (~30 ms)
_CLEAR_LINE = "\r\033[K"


def _load_tqdm():
    global _tqdm
    if _tqdm is _UNSET:
        try:
            import tqdm
            _tqdm = tqdm
        except ImportError:  # tqdm is optional: fall back to plain text
            _tqdm = None
    return _tqdm


def format_logs(logs):
    return " - ".join(f"{k}: {v:.4f}" if isinstance(v, float) else f"{k}: {v}"
                      for k, v in logs.items())


def _is_terminal(stream):
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):  # no isatty, or a closed stream
        return False


class ProgbarLogger(Callback):
    def __init__(self, verbose=1, stream=None, use_tqdm=None):
        super().__init__()
        self.verbose = verbose
        self.stream = stream
        available = _load_tqdm() is not None
        self.use_tqdm = available if use_tqdm is None else bool(use_tqdm) and available
        self._bar = None
        self._live = False
        self._seen = 0
        self._start = None

    @property
    def _out(self):
        return self.stream or sys.stdout

    def on_epoch_begin(self, epoch, logs=None):
        epochs, steps = self.params.get("epochs"), self.params.get("steps")
        print(f"Epoch {epoch + 1}/{epochs}", file=self._out, flush=True)
        self._live = self.verbose == 1 and _is_terminal(self._out)
        if self._live and self.use_tqdm:
            self._bar = _load_tqdm().tqdm(total=steps, file=self._out, leave=False,
                                          dynamic_ncols=True)
        self._seen = 0
        self._start = time.perf_counter()

    def on_train_batch_end(self, batch, logs=None):
        self._seen = batch + 1
        if not self._live:
            return
        if self._bar is not None:
            self._bar.update(1)
            self._bar.set_postfix_str(format_logs(logs or {}), refresh=False)
        else:
            steps = self.params.get("steps") or "?"
            print(f"{_CLEAR_LINE}{self._seen}/{steps} - {format_logs(logs or {})}", end="",
                  file=self._out, flush=True)

    def on_epoch_end(self, epoch, logs=None):
        self._close_bar()
        if self._live:
            print(_CLEAR_LINE, end="", file=self._out)
        steps = self.params.get("steps") or self._seen
        elapsed = time.perf_counter() - (self._start or time.perf_counter())
        print(f"{self._seen}/{steps} - {elapsed:.1f}s - {format_logs(logs or {})}",
              file=self._out, flush=True)

    def on_train_end(self, logs=None):
        self._close_bar()

    def _close_bar(self):
        if self._bar is not None:
            self._bar.close()
            self._bar = None
