"""Every script in examples/ runs as a user runs it (`python -m glflow run examples/X.py`, in a
subprocess) and prints the line that shows it worked."""
import ast
import configparser
import importlib.metadata
import re
import sys

import pytest

from example_runner import ROOT, run_example
from test_examples_render import SMOKE_RUNS  # the picture makers, checked by content there

# script -> (extra arguments, a line its output must contain)
EXPECTED = {
    "quickstart.py": ([], "c = Tensor([56.0, 1694.0], shape=[2], dtype=float32)"),
    "custom_op.py": ([], "matches sigmoid(x): True"),
    "train_mlp_digits.py": ([], "test accuracy: 0.9"),
    "offscreen_tensor_pixels.py": (["{tmp}"], "blur matches numpy: True"),
}


def test_every_example_is_tested():
    assert sorted(p.name for p in (ROOT / "examples").glob("*.py")) == sorted(
        set(EXPECTED) | set(SMOKE_RUNS))


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_example_runs(name, tmp_path):
    args, expected = EXPECTED[name]
    done = run_example(name, [a.format(tmp=tmp_path) for a in args])
    assert done.returncode == 0, done.stdout + done.stderr
    assert expected in done.stdout, done.stdout


def test_offscreen_example_writes_pngs(tmp_path):
    import PIL  # noqa: F401 - pillow is a dev dependency: its absence is a setup error, not a skip
    done = run_example("offscreen_tensor_pixels.py", [str(tmp_path)])
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in tmp_path.glob("*.png")) == [
        "triangle.png", "triangle_blur.png", "triangle_edges.png"]


# --------------------------------------------------------------------------- what ci/setup installs

def _third_party_imports(path):
    """Top-level modules a file imports (also inside functions), minus the standard library
    and glflow itself."""
    tree = ast.parse(path.read_text())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return {n for n in names if n not in sys.stdlib_module_names and n != "glflow"}


def _installed_by_ci_setup():
    """Distributions `ci/setup` (without --dev: the line ci/demo runs) installs: glflow's
    requirements plus the extras it names."""
    extras = re.search(r'^extras="([^"]*)"', (ROOT / "ci" / "setup").read_text(), re.M)
    assert extras, "ci/setup: no extras=\"...\" line"
    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg")
    declared = dict(config["options.extras_require"])
    requirements = config["options"]["install_requires"].split()
    for extra in extras.group(1).split(","):
        assert extra in declared, f"ci/setup installs extra {extra!r}, setup.cfg lacks it"
        requirements += declared[extra].split(";")
    return {_canonical(re.split(r"[<>=!~ \[]", r.strip())[0]) for r in requirements if r.strip()}


def _canonical(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def test_ci_setup_installs_what_the_demo_and_every_example_import():
    # ci/demo ran `ci/setup` without scikit-learn: the demo trained on random images and
    # examples/train_mlp_digits.py died with ModuleNotFoundError.
    installed = _installed_by_ci_setup()
    provider = importlib.metadata.packages_distributions()
    files = sorted((ROOT / "examples").glob("*.py")) + [ROOT / "glflow" / "demo.py"]
    for path in files:
        for module in _third_party_imports(path):
            assert module in provider, f"{path.name} imports {module!r}, which is not installed"
            assert any(_canonical(d) in installed for d in provider[module]), (
                f"{path.name} imports {module!r} ({provider[module]}); ci/setup's extras do "
                "not install it")


def test_h5py_lives_in_the_io_extra_only():
    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg")
    extras = dict(config["options.extras_require"])
    holders = [name for name, value in extras.items() if "h5py" in value]
    assert holders == ["io"], holders
