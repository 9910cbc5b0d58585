"""Run scripts/stress_gl.py many times with llvmpipe rasteriser threads and count crashes.

Each run is a fresh process with LP_NUM_THREADS=2 (llvmpipe fixes its thread count per
process). With --probe, each run also preloads scripts/fence_race_probe.c (compiled here with
cc into a temporary folder): it makes every rasteriser thread sleep between counting a fence
complete and unlocking it, and aborts the run if a fence is destroyed inside that window,
which is the race glflow/backends/gl/fences.py guards against. --no-guard turns the guard off
(the reproduction). Reports runs, failures, probe windows and hits, seconds, and the load
average, as text and optionally as JSON (--out). Usage:

    python scripts/stress_threads.py --runs 20 --seconds 60 [--probe] [--no-guard]
        [--parallel 2] [--out results.json]
"""
import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
PROBE_REPORT = re.compile(r"fence_race_probe: (\d+) widened windows, (\d+) hits")


def build_probe(folder):
    compiler = shutil.which("cc") or shutil.which("gcc")
    if compiler is None:
        raise SystemExit("--probe needs a C compiler (cc or gcc) on PATH")
    library = os.path.join(folder, "fence_race_probe.so")
    subprocess.run([compiler, "-O2", "-shared", "-fPIC", "-o", library,
                    os.path.join(HERE, "fence_race_probe.c"), "-ldl", "-lpthread"], check=True)
    return library


def one_run(seed, args, probe):
    env = dict(os.environ, LP_NUM_THREADS=str(args.threads),
               PYTHONPATH=os.pathsep.join(filter(None, [ROOT, os.environ.get("PYTHONPATH")])))
    if probe:
        env["LD_PRELOAD"] = probe
        env["FENCE_PROBE_DELAY_US"] = str(args.delay_us)
    command = [sys.executable, os.path.join(HERE, "stress_gl.py"), str(seed), str(args.seconds)]
    if args.no_guard:
        command.append("--no-guard")
    start = time.time()
    done = subprocess.run(command, env=env, capture_output=True, text=True,
                          timeout=args.seconds * 4 + 120)
    seconds = time.time() - start
    windows = hits = None
    match = PROBE_REPORT.search(done.stderr)
    if match:
        windows, hits = int(match.group(1)), int(match.group(2))
    if "fence_race_probe: HIT" in done.stderr:
        hits = max(hits or 0, 1)
    rounds = re.search(r"ok: (\d+) rounds", done.stdout)
    status = done.returncode
    return {"seed": seed, "exit": status,
            "signal": signal.Signals(-status).name if status < 0 else None,
            "ok": status == 0 and rounds is not None,
            "rounds": int(rounds.group(1)) if rounds else None,
            "seconds": round(seconds, 1), "probe_windows": windows, "probe_hits": hits,
            "load_1m_after": round(os.getloadavg()[0], 2),
            "stderr_tail": _why(done.stderr) if status else []}


def _why(stderr):
    """The probe's report of a hit, or the last lines of a failed run's stderr."""
    lines = stderr.strip().splitlines()
    return [line for line in lines if "fence_race_probe: HIT" in line][:1] or lines[-3:]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=60.0, help="per run")
    parser.add_argument("--parallel", type=int, default=1, help="runs at a time")
    parser.add_argument("--threads", type=int, default=2, help="LP_NUM_THREADS of each run")
    parser.add_argument("--probe", action="store_true")
    parser.add_argument("--delay-us", type=int, default=200, help="the probe's widened window")
    parser.add_argument("--no-guard", action="store_true")
    parser.add_argument("--first-seed", type=int, default=0)
    parser.add_argument("--out")
    args = parser.parse_args()
    load_before = [round(x, 2) for x in os.getloadavg()]
    started = time.time()
    with tempfile.TemporaryDirectory() as folder:
        probe = build_probe(folder) if args.probe else None
        seeds = range(args.first_seed, args.first_seed + args.runs)
        with ThreadPoolExecutor(args.parallel) as pool:
            runs = []
            for run in pool.map(lambda s: one_run(s, args, probe), seeds):
                runs.append(run)
                print(json.dumps({k: v for k, v in run.items() if k != "stderr_tail"}),
                      flush=True)
                for line in run["stderr_tail"]:
                    print("   ", line, flush=True)
    summary = {"runs": len(runs), "failed": sum(not r["ok"] for r in runs),
               "probe_hits": sum(r["probe_hits"] or 0 for r in runs) if probe else None,
               "probe_windows": sum(r["probe_windows"] or 0 for r in runs) if probe else None,
               "rounds": sum(r["rounds"] or 0 for r in runs),
               "run_seconds": round(sum(r["seconds"] for r in runs), 1),
               "wall_seconds": round(time.time() - started, 1),
               "load_1_5_15_before": load_before,
               "load_1_5_15_after": [round(x, 2) for x in os.getloadavg()],
               "settings": {"threads": args.threads, "seconds": args.seconds,
                            "parallel": args.parallel, "probe": bool(probe),
                            "delay_us": args.delay_us if probe else None,
                            "guard": not args.no_guard}}
    print(json.dumps(summary))
    if args.out:
        fd, tmp = tempfile.mkstemp(dir=os.path.dirname(os.path.abspath(args.out)) or ".")
        with os.fdopen(fd, "w") as f:
            json.dump({"summary": summary, "runs": runs}, f, indent=1)
        os.replace(tmp, args.out)
    return 1 if summary["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
