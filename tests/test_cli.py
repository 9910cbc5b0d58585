"""The `glflow` command line, run as a user runs it: `python -m glflow ...` in a subprocess."""
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def glflow(*args, timeout=300):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT),
                                                                    os.environ.get("PYTHONPATH")])))
    return subprocess.run([sys.executable, "-m", "glflow", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout, check=False)


def test_help_lists_every_command():
    done = glflow("--help")
    assert done.returncode == 0, done.stderr
    for command in ("info", "demo", "bench", "run"):
        assert command in done.stdout


def test_bench_help_shows_the_harness_options():
    done = glflow("bench", "--help")
    assert done.returncode == 0, done.stderr
    for option in ("--suite", "--quick", "--out"):
        assert option in done.stdout


def test_bench_options_reach_the_harness(tmp_path):
    # `glflow bench --suite X` used to die in argparse ("unrecognized arguments: --suite").
    done = glflow("bench", "--suite", "dispatch", "--quick", "--out", str(tmp_path))
    assert done.returncode == 0, done.stdout + done.stderr
    result = json.loads((tmp_path / "dispatch.json").read_text())
    assert result["suite"] == "dispatch"
    assert result["settings"]["quick"] is True
    assert all(row["correct"] for row in result["rows"])


def test_bench_unknown_suite_is_a_clear_error(tmp_path):
    done = glflow("bench", "--suite", "no_such_suite", "--out", str(tmp_path))
    assert done.returncode == 2
    assert "no suite named 'no_such_suite'" in done.stderr
    for suite in ("dispatch", "matmul", "softmax", "training"):  # the names to pick from
        assert suite in done.stderr, done.stderr
    assert not list(tmp_path.iterdir())


def test_run_missing_script_is_a_clear_error(tmp_path):
    missing = tmp_path / "missing.py"
    done = glflow("run", str(missing))
    assert done.returncode == 2
    assert done.stderr.startswith(f"glflow run: no such script {str(missing)!r}")
    assert "Traceback" not in done.stderr


def test_run_passes_the_script_its_own_arguments(tmp_path):
    script = tmp_path / "show_argv.py"
    script.write_text("import sys\nprint('argv:', sys.argv[1:])\n")
    done = glflow("run", str(script), "--help", "-x")
    assert done.returncode == 0, done.stderr
    assert "argv: ['--help', '-x']" in done.stdout
