"""On Mesa llvmpipe glflow takes the rasteriser threads Mesa and the user chose (Mesa: one per
CPU; LP_NUM_THREADS sets them), reports what it got, and guards its draws when there are any
(glflow/backends/gl/context.py and fences.py). Each case needs a fresh process: llvmpipe fixes
its thread count when the first context of a process is made."""
import json
import os
import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent("""
    import json, os
    import glflow as gf
    from glflow.runtime.state import backend as glflow_backend
    y = (gf.tensor([1.0, 2.0, 3.0]) * 2.0 + 1.0).numpy()  # a draw: the rasteriser ran
    gf.finish()
    info = gf.backend_info()
    print(json.dumps({
        "renderer": info.get("renderer", ""),
        "llvmpipe_threads": info.get("llvmpipe_threads"),
        "env_after": os.environ.get("LP_NUM_THREADS"),
        "os_threads": (len(os.listdir("/proc/self/task"))
                       if os.path.isdir("/proc/self/task") else None),
        "guarded": glflow_backend().gl.fences is not None,
        "values": y.tolist(),
    }))
""")


def run(lp_num_threads=None):
    env = {k: v for k, v in os.environ.items() if k != "LP_NUM_THREADS"}
    env["GLFLOW_BACKEND"] = "gl"
    if lp_num_threads is not None:
        env["LP_NUM_THREADS"] = lp_num_threads
    done = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True,
                          env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["values"] == [3.0, 5.0, 7.0]
    return out


def test_mesa_chooses_the_threads_unless_the_user_does_and_threaded_draws_are_guarded():
    default = run()
    if "llvmpipe" not in default["renderer"]:  # a real GPU: nothing to set, nothing reported
        assert default["llvmpipe_threads"] is None
        assert default["env_after"] is None
        return
    assert default["env_after"] is None  # glflow sets no variable
    if (os.cpu_count() or 1) > 1:  # Mesa's default: a rasteriser per CPU, each scene guarded
        assert int(default["llvmpipe_threads"]) >= 2
        assert default["guarded"]
    single = run("0")  # the user's choice wins: no threads, nothing to guard
    assert single["llvmpipe_threads"] == "0"
    assert single["env_after"] == "0"
    assert not single["guarded"]
    threaded = run("2")
    assert threaded["llvmpipe_threads"] == "2"
    assert threaded["guarded"]
    if single["os_threads"] is not None:  # Linux: it really took effect, 2 rasterisers more
        assert threaded["os_threads"] >= single["os_threads"] + 2
