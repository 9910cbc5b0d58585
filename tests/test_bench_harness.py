"""The benchmark harness (`glflow bench`): tiny suites end to end on both backends, the JSON
they write, the plot, --compare, the peer table, Ctrl-C, and where results go.

Runs are `--tiny` (small shapes, one timed call): these tests check what the harness writes
and prints, never how fast anything ran.
"""
import datetime
import io
import json
import os
import queue
import signal
import subprocess
import sys
import threading
from pathlib import Path
from types import SimpleNamespace

import pytest
from PIL import Image

from glflow.bench import compare, output, peer_table, peers, runner
from glflow.bench.tfjs_rule import Rule, rand_array, timeit

ROOT = Path(__file__).resolve().parents[1]
PEERS_TINY = ["overhead_add4_x20", "add_4096", "matmul_16", "matmul_32", "conv2d_8x8x4_3x3x4",
              "mlp_784_256_256_10_b4", "cnn_mnist_b2"]
TIMING = ("median_ms", "min_ms", "max_ms", "reps", "cold_ms", "all_ms")


def bench_env(**extra):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    env.update(extra)
    return env


def bench(*args, cwd=ROOT, timeout=600, **env):
    return subprocess.run([sys.executable, "-m", "glflow", "bench", *args], cwd=cwd,
                          env=bench_env(**env), capture_output=True, text=True,
                          timeout=timeout, check=False)


def check_timing(result):
    """The fields of the peer harness's timing rule, consistent with each other."""
    assert set(TIMING) <= set(result), result
    assert result["reps"] == len(result["all_ms"]) >= 1
    assert result["min_ms"] <= result["median_ms"] <= result["max_ms"]
    assert result["cold_ms"] > 0


def check_doc(doc, suite, backend, size="tiny"):
    assert doc["suite"] == suite and doc["statistic"] == "median"
    assert doc["interrupted"] is False
    assert doc["machine"]["backend"] == backend
    assert doc["machine"]["glflow"]
    assert doc["settings"]["size"] == size
    assert isinstance(doc["rows"], list) and doc["rows"]
    assert doc["summary"]["failed_cases"] == [r["case"] for r in doc["rows"] if "error" in r]


def fake_tfjs(path, results, **extra):
    path.write_text(json.dumps({"ok": True, "backend": "webgl", "tfjs_version": "4.22.0",
                                "results": results, **extra}))
    return path


# ------------------------------------------------------------------ suites end to end

@pytest.mark.parametrize("backend", ["gl", "cpu"])
def test_peers_suite_runs_the_peer_cases_and_prints_the_side_by_side_table(tmp_path, backend):
    peer = fake_tfjs(tmp_path / "browser_webgl-test.json",
                     {"matmul_32": {"median_ms": 2.0, "GFLOPs": 0.5},
                      "add_4096": {"with_readback": {"median_ms": 3.0}}},
                     extra_env={"LP_NUM_THREADS": "0"})
    done = bench("--suite", "peers", "--tiny", "--out", str(tmp_path / "out"), "--peer",
                 str(peer), GLFLOW_BACKEND=backend)
    assert done.returncode == 0, done.stdout + done.stderr
    doc = json.loads((tmp_path / "out" / "peers.json").read_text())
    check_doc(doc, "peers", backend)
    rows = {r["case"]: r for r in doc["rows"]}
    assert list(rows) == PEERS_TINY  # the TF.js harness's names for these shapes
    for name, row in rows.items():
        if "error" in row:  # a case glflow cannot run yet is reported, not fatal
            assert row["error"] and set(row) == {"case", "error"}
        elif name.startswith("add_"):
            check_timing(row["with_readback"])
            check_timing(row["chained"])
            assert row["chained"]["n_ops"] == 10
        else:
            check_timing(row)
    assert rows["overhead_add4_x20"]["n_ops"] == 20
    assert "error" not in rows["matmul_32"] and "error" not in rows["add_4096"]
    # ratio = TF.js time / glflow time; for GFLOP/s, glflow / TF.js
    table = (tmp_path / "out" / "peers_table.md").read_text()
    assert table.strip() in done.stdout
    matmul_line = next(line for line in table.splitlines() if line.startswith("| matmul 32 (ms)"))
    assert f"{2.0 / rows['matmul_32']['median_ms']:.2f}x" in matmul_line
    rate_line = next(line for line in table.splitlines()
                     if line.startswith("| matmul 32 (GFLOP/s)"))
    assert f"{rows['matmul_32']['GFLOPs'] / 0.5:.2f}x" in rate_line
    add_line = next(line for line in table.splitlines() if "add 4096: op + full readback" in line)
    ratio = 3.0 / rows["add_4096"]["with_readback"]["median_ms"]
    assert f"{ratio:.2f}x" in add_line
    assert "TF.js chromium webgl-test" in table and "LP_NUM_THREADS=0" in table


