"""InputError: inputs that could not be read (a corrupt image, a sample of the wrong shape),
each named by its index with its error, so none is dropped silently."""
from dataclasses import dataclass


@dataclass(frozen=True)
class Failure:
    """One input that could not be used: its index in the input order (for a dask bag, its
    position in its partition), what it was (a path, or a description) and the error."""
    index: int
    source: str
    error: str
    partition: int = None

    def describe(self):
        where = (f"input {self.index}" if self.partition is None
                 else f"item {self.index} of partition {self.partition}")
        return f"{where} ({self.source}): {self.error}"


class InputError(ValueError):
    """Raised when inputs of a batch could not be read; `failures` lists each of them."""

    def __init__(self, where, failures):
        self.where = where
        self.failures = tuple(failures)
        shown = "; ".join(f.describe() for f in self.failures[:5])
        more = f"; and {len(self.failures) - 5} more" if len(self.failures) > 5 else ""
        super().__init__(f"{where}: {len(self.failures)} input(s) could not be read: "
                         f"{shown}{more}")

    def __reduce__(self):  # crosses process boundaries (dask workers) with its failures
        return (InputError, (self.where, self.failures))
