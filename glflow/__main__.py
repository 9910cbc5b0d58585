"""The glflow command line: `glflow info | demo | bench | run SCRIPT | run MODEL`."""
import argparse
import json
import os
import runpy
import sys

import glflow as gf

from . import bench, demo, run_model


def cmd_info(args):
    if args.devices:
        return show_devices(args.json)
    info = gf.backend_info()
    if args.json:
        print(json.dumps(info, indent=2))
        return 0
    print(f"glflow {gf.__version__}")
    for key in ("backend", "renderer", "vendor", "version", "glsl", "max_texture_size",
                "max_render_targets", "max_texture_units", "float16_render", "max_elements",
                "llvmpipe_threads", "host_forward_below", "device", "fallback_reason"):
        if key in info:
            print(f"  {key:20s} {info[key]}")
    return 0


def show_devices(as_json):
    """The EGL devices, without making a GL context (so none is made before glflow's)."""
    listed = gf.list_devices()
    if as_json:
        print(json.dumps([{"index": d.index, "software": d.software, "drm_node": d.drm_node,
                           "vendor": d.vendor, "renderer": d.renderer} for d in listed],
                         indent=2))
        return 0
    if not listed:
        print("no EGL devices found (no libEGL, or it cannot enumerate devices)")
        return 1
    print("EGL devices (GLFLOW_DEVICE=N or gf.set_device(N) picks one; default 0):")
    for device in listed:
        print(f"  {device.describe()}")
    return 0


def cmd_demo(args):
    return demo.run(quick=args.quick)


def run_bench(argv):
    """`glflow bench ...` goes to the harness's own parser untouched: an argparse REMAINDER
    positional refuses options that start with `--` (`glflow bench --suite softmax` failed)."""
    return bench.main(argv)


def cmd_run(args):
    if run_model.is_model_file(args.script):
        return run_model.main(args.script, args.rest)
    if not os.path.isfile(args.script):
        print(f"glflow run: no such script {args.script!r} (or a model file: "
              f"{', '.join(run_model.MODEL_SUFFIXES)})", file=sys.stderr)
        return 2
    sys.argv = [args.script] + args.rest
    runpy.run_path(args.script, run_name="__main__")
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(prog="glflow", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("info", help="backend, GL renderer and version, texture and MRT limits")
    p.add_argument("--json", action="store_true", help="print as JSON")
    p.add_argument("--devices", action="store_true",
                   help="list the EGL devices (GPUs, software rasterisers) glflow can run on")
    p.set_defaults(fn=cmd_info)
    p = sub.add_parser("demo", help="tensors, kernels checked against numpy, and a training run")
    p.add_argument("--quick", action="store_true", help="smaller sizes, a few seconds")
    p.set_defaults(fn=cmd_demo)
    # Listed for `glflow --help`; the arguments are parsed by glflow.bench (see run_bench).
    sub.add_parser("bench", help="benchmarks: GL vs numpy, glflow vs raw moderngl and vs "
                   "TF.js (--peer), plots (--plot), run comparisons (--compare); "
                   "`glflow bench --help` for options")
    p = sub.add_parser("run", help="run a Python script (e.g. an example) with glflow, or a "
                       "model file over inputs: `glflow run MODEL --help`")
    p.add_argument("script", help="a Python script, or a model file (.glflow, .keras, .h5, "
                   ".onnx, model.json)")
    p.add_argument("rest", nargs=argparse.REMAINDER)
    p.set_defaults(fn=cmd_run)
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["bench"]:
        return run_bench(argv[1:])
    args = parser.parse_args(argv)
    return args.fn(args)


if __name__ == "__main__":
    sys.exit(main())
