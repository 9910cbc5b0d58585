"""glflow benchmarks: `glflow bench [--suite NAME[,NAME...]] [--quick | --tiny] [--out DIR]`.

    glflow bench --suite peers --peer tfjs/results/browser_webgl-mesa.json
    glflow bench --suite scaling --plot scaling.png
    glflow bench --compare OLD.json NEW.json       (or two run folders)
    glflow bench --list

A suite is a module of this package (runner.py says what it provides); `--suite NAME` finds
it by its module name. Results go to <out>/<suite>.json, with the machine they were measured
on; <out> is --out, or a new per-user folder (output.py), never the current directory.
"""
import argparse
import importlib
import importlib.util
import os
import pkgutil
import sys

import glflow as gf

from . import compare, output, peer_table, peers, plot
from .runner import SIZES, Interrupted, is_case_suite, run_suite, select

DEFAULT_SUITES = ("dispatch", "elementwise", "matmul", "training", "conv", "optimizer")
EXIT_INTERRUPTED = 130   # what a shell reports for a program ended by SIGINT


class UsageError(ValueError):
    """A problem with the command line, reported before anything is measured (exit 2)."""


def load_suite(name):
    """The suite module glflow.bench.<name>; UsageError listing the suites otherwise."""
    module = None
    if name.isidentifier():
        try:
            module = importlib.import_module(f"{__name__}.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"{__name__}.{name}":
                raise
    if module is None or not _is_suite(module):
        raise UsageError(f"glflow bench: no suite named {name!r}. Suites:\n" + suite_list())
    return module


def _is_suite(module):
    return isinstance(getattr(module, "DESCRIPTION", None), str) and (
        callable(getattr(module, "cases", None)) or callable(getattr(module, "run", None)))


def suites():
    """{name: module} of every suite in this package."""
    found = {}
    for info in pkgutil.iter_modules(__path__):
        module = importlib.import_module(f"{__name__}.{info.name}")
        if _is_suite(module):
            found[info.name] = module
    return found


def suite_list():
    return "\n".join(f"  {name:12s} {module.DESCRIPTION}"
                     + (" (default)" if name in DEFAULT_SUITES else "")
                     for name, module in sorted(suites().items()))


def parser():
    p = argparse.ArgumentParser(
        prog="glflow bench", description="glflow benchmarks: medians after warm-up, every "
        "timed call synchronised, ratios measured in one run. benchmarks/README.md says how "
        "each number is taken.")
    p.add_argument("--suite", help="comma-separated suites (--list shows them); default "
                   f"{','.join(DEFAULT_SUITES)}, or peers with --peer, scaling with --plot")
    size = p.add_mutually_exclusive_group()
    size.add_argument("--quick", action="store_true",
                      help="the same cases with fewer calls or sizes (a smoke run)")
    size.add_argument("--tiny", action="store_true",
                      help="tiny shapes, one timed call: checks the harness in seconds "
                      "(figures mean nothing; suites measured as a whole run as --quick)")
    p.add_argument("--out", help="folder for <suite>.json (default: a new folder under "
                   f"{output.default_root()})")
    p.add_argument("--only", help="comma-separated parts of case names: run only the cases "
                   "whose name contains one (suites made of cases)")
    p.add_argument("--peer", action="append", default=[], metavar="TFJS.json",
                   help="TF.js peer harness results: print the peers table with a column and "
                   "ratios for each (repeat for several)")
    p.add_argument("--plot", metavar="OUT.png",
                   help="time vs size per op family, GL and numpy (from the scaling suite)")
    p.add_argument("--from", dest="source", metavar="RESULTS",
                   help="a results file or run folder: make the --peer table or --plot from "
                   "it instead of measuring")
    p.add_argument("--compare", nargs=2, metavar=("A", "B"),
                   help="print the change from run A to run B (two files or two folders)")
    p.add_argument("--list", action="store_true", help="list the suites")
    return p


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["--"]:  # `glflow bench -- --suite ...` hands the separator through
        argv = argv[1:]
    args = parser().parse_args(argv)
    try:
        return _main(args)
    except UsageError as exc:
        print(exc, file=sys.stderr)
        return 2


def _main(args):
    if args.list:
        print(suite_list())
        return 0
    if args.compare:
        try:
            print(compare.compare_paths(*args.compare))
        except ValueError as exc:
            raise UsageError(f"glflow bench {exc}") from None
        return 0
    size = "tiny" if args.tiny else "quick" if args.quick else "full"
    assert size in SIZES
    peer_files = _checked_peer_files(args.peer)
    if args.plot:
        _check_plot_path(args.plot)
    if args.source:
        return _from_results(args, peer_files)
    names = _suite_names(args)
    modules = {name: load_suite(name) for name in names}  # a typo fails before measuring
    if peer_files and "peers" not in names:
        raise UsageError("glflow bench: --peer needs the peers suite in the run (or --from)")
    if args.plot and "scaling" not in names:
        raise UsageError("glflow bench: --plot draws the scaling suite's results: add "
                         "--suite scaling, or give --from RESULTS")
    only = [part.strip() for part in (args.only or "").split(",") if part.strip()]
    for name, module in modules.items():
        _check_only(name, module, size, only)
    out_dir = args.out or output.new_run_dir()
    os.makedirs(out_dir, exist_ok=True)
    print(f"glflow bench: results go to {os.path.abspath(out_dir)}", flush=True)
    info = gf.backend_info()
    print(f"glflow {gf.__version__} on {info.get('backend')}: {info.get('renderer', 'numpy')}",
          flush=True)
    docs = {}
    for name in names:
        try:
            _, docs[name] = run_suite(name, modules[name], size, out_dir, only)
        except Interrupted as stop:
            print(f"glflow bench: interrupted; what was measured is in {stop.path}",
                  file=sys.stderr, flush=True)
            return EXIT_INTERRUPTED
    if peer_files:
        table = peers.report(docs["peers"], peer_files)
        path = output.write_text(os.path.join(out_dir, "peers_table.md"), table + "\n")
        print(f"\n{table}\n\n(wrote {path})")
    if args.plot:
        _plot(docs["scaling"], args.plot)
    return 0


def _suite_names(args):
    if args.suite:
        names = [s.strip() for s in args.suite.split(",") if s.strip()]
        if not names:
            raise UsageError("glflow bench: --suite names no suite. Suites:\n" + suite_list())
        return names
    if args.peer or args.plot:
        return (["peers"] if args.peer else []) + (["scaling"] if args.plot else [])
    return list(DEFAULT_SUITES)


def _check_only(name, module, size, only):
    if not only:
        return
    if not is_case_suite(module):
        raise UsageError(f"glflow bench: --only picks cases of the suites made of named "
                         f"cases; {name} is measured as a whole")
    if not select(module.cases(size), only):
        names = ", ".join(case.name for case in module.cases(size))
        raise UsageError(f"glflow bench: --only {','.join(only)} matches no case of {name} "
                         f"(its cases: {names})")


def _checked_peer_files(paths):
    for path in paths:
        try:
            peer_table.load_peer(path)
        except (OSError, ValueError) as exc:
            raise UsageError(f"glflow bench: --peer {path}: {exc}") from None
    return paths


def _check_plot_path(path):
    if not path.lower().endswith(".png"):
        raise UsageError(f"glflow bench: --plot {path}: the plot is a PNG; name it *.png")
    if importlib.util.find_spec("matplotlib") is None:  # optional: extras train and dev
        raise UsageError("glflow bench: --plot needs matplotlib (pip install 'glflow[train]')")


def _from_results(args, peer_files):
    """--from: the --peer table and/or --plot from results measured earlier."""
    if not peer_files and not args.plot:
        raise UsageError("glflow bench: --from RESULTS goes with --peer or --plot")
    if peer_files:
        print(peers.report(_load(args.source, "peers"), peer_files))
    if args.plot:
        _plot(_load(args.source, "scaling"), args.plot)
    return 0


def _load(source, suite):
    path = os.path.join(source, f"{suite}.json") if os.path.isdir(source) else source
    try:
        doc = output.read_json(path)
    except (OSError, ValueError) as exc:
        raise UsageError(f"glflow bench: --from {path}: {exc}") from None
    if not isinstance(doc, dict) or doc.get("suite") != suite:
        raise UsageError(f"glflow bench: --from {path}: not results of the {suite} suite")
    return doc


def _plot(doc, path):
    plot.plot_scaling(doc, path)
    print(f"glflow bench: wrote {os.path.abspath(path)}")


__all__ = ["main", "run_suite", "load_suite", "suites", "DEFAULT_SUITES"]
