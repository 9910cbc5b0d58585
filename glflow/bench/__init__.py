"""glflow benchmarks: `glflow bench [--suite NAME[,NAME...]] [--quick] [--out DIR]`.

A suite is a module of this package with
    DESCRIPTION = "one line"
    def run(quick=False) -> {"rows": [dict, ...], "summary": dict, "settings": dict}
built on the helpers in `harness` (measure, measure_interleaved, write_results). Adding a suite
means adding a module; `--suite NAME` finds it by its module name. Results go to
<out>/<suite>.json with the machine they were measured on.
"""
import argparse
import importlib
import pkgutil
import sys
import time

DEFAULT_SUITES = ("dispatch", "elementwise", "matmul", "training", "conv", "optimizer")
DEFAULT_OUT = "benchmarks/results"


def load_suite(name):
    """The suite module glflow.bench.<name>; ValueError naming the problem otherwise."""
    if not name.isidentifier() or name in ("harness",):
        raise ValueError(f"glflow bench: {name!r} is not a suite name")
    try:
        module = importlib.import_module(f"{__name__}.{name}")
    except ModuleNotFoundError as exc:
        if exc.name != f"{__name__}.{name}":
            raise
        raise ValueError(f"glflow bench: no suite named {name!r}; the suites are "
                         f"{', '.join(available_suites())}") from None
    if not callable(getattr(module, "run", None)):
        raise ValueError(f"glflow bench: glflow.bench.{name} has no run(quick) function")
    return module


def available_suites():
    """The suite names: modules of this package with a run function, sorted."""
    names = []
    for info in pkgutil.iter_modules(__path__):
        if info.name != "harness" and not info.name.startswith("_"):
            module = importlib.import_module(f"{__name__}.{info.name}")
            if callable(getattr(module, "run", None)):
                names.append(info.name)
    return sorted(names)


def run_suite(name, quick=False, out_dir=DEFAULT_OUT, stream=None):
    """Run one suite, print its table and summary, write <out_dir>/<name>.json; returns path."""
    from . import harness
    stream = stream or sys.stdout
    module = load_suite(name)
    print(f"== {name}: {getattr(module, 'DESCRIPTION', '')}", file=stream, flush=True)
    start = time.perf_counter()
    result = module.run(quick=quick)
    rows, summary = result.get("rows", []), result.get("summary", {})
    settings = dict(result.get("settings", {}), quick=quick)
    harness.print_table(rows, file=stream)
    for key, value in summary.items():
        print(f"  {key}: {harness.fmt(value)}", file=stream)
    path = harness.write_results(name, rows, out_dir, summary, settings)
    print(f"  ({time.perf_counter() - start:.1f} s, wrote {path})", file=stream, flush=True)
    return path


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="glflow bench", description="glflow benchmarks: medians after warm-up, "
        "gf.finish() before the clock stops, ratios measured in one run.")
    parser.add_argument("--suite", default=",".join(DEFAULT_SUITES),
                        help="comma-separated suites (modules of glflow.bench); "
                        f"default {','.join(DEFAULT_SUITES)}")
    parser.add_argument("--quick", action="store_true",
                        help="fewer sizes and repeats (seconds, for a smoke test)")
    parser.add_argument("--out", default=DEFAULT_OUT,
                        help=f"folder for <suite>.json results (default {DEFAULT_OUT})")
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["--"]:  # `glflow bench -- --suite ...` hands the separator through
        argv = argv[1:]
    args = parser.parse_args(argv)
    names = [s.strip() for s in args.suite.split(",") if s.strip()]
    try:
        for name in names:  # a typo fails now, not after minutes of measuring
            load_suite(name)
    except ValueError as exc:
        print(exc, file=sys.stderr)
        return 2
    import glflow as gf
    info = gf.backend_info()
    print(f"glflow {gf.__version__} on {info.get('backend')}: {info.get('renderer', 'numpy')}",
          flush=True)
    for name in names:
        run_suite(name, quick=args.quick, out_dir=args.out)
    return 0


__all__ = ["main", "run_suite", "load_suite", "DEFAULT_SUITES"]
