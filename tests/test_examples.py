"""Every script in examples/ runs as a user runs it (`python -m glflow run examples/X.py`, in a
subprocess) and prints the line that shows it worked."""
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