def test_models_suite_runs_a_model_on_both_backends_with_kernel_counts(tmp_path):
    done = bench("--suite", "models", "--tiny", "--only", "digits", "--out", str(tmp_path))
    assert done.returncode == 0, done.stdout + done.stderr
    doc = json.loads((tmp_path / "models.json").read_text())
    check_doc(doc, "models", "gl")
    assert [r["case"] for r in doc["rows"]] == ["digits_cnn gl", "digits_cnn cpu"]
    for row, backend in zip(doc["rows"], ("gl", "cpu")):
        assert "error" not in row, row
        assert row["backend"] == backend and row["model"] == "digits_cnn"
        for phase in ("predict", "train_step"):
            assert row[f"{phase}_ms"] > 0 and row[f"{phase}_cold_ms"] > 0
            assert row[f"kernels_per_{phase}"] > 0
        assert row["kernels_per_train_step"] > row["kernels_per_predict"]
    assert doc["rows"][0]["programs_compiled_train_step"] > 0   # GL compiles shaders
    assert doc["rows"][1]["programs_compiled_train_step"] == 0  # numpy has none
    assert "digits_cnn_train_step_gl_over_numpy" in doc["summary"]


def test_scaling_suite_and_plot_make_a_png_of_the_expected_size(tmp_path):
    png = tmp_path / "scaling.png"
    done = bench("--suite", "scaling", "--tiny", "--plot", str(png), "--out", str(tmp_path))
    assert done.returncode == 0, done.stdout + done.stderr
    doc = json.loads((tmp_path / "scaling.json").read_text())
    check_doc(doc, "scaling", "gl")
    families = {(r["family"], r["backend"]) for r in doc["rows"]}
    assert families == {(f, b) for f in ("add", "sum", "matmul", "conv2d") for b in ("gl", "cpu")}
    assert all(r["correct"] for r in doc["rows"]), doc["rows"]
    with Image.open(png) as image:
        assert image.format == "PNG"
        assert image.size == (1200, 800)
        pixels = image.convert("RGB")
        colours = {pixels.getpixel((x, y)) for x in range(0, 1200, 3) for y in range(0, 800, 3)}
    # both curves are drawn: GL in red (214, 39, 40), numpy in blue (31, 119, 180)
    assert (214, 39, 40) in colours and (31, 119, 180) in colours
    assert not list(tmp_path.glob(".*.tmp"))


def test_io_suite_measures_transfers_and_a_fresh_process(tmp_path):
    done = bench("--suite", "io", "--tiny", "--only", "upload,readback,as_configured",
                 "--out", str(tmp_path))
    assert done.returncode == 0, done.stdout + done.stderr
    doc = json.loads((tmp_path / "io.json").read_text())
    rows = {r["case"]: r for r in doc["rows"]}
    assert list(rows) == ["upload_4096", "readback_4096", "cold_start_as_configured"]
    for name in ("upload_4096", "readback_4096"):
        check_timing(rows[name])
        assert rows[name]["GBps"] > 0
    cold = rows["cold_start_as_configured"]
    assert "error" not in cold, cold
    assert cold["backend"] == "gl" and cold["programs_compiled"] > 0
    assert cold["to_first_result_ms"] >= cold["first_step_ms"] > 0


