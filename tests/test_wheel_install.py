"""A non-editable wheel, installed in a fresh virtual environment, finds its shaders and runs
GL ops. The source tree is nowhere on that interpreter's path: only the wheel's files are."""
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import numpy
import moderngl

ROOT = Path(__file__).resolve().parents[1]

PROBE = """
import numpy as np, glflow as gf
from glflow.backends.gl.programs import shader_dir
print("FILE", gf.__file__)
print("SHADERS", shader_dir())
x = gf.tensor(np.arange(10, dtype=np.float32))
assert gf.get_backend() == "gl", gf.get_backend()
np.testing.assert_allclose((x * x).sum().numpy(), 285.0)
np.testing.assert_allclose(gf.matmul(gf.ones([3, 5]), gf.ones([5, 2])).numpy(), 5.0)
# every subpackage of the source tree made it into the wheel
import importlib, pkgutil
for info in pkgutil.walk_packages(gf.__path__, "glflow."):
    importlib.import_module(info.name)
print("PACKAGES", ",".join(sorted(i.name for i in pkgutil.walk_packages(gf.__path__, "glflow.")
                                  if i.ispkg)))
# the Keras-style stack runs from the wheel: a conv layer (its own shaders) and a fit step
model = gf.Sequential([gf.layers.Conv2D(2, 3, activation="relu", input_shape=(5, 5, 1)),
                       gf.layers.Flatten(), gf.layers.Dense(3, activation="softmax")])
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
model.fit(np.ones((4, 5, 5, 1), np.float32), np.arange(4) % 3, epochs=1, verbose=0)
# interop's shaders (shaders/interop/) shipped too: a texture in and out
frame = gf.from_texture(gf.ones([3, 2, 4]).to_texture(dtype="f1"))
np.testing.assert_array_equal(frame.numpy(), 1.0)
print("OK")
"""


def _run(cmd, **kw):
    result = subprocess.run(cmd, capture_output=True, text=True, **kw)
    assert result.returncode == 0, f"{cmd}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    return result.stdout


def test_wheel_in_fresh_venv(tmp_path):
    # Build from a clean copy: a stale build/ folder in the checkout would hide a package
    # that setup.cfg forgot to list.
    source = tmp_path / "source"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(
        ".git", ".venv", "build", "dist", "*.egg-info", "__pycache__", ".hypothesis"))
    wheels = tmp_path / "wheels"
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
          "-w", str(wheels), str(source)])
    wheel = next(wheels.glob("glflow-*.whl"))
    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", str(venv)])
    py = venv / "bin" / "python"
    # Dependencies come from this interpreter's site-packages (no network needed), added as a
    # plain path entry: .pth files there (such as an editable glflow) are not processed.
    site = _run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"])
    deps = {str(Path(m.__file__).resolve().parents[1]) for m in (numpy, moderngl)}
    deps.add(sysconfig.get_paths()["purelib"])
    (Path(site.strip()) / "glflow_test_deps.pth").write_text("\n".join(sorted(deps)) + "\n")
    _run([str(py), "-m", "pip", "install", "-q", "--no-deps", "--no-index", str(wheel)])
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH",)}
    env["GLFLOW_BACKEND"] = "gl"
    out = _run([str(py), "-c", PROBE], cwd=tmp_path, env=env)
    lines = dict(line.split(" ", 1) for line in out.splitlines() if " " in line)
    assert Path(lines["FILE"]).resolve().is_relative_to(venv.resolve()), out
    assert Path(lines["SHADERS"]).resolve().is_relative_to(venv.resolve()), out
    assert out.strip().endswith("OK")
    # the wheel holds every package of the source tree (setup.cfg lists them by hand)
    source = {str(p.parent.relative_to(ROOT)).replace("/", ".")
              for p in (ROOT / "glflow").rglob("__init__.py")} - {"glflow"}
    assert source <= set(lines["PACKAGES"].split(",")), out
