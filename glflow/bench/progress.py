"""Progress of a long run, on stderr: a tqdm bar on a terminal when tqdm is installed, otherwise
one line per finished case (what a log file or a test reads)."""
import sys
import time

try:
    from tqdm import tqdm
except ImportError:  # optional: the `train` and `dev` extras install it
    tqdm = None


class Progress:
    def __init__(self, suite, total, stream=None):
        self.suite = suite
        self.total = total
        self.done = 0
        self.stream = stream or sys.stderr
        self.started = time.perf_counter()
        self.case_started = self.started
        self.bar = None
        if tqdm is not None and _is_terminal(self.stream):
            self.bar = tqdm(total=total, desc=suite, unit="case", file=self.stream,
                            leave=False)

    def start(self, name):
        self.case_started = time.perf_counter()
        if self.bar is not None:
            self.bar.set_postfix_str(name)

    def finish(self, name, headline):
        """One case is done; headline: its figure, or FAILED and the error."""
        self.done += 1
        took = time.perf_counter() - self.case_started
        line = f"[{self.suite} {self.done}/{self.total}] {name}: {headline} ({took:.1f} s)"
        if self.bar is not None:
            if headline.startswith("FAILED"):
                self.bar.write(line, file=self.stream)
            self.bar.update(1)
        else:
            print(line, file=self.stream, flush=True)

    def close(self):
        if self.bar is not None:
            self.bar.close()


def _is_terminal(stream):
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
