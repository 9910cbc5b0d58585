"""Runs a script of examples/ as a user runs it: `python -m glflow run examples/X.py ...` in a
subprocess from the repository root (shared by test_examples.py and test_examples_render.py)."""
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run_example(name, args, timeout=120):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT),
                                                                    os.environ.get("PYTHONPATH")])))
    return subprocess.run([sys.executable, "-m", "glflow", "run", str(ROOT / "examples" / name),
                           *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=timeout, check=False)
