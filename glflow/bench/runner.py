"""Running one suite: its cases one at a time, progress on stderr, and a file written whatever
happens (a failed case is a row with its error; Ctrl-C writes what was measured so far).

A suite is a module of glflow.bench with `DESCRIPTION` (one line) and either
- `cases(size)` -> [Case(name, measure), ...], each `measure()` returning its row (a dict),
  and optionally `summarize(rows, size)` -> dict, `settings(size)` -> dict and
  `report(doc)` -> str (the text printed after the run); or
- `run(quick=False)` -> {"rows": [...], "summary": {...}, "settings": {...}}, all at the end
  (the older suites: Ctrl-C during one of them writes it with no rows).
`size` is "full", "quick" (the same cases, fewer calls) or "tiny" (small shapes, for tests).
"""
import os
import signal
import sys
import time
import traceback
from typing import Callable, NamedTuple

from glflow.runtime import debug

from . import harness, output
from .progress import Progress

SIZES = ("full", "quick", "tiny")


class Case(NamedTuple):
    name: str
    measure: Callable[[], dict]


class Interrupted(Exception):
    """Ctrl-C during a suite; `path` holds what it had measured."""

    def __init__(self, path):
        super().__init__(path)
        self.path = path


def is_case_suite(module):
    return callable(getattr(module, "cases", None))


def select(cases, only):
    """The cases whose name contains one of the `only` substrings (all when only is empty)."""
    if not only:
        return list(cases)
    return [c for c in cases if any(part in c.name for part in only)]


def error_text(exc):
    return f"{type(exc).__name__}: {exc}".strip()


def measure_case(case):
    """The case's row, with its name first; an exception becomes the row's `error`."""
    try:
        row = case.measure()
    except Exception as exc:  # a failed case is a result, not the end of the run
        if debug.level >= 1:  # GLFLOW_DEBUG=1: where it failed
            traceback.print_exc()
        return {"case": case.name, "error": error_text(exc)}
    return {"case": case.name, **row}


def headline(row):
    """A short figure for the progress line."""
    if "error" in row:
        return f"FAILED {row['error'].splitlines()[0]}"
    for key, unit in (("us_per_op", "us/op"), ("GFLOPs", "GFLOP/s"), ("median_ms", "ms"),
                      ("chained_per_op_ms", "ms per chained op"), ("GBps", "GB/s"),
                      ("ms", "ms")):
        if isinstance(row.get(key), (int, float)):
            return f"{harness.fmt(float(row[key]))} {unit}"
    figures = [f"{k} {harness.fmt(v)}" for k, v in row.items()
               if k.endswith("_ms") and isinstance(v, (int, float))]
    return ", ".join(figures[:3]) or "done"


def run_suite(name, module, size, out_dir, only=None, stream=None):
    """Run one suite, print its report, write <out_dir>/<name>.json; returns (path, doc).
    Raises Interrupted (after writing the partial file) on Ctrl-C."""
    stream = stream or sys.stdout
    print(f"== {name}: {getattr(module, 'DESCRIPTION', '')}", file=stream, flush=True)
    start = time.perf_counter()
    settings = {"size": size, "quick": size != "full"}
    rows, summary, interrupted = [], {}, False
    try:
        if is_case_suite(module):
            if callable(getattr(module, "settings", None)):
                settings.update(module.settings(size))
            cases = select(module.cases(size), only)
            settings["only"] = list(only or [])
            progress = Progress(name, len(cases))
            try:
                for case in cases:
                    progress.start(case.name)
                    row = measure_case(case)
                    rows.append(row)
                    progress.finish(case.name, headline(row))
            finally:
                progress.close()
        else:
            result = module.run(quick=size != "full")
            rows = result.get("rows", [])
            summary = result.get("summary", {})
            settings.update(result.get("settings", {}))
    except KeyboardInterrupt:
        interrupted = True
    if is_case_suite(module) and hasattr(module, "summarize"):
        summary = _summary(module, rows, size)
    summary["failed_cases"] = [r.get("case") for r in rows if "error" in r]
    elapsed = time.perf_counter() - start
    with _sigint_ignored():  # a second Ctrl-C must not cut the partial file short
        doc = harness.results_doc(name, rows, summary, settings, interrupted, elapsed)
        path = output.write_json(os.path.join(out_dir, f"{name}.json"), doc)
    if interrupted:
        raise Interrupted(path)
    _print_report(module, doc, stream)
    print(f"  ({elapsed:.1f} s, wrote {path})", file=stream, flush=True)
    return path, doc


def _summary(module, rows, size):
    try:
        return dict(module.summarize(rows, size))
    except Exception as exc:  # a partial run may lack what the summary needs
        return {"summary_error": error_text(exc)}


def _print_report(module, doc, stream):
    report = getattr(module, "report", None)
    if report is not None:  # a suite's own report names its failed cases
        print(report(doc), file=stream)
    else:
        harness.print_rows(doc["rows"], file=stream)
        for row in doc["rows"]:
            if "error" in row:
                print(f"  FAILED {row['case']}: {row['error']}", file=stream)
    for key, value in doc["summary"].items():
        if key != "failed_cases":
            print(f"  {key}: {harness.fmt(value)}", file=stream)
    stream.flush()


class _sigint_ignored:
    def __enter__(self):
        try:
            self.previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
        except ValueError:  # not the main thread: signals cannot be changed here
            self.previous = None

    def __exit__(self, *exc):
        if self.previous is not None:
            signal.signal(signal.SIGINT, self.previous)
