"""ProgbarLogger: progress on stdout. verbose=1: a bar per epoch (tqdm when installed, plain
text lines otherwise); verbose=2: one line per epoch; verbose=0 never creates one."""
import sys

from .base import Callback

_UNSET = object()
_tqdm = _UNSET  # the tqdm module, None when not installed; imported on first use (~30 ms)


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


class ProgbarLogger(Callback):
    def __init__(self, verbose=1, stream=None, use_tqdm=None):
        super().__init__()
        self.verbose = verbose
        self.stream = stream
        available = _load_tqdm() is not None
        self.use_tqdm = available if use_tqdm is None else bool(use_tqdm) and available
        self._bar = None

    @property
    def _out(self):
        return self.stream or sys.stdout

    def on_epoch_begin(self, epoch, logs=None):
        epochs, steps = self.params.get("epochs"), self.params.get("steps")
        if self.verbose == 1 and self.use_tqdm:
            self._bar = _load_tqdm().tqdm(total=steps, desc=f"Epoch {epoch + 1}/{epochs}",
                                   file=self._out, leave=True, dynamic_ncols=True)
        else:
            print(f"Epoch {epoch + 1}/{epochs}", file=self._out)
        self._seen = 0

    def on_train_batch_end(self, batch, logs=None):
        self._seen = batch + 1
        if self.verbose != 1:
            return
        if self._bar is not None:
            self._bar.update(1)
            self._bar.set_postfix_str(format_logs(logs or {}), refresh=False)
        else:
            steps = self.params.get("steps") or "?"
            print(f"\r{self._seen}/{steps} - {format_logs(logs or {})}", end="", file=self._out)

    def on_epoch_end(self, epoch, logs=None):
        text = format_logs(logs or {})
        if self._bar is not None:
            self._bar.set_postfix_str(text)
            self._bar.close()
            self._bar = None
        elif self.verbose == 1:
            print(f"\r{self._seen}/{self.params.get('steps') or self._seen} - {text}",
                  file=self._out)
        else:
            print(f"{self._seen}/{self._seen} - {text}", file=self._out)

    def on_train_end(self, logs=None):
        if self._bar is not None:
            self._bar.close()
            self._bar = None
