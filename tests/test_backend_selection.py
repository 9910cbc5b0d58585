"""Backend choice: import touches no GL, GLFLOW_BACKEND and set_backend, the cpu fallback (one
warning naming the reason) when GL cannot start, the error instead when GL is forced, and the
`glflow info` command. Anything that depends on a fresh process runs in a subprocess."""
import json
import os
import subprocess
import sys
import textwrap
import warnings

import numpy as np
import pytest

import glflow as gf
from glflow.runtime import state

# Prepended to subprocess scripts: counts GL context creations, and with BREAK_GL=1 makes
# them fail as they do on a machine without EGL (moderngl raises from create_context).
PATCH_GL = textwrap.dedent("""
    import os
    import moderngl
    CREATED = []
    _real_create = moderngl.create_context

    def _create(*args, **kwargs):
        CREATED.append(kwargs.get("backend"))
        if os.environ.get("BREAK_GL") == "1":
            raise RuntimeError("eglGetDisplay failed: no EGL display (simulated by the test)")
        return _real_create(*args, **kwargs)
    moderngl.create_context = _create
""")


def run_python(script, backend=None, break_gl=False, args=None):
    env = {k: v for k, v in os.environ.items() if k not in ("GLFLOW_BACKEND", "BREAK_GL")}
    if backend is not None:
        env["GLFLOW_BACKEND"] = backend
    if break_gl:
        env["BREAK_GL"] = "1"
    command = [sys.executable] + (args if args is not None else
                                  ["-c", PATCH_GL + textwrap.dedent(script)])
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, f"stdout:\n{done.stdout}\nstderr:\n{done.stderr}"
    return done.stdout


def test_import_creates_no_gl_context():
    out = run_python("""
        import glflow as gf
        from glflow.runtime import counters, state
        print(len(CREATED), state.current_name, sorted(state.made_backends()))
        gf.tensor([1.0]).numpy()
        print(len(CREATED), state.current_name)
    """)
    assert out.split("\n")[:2] == ["0 None []", "1 gl"]


def test_glflow_backend_cpu_environment_variable():
    out = run_python("""
        import glflow as gf
        y = (gf.tensor([[1.0, 2.0], [3.0, 4.0]]) @ gf.tensor([1.0, -1.0])).numpy()
        print(gf.get_backend(), len(CREATED), y.tolist())
    """, backend="cpu")
    assert out.strip() == "cpu 0 [-1.0, -1.0]"


def test_bad_glflow_backend_value_is_an_error():
    out = run_python("""
        import glflow as gf
        try:
            gf.ones([1])
        except ValueError as exc:
            print("error:", exc)
    """, backend="vulkan")
    assert "error: GLFLOW_BACKEND='vulkan': choose 'gl' or 'cpu'" in out


def test_set_backend_cpu_gives_the_same_results():
    rng = np.random.default_rng(5)
    a = rng.standard_normal((5, 7)).astype(np.float32)
    b = rng.standard_normal((7, 3)).astype(np.float32)

    def compute():
        x, w = gf.tensor(a), gf.tensor(b)
        y = gf.relu(gf.matmul(x, w) + 0.5)
        grad = gf.grad(lambda t: gf.sum(gf.square(gf.matmul(t, w))))(x)
        return [y.numpy(), gf.mean(x, axis=0).numpy(), grad.numpy(), (x > 0).numpy()]
    results = {}
    for name in ("cpu", "gl"):
        gf.set_backend(name)
        assert gf.get_backend() == name
        results[name] = compute()
    for got, want in zip(results["gl"], results["cpu"]):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
    with pytest.raises(ValueError, match="set_backend: unknown backend 'metal'"):
        gf.set_backend("metal")
    assert gf.get_backend() == "gl"


def test_tensors_from_another_backend_are_moved():
    gf.set_backend("cpu")
    on_cpu = gf.tensor([1.0, 2.0])
    gf.set_backend("gl")
    y = on_cpu * 3.0
    assert y.backend.name == "gl" and y.numpy().tolist() == [3.0, 6.0]


