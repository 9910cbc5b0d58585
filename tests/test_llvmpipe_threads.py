"""On Mesa llvmpipe glflow makes its context with LP_NUM_THREADS=0 unless the user set the
variable (glflow/backends/gl/context.py: threaded rasterisation can corrupt the heap through a
fence race in llvmpipe). Each case needs a fresh process: llvmpipe fixes its thread count when
the first context of a process is made."""
import json
import os
import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent("""
    import json, os
    import glflow as gf
    y = (gf.tensor([1.0, 2.0, 3.0]) * 2.0 + 1.0).numpy()  # a draw: the rasteriser ran
    gf.finish()
    info = gf.backend_info()
    print(json.dumps({
        "renderer": info.get("renderer", ""),
        "llvmpipe_threads": info.get("llvmpipe_threads"),
        "env_after": os.environ.get("LP_NUM_THREADS"),
        "os_threads": (len(os.listdir("/proc/self/task"))
                       if os.path.isdir("/proc/self/task") else None),
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


def test_default_is_single_threaded_llvmpipe_and_leaves_the_environment_alone():
    default = run()
    if "llvmpipe" not in default["renderer"]:  # a real GPU: nothing to set, nothing reported
        assert default["llvmpipe_threads"] is None
        assert default["env_after"] is None
        return
    assert default["llvmpipe_threads"] == "0"
    assert default["env_after"] is None  # set only while the context was made
    threaded = run("2")  # the user's choice wins
    assert threaded["llvmpipe_threads"] == "2"
    assert threaded["env_after"] == "2"
    if default["os_threads"] is not None:  # Linux: it really took effect, 2 rasterisers more
        assert threaded["os_threads"] >= default["os_threads"] + 2


EARLIER_CONTEXT = textwrap.dedent("""
    import json, warnings
    import moderngl
    user_ctx = moderngl.create_context(standalone=True, backend="egl", require=330)
    import glflow as gf
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        y = (gf.tensor([1.0, 2.0]) + 1.0).numpy()
    info = gf.backend_info()
    print(json.dumps({"renderer": info.get("renderer", ""),
                      "llvmpipe_threads": info.get("llvmpipe_threads"),
                      "warnings": [str(w.message) for w in caught], "values": y.tolist()}))
""")


def test_a_context_made_before_glflows_is_reported_and_warned_about():
    """The first llvmpipe context of a process fixes the thread count for all of them: glflow
    cannot undo it, so it counts the rasterisers it really got and says why that is risky."""
    env = {k: v for k, v in os.environ.items() if k != "LP_NUM_THREADS"}
    env["GLFLOW_BACKEND"] = "gl"
    done = subprocess.run([sys.executable, "-c", EARLIER_CONTEXT], capture_output=True,
                          text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["values"] == [2.0, 3.0]
    if "llvmpipe" not in out["renderer"] or (os.cpu_count() or 1) < 2:
        # a real GPU (or one CPU: llvmpipe starts no threads): nothing to warn about
        assert not any("llvmpipe rasterises" in w for w in out["warnings"])
        return
    assert int(out["llvmpipe_threads"]) >= 2
    assert any("llvmpipe rasterises on" in w and "LP_NUM_THREADS=0" in w
               for w in out["warnings"])