# ------------------------------------------------------------------ where results go

def test_default_output_folder_is_per_user_not_the_repo_or_the_cwd(tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    reference = sorted(p.name for p in (ROOT / "benchmarks" / "results").iterdir())
    done = bench("--suite", "peers", "--tiny", "--only", "overhead", cwd=work,
                 XDG_CACHE_HOME=str(tmp_path / "cache"))
    assert done.returncode == 0, done.stdout + done.stderr
    line = next(x for x in done.stdout.splitlines() if x.startswith("glflow bench: results go to"))
    folder = Path(line.split(" go to ", 1)[1]).resolve()
    assert folder.parent == (tmp_path / "cache" / "glflow" / "bench").resolve()
    assert (folder / "peers.json").is_file()
    assert ROOT not in folder.parents and work.resolve() not in folder.parents
    assert not list(work.iterdir())
    assert sorted(p.name for p in (ROOT / "benchmarks" / "results").iterdir()) == reference


def test_cache_home_ignores_a_relative_xdg_value_and_falls_back_to_home(monkeypatch, tmp_path):
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/cache")  # the XDG spec: ignore it
    assert output.default_root() == str(tmp_path / ".cache" / "glflow" / "bench")
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert output.default_root() == str(tmp_path / ".cache" / "glflow" / "bench")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert output.default_root() == str(tmp_path / "xdg" / "glflow" / "bench")


def test_two_runs_in_the_same_second_get_two_folders(tmp_path):
    now = datetime.datetime(2026, 12, 1, 12, 0, 0, tzinfo=datetime.timezone.utc)
    first = output.new_run_dir(str(tmp_path), now)
    second = output.new_run_dir(str(tmp_path), now)
    assert first != second and os.path.isdir(first) and os.path.isdir(second)
    assert os.path.basename(first) == "20261201-120000"


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path, monkeypatch):
    path = tmp_path / "suite.json"
    output.write_json(str(path), {"old": 1})

    def broken_replace(src, dst):
        raise OSError("disk full")
    monkeypatch.setattr(output.os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        output.write_json(str(path), {"new": 2})
    assert json.loads(path.read_text()) == {"old": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["suite.json"]


# ------------------------------------------------------------------ Ctrl-C

def test_ctrl_c_writes_what_was_measured_and_exits_130(tmp_path):
    # --quick: the real shapes, so the suite is still busy when the first case is done
    process = subprocess.Popen(
        [sys.executable, "-m", "glflow", "bench", "--suite", "peers", "--quick", "--out",
         str(tmp_path)], cwd=ROOT, env=bench_env(), stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True,
        # a shell that started pytest in the background may have made SIGINT ignored
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    lines = queue.Queue()
    reader = threading.Thread(target=lambda: [lines.put(x) for x in process.stderr],
                              daemon=True)
    reader.start()
    try:
        while True:
            line = lines.get(timeout=300)
            if line.startswith("[peers 1/"):
                break
        process.send_signal(signal.SIGINT)
        stdout, _ = process.communicate(timeout=300)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 130, stdout
    doc = json.loads((tmp_path / "peers.json").read_text())
    assert doc["interrupted"] is True
    assert doc["rows"] and doc["rows"][0]["case"] == "overhead_add4_x1000"
    assert len(doc["rows"]) < 9
    check_timing(doc["rows"][0])
    assert not list(tmp_path.glob(".*.tmp"))


# ------------------------------------------------------------------ command line errors

def test_a_suite_typo_lists_the_suites(tmp_path):
    done = bench("--suite", "peerz", "--out", str(tmp_path))
    assert done.returncode == 2
    assert "no suite named 'peerz'" in done.stderr
    for suite in ("peers", "models", "scaling", "io", "matmul"):
        assert f"\n  {suite} " in done.stderr
    assert not list(tmp_path.iterdir())


def test_plot_and_peer_problems_are_reported_before_measuring(tmp_path):
    done = bench("--suite", "peers", "--plot", str(tmp_path / "a.png"), "--out", str(tmp_path))
    assert done.returncode == 2 and "--plot draws the scaling suite" in done.stderr
    bad = tmp_path / "bad.json"
    bad.write_text("[1, 2]")
    done = bench("--suite", "peers", "--peer", str(bad), "--out", str(tmp_path))
    assert done.returncode == 2 and "not a TF.js peer harness results file" in done.stderr
    assert [p.name for p in tmp_path.iterdir()] == ["bad.json"]


# ------------------------------------------------------------------ --compare

def test_compare_prints_ratio_and_percent_per_case(tmp_path):
    a = {"suite": "peers", "machine": {"date": "day A", "renderer": "r"}, "rows": [
        {"case": "matmul_256", "median_ms": 10.0, "GFLOPs": 3.0, "reps": 7},
        {"case": "add_1048576", "with_readback": {"median_ms": 20.0}, "chained_per_op_ms": 4.0},
        {"case": "gone", "median_ms": 1.0},
        {"case": "cnn_mnist_b32", "error": "ValueError: too big"}]}
    b = {"suite": "peers", "machine": {"date": "day B", "renderer": "r"}, "rows": [
        {"case": "matmul_256", "median_ms": 8.0, "GFLOPs": 3.75, "reps": 15},
        {"case": "add_1048576", "with_readback": {"median_ms": 25.0}, "chained_per_op_ms": 4.0},
        {"case": "new", "median_ms": 1.0}]}
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "peers.json").write_text(json.dumps(a))
    (tmp_path / "b" / "peers.json").write_text(json.dumps(b))
    lines = compare.compare_paths(str(tmp_path / "a" / "peers.json"),
                                  str(tmp_path / "b" / "peers.json")).splitlines()

    def line(case, figure):
        return next(x.split() for x in lines if x.split()[:2] == [case, figure])
    assert line("matmul_256", "median_ms")[2:] == ["10", "8", "0.800x", "-20.0%", "better"]
    assert line("matmul_256", "GFLOPs")[2:] == ["3", "3.75", "1.250x", "+25.0%", "better"]
    assert line("add_1048576", "with_readback.median_ms")[2:] == [
        "20", "25", "1.250x", "+25.0%", "worse"]
    assert line("add_1048576", "chained_per_op_ms")[2:] == ["4", "4", "1.000x", "+0.0%"]
    assert not [x for x in lines if x.split()[:2] == ["matmul_256", "reps"]]
    assert "  only in A: gone" in lines and "  only in B: new" in lines
    assert "  failed in A: cnn_mnist_b32: ValueError: too big" in lines
    # the command line, with two run folders
    done = bench("--compare", str(tmp_path / "a"), str(tmp_path / "b"))
    assert done.returncode == 0, done.stderr
    assert "0.800x" in done.stdout and "== peers" in done.stdout
    done = bench("--compare", str(tmp_path / "a"), str(tmp_path / "nothing.json"))
    assert done.returncode == 2 and "--compare" in done.stderr


# ------------------------------------------------------------------ pieces

def test_rand_array_reproduces_the_peer_harness_inputs():
    # printed by the peer harness itself: node -e "require('./bench_core.js').randArray(8, 1)"
    want = [0.25414788722991943, -0.9945285320281982, 0.05489407852292061, 0.962101936340332,
            0.9367557764053345, -0.43779298663139343, 0.2256777286529541, 0.44148626923561096]
    assert rand_array(8, 1).tolist() == want
    w = rand_array(3 * 3 * 32 * 32, 6, 0.1)  # the conv case's filter
    assert [float(w[0]), float(w[1]), float(w[9215])] == [
        0.005149322096258402, -0.09953129291534424, -0.03706948459148407]
    b = rand_array(1 << 20, 2)  # the add case's second operand
    assert [float(b[0]), float(b[-1])] == [0.46850189566612244, 0.24082517623901367]


@pytest.mark.parametrize("step, calls", [(0.2, 7), (0.05, 15), (0.0, 15)])
def test_timing_rule_runs_at_least_reps_then_until_the_time_or_max_reps(monkeypatch, step, calls):
    """Full rule: 3 warm-up calls, then >= 7 timed calls, more up to 15 until 1 s is spent."""
    clock = SimpleNamespace(now=0.0, calls=0)

    def fn():
        clock.calls += 1
        clock.now += step
    monkeypatch.setattr("glflow.bench.tfjs_rule.time.perf_counter", lambda: clock.now)
    result = timeit(fn, Rule(warmup=3, reps=7, max_reps=15, min_time_s=1.0))
    assert result["reps"] == calls and clock.calls == 3 + calls
    assert result["cold_ms"] == pytest.approx(step * 1e3)


def test_a_failing_case_becomes_a_row_with_its_error(tmp_path):
    def broken():
        raise ValueError("conv2d: too big")
    suite = SimpleNamespace(
        DESCRIPTION="test suite",
        cases=lambda size: [runner.Case("fine", lambda: {"median_ms": 1.0}),
                            runner.Case("broken", broken)])
    path, doc = runner.run_suite("fake", suite, "tiny", str(tmp_path), stream=io.StringIO())
    assert [r["case"] for r in doc["rows"]] == ["fine", "broken"]
    assert doc["rows"][1] == {"case": "broken", "error": "ValueError: conv2d: too big"}
    assert doc["summary"]["failed_cases"] == ["broken"]
    assert json.loads(Path(path).read_text())["rows"] == doc["rows"]


def test_peer_table_marks_failures_and_computes_ratios_both_ways(tmp_path):
    names = peers.case_names("full")
    doc = {"settings": {"size": "full"}, "machine": {"backend": "gl"}, "rows": [
        {"case": "matmul_1024", "median_ms": 100.0, "GFLOPs": 20.0, "cold_ms": 300.0},
        {"case": "overhead_add4_x1000", "us_per_op": 10.0, "forced_gl": {"us_per_op": 15.0}},
        {"case": "cnn_mnist_b32", "error": "ValueError: texture limit"}]}
    tfjs = fake_tfjs(tmp_path / "browser_webgl-mesa.json", {
        "matmul_1024": {"median_ms": 250.0, "GFLOPs": 8.0, "cold_ms": 600.0},
        "overhead_add4_x1000": {"us_per_op": 2.0},
        "overhead_add4_x1000_gpu": {"us_per_op": 30.0},
        "cnn_mnist_b32": {"median_ms": 190.0}})
    failed = tmp_path / "browser_webgl-broken.json"
    failed.write_text(json.dumps({"ok": False, "error": "no WebGL2\nstack"}))
    table = peer_table.render(doc, [peer_table.load_peer(str(tfjs)),
                                    peer_table.load_peer(str(failed))], names)
    cells = {line.split(" | ")[0].lstrip("| "): line.rstrip(" |").split(" | ")[1:]
             for line in table.splitlines() if line.startswith("| ")}
    assert cells["matmul 1024 (ms)"] == ["100.0", "250.0", "2.50x", "FAIL", "—"]
    assert cells["matmul 1024 (GFLOP/s)"] == ["20.00", "8.00", "2.50x", "FAIL", "—"]
    assert cells["cold first call: matmul 1024 (ms)"] == ["300", "600", "2.00x", "FAIL", "—"]
    assert cells["1000 chained add [4], us/op (both: forced GL draw)"][:3] == [
        "15.0", "30.0", "2.00x"]
    assert cells["1000 chained add [4], us/op (glflow as shipped, TF.js: forced GL draw)"][:3] \
        == ["10.0", "30.0", "3.00x"]
    assert cells["1000 chained add [4], us/op (both as shipped: CPU forward)"][:3] == [
        "10.0", "2.0", "0.20x"]
    assert cells["CNN conv32-conv64-pool-128-10, 32 images (ms/batch)"][:3] == [
        "FAIL", "190.0", "—"]
    assert "glflow cnn_mnist_b32 FAILED: ValueError: texture limit" in table
    assert "FAILED no WebGL2" in table