def test_without_gl_the_first_op_falls_back_to_cpu_with_one_warning():
    out = run_python("""
        import warnings
        warnings.simplefilter("always")
        with warnings.catch_warnings(record=True) as at_import:
            import glflow as gf
        print("import warnings", len(at_import))
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            y = (gf.tensor([1.0, 2.0]) * 2.0).numpy()
            z = gf.sum(gf.ones([3])).numpy()
            gf.matmul(gf.ones([2, 2]), gf.ones([2, 2])).numpy()
        print("op warnings", len(caught))
        for w in caught:
            print("category", w.category.__name__)
            print("message", w.message)
        print("backend", gf.get_backend(), y.tolist(), float(z))
        print("info", gf.backend_info().get("fallback_reason"))
    """, break_gl=True)
    lines = out.splitlines()
    assert "import warnings 0" in lines
    assert "op warnings 1" in lines
    assert "category RuntimeWarning" in lines
    message = next(line for line in lines if line.startswith("message"))
    assert "OpenGL is unavailable" in message and "no EGL display" in message
    assert "GLFLOW_BACKEND=gl" in message  # says how to make it an error
    assert "backend cpu [2.0, 4.0] 3.0" in lines
    assert any(line.startswith("info GLUnavailable") and "no EGL display" in line
               for line in lines)


def test_forced_gl_without_gl_is_an_error():
    out = run_python("""
        import warnings
        warnings.simplefilter("error")  # and no fallback warning either
        import glflow as gf
        from glflow.backends.gl.context import GLUnavailable
        try:
            gf.ones([2]).numpy()
            print("no error")
        except GLUnavailable as exc:
            print("error:", exc)
        try:
            gf.set_backend("gl")
        except GLUnavailable:
            print("set_backend error")
    """, backend="gl", break_gl=True)
    assert "no error" not in out
    assert "error: cannot create a headless EGL OpenGL 3.3 context" in out
    assert "no EGL display" in out
    assert "set_backend error" in out


def test_glflow_info_prints_the_device():
    out = run_python(None, backend="gl", args=["-m", "glflow", "info"])
    for key in ("backend", "renderer", "version", "max_texture_size", "max_render_targets",
                "float16_render"):
        assert any(line.split()[:1] == [key] for line in out.splitlines()), (key, out)
    assert "gl" in next(line for line in out.splitlines() if line.split()[:1] == ["backend"])


def test_glflow_info_json():
    info = json.loads(run_python(None, backend="gl", args=["-m", "glflow", "info", "--json"]))
    assert info["backend"] == "gl"
    assert isinstance(info["renderer"], str) and info["renderer"]
    assert isinstance(info["version"], str) and info["version"]
    assert info["max_texture_size"] >= 1024  # the GL 3.3 minimum
    assert info["max_render_targets"] >= 4  # GL guarantees 4 draw buffers
    assert isinstance(info["float16_render"], bool)
    assert info["max_elements"] == info["max_texture_size"] ** 2 * 4
    assert info["host_forward_below"] == 128  # backends/gl/host.py, on by default


def test_glflow_info_on_cpu():
    info = json.loads(run_python(None, backend="cpu", args=["-m", "glflow", "info", "--json"]))
    assert info["backend"] == "cpu" and info["renderer"].startswith("numpy")


@pytest.fixture
def gl_unavailable(monkeypatch):
    """This process as if it had no OpenGL: the default backend is not chosen yet and making
    the GL backend fails (the previous state comes back afterwards)."""
    monkeypatch.delenv("GLFLOW_BACKEND", raising=False)

    def no_gl():
        raise RuntimeError("no EGL display (simulated by the test)")
    monkeypatch.setitem(state._factories, "gl", no_gl)
    saved = (dict(state._backends), state.current, state.current_name, state.fallback_reason)
    state._backends.pop("gl", None)
    state.current = state.current_name = None
    yield
    state._backends.clear()
    state._backends.update(saved[0])
    state.current, state.current_name, state.fallback_reason = saved[1:]


ENTRY_POINTS = {
    "tensor": lambda: gf.tensor([1.0, 2.0]),
    "ones": lambda: gf.ones([3]),
    "get_backend": lambda: gf.get_backend(),
    "memory": lambda: gf.memory(),
    "layer": lambda: gf.layers.Dense(2)(np.ones((1, 3), np.float32)),
}


@pytest.mark.parametrize("entry", sorted(ENTRY_POINTS))
def test_the_fallback_warning_names_the_users_line(gl_unavailable, entry):
    # A fixed stacklevel pointed into glflow (ops/_core.py and the like) for most entry points.
    # The user's line here is the entry's lambda: the first frame outside glflow.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ENTRY_POINTS[entry]()
    fallback = [w for w in caught if "OpenGL is unavailable" in str(w.message)]
    assert len(fallback) == 1, [str(w.message) for w in caught]
    user_line = (__file__, ENTRY_POINTS[entry].__code__.co_firstlineno)
    assert (fallback[0].filename, fallback[0].lineno) == user_line
    assert gf.get_backend() == "cpu"
