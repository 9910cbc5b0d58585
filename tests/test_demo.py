"""`glflow demo`: the numbers it prints are measured fairly (no timings asserted, only how they
are taken), and it trains on the real digits that ci/setup installs."""
import contextlib
import io

import numpy as np
import PIL.Image

import glflow as gf
from glflow import demo, demo_render
from glflow.runtime import counters


def test_matmul_speed_times_gl_then_numpy_each_warmed_up_with_medians():
    # The demo timed numpy once, cold, right after GL work, and printed 11-12 GFLOP/s where
    # the bench measures ~170 on the same machine.
    calls = []

    def spy(fn, reps=7, warmup=2, inner=1, sync=True):
        before = dict(counters.kernel_counts)
        fn()
        launched = counters.kernel_counts != before
        calls.append({"gl": launched, "reps": reps, "warmup": warmup, "sync": sync})
        return 0.01

    with contextlib.redirect_stdout(io.StringIO()) as out:
        demo._matmul_speed(gf, np.random.default_rng(0), 16, measure=spy)
    assert [c["gl"] for c in calls] == [True, False], calls  # GL phase, then numpy alone
    for c in calls:
        assert c["warmup"] >= 1 and c["reps"] >= 3, c  # warmed up, a median of several
    assert calls[0]["sync"] and not calls[1]["sync"]  # GL stops the clock after finish()
    assert "numpy" in out.getvalue() and "medians" in out.getvalue()


def test_median_seconds_warms_up_and_takes_the_median():
    calls = []
    assert demo.median_seconds(lambda: calls.append(1), reps=3, warmup=2, inner=4,
                               sync=False) >= 0.0
    assert len(calls) == 2 + 3 * 4


def test_demo_trains_on_the_digits():
    x, y, source = demo._digits(np.random.default_rng(0))
    assert source == "scikit-learn's 8x8 digits"
    assert x.shape == (1797, 8, 8, 1) and set(np.unique(y)) == set(range(10))


def test_the_tour_writes_its_rendered_picture(tmp_path, capsys, monkeypatch):
    """The tour's last section renders a cube in glflow's context, outlines it on the GPU and
    writes it: the path is printed and the file is that picture (not a blank frame)."""
    monkeypatch.setattr(demo, "render_picture", lambda: demo_render.render_picture(tmp_path))
    monkeypatch.setattr(demo, "_train", lambda *args: None)
    monkeypatch.setattr(demo, "_matmul_speed", lambda *args: None)
    assert demo.run(quick=True) == 0
    out = capsys.readouterr().out
    path = tmp_path / "glflow_demo_cube.png"
    assert f"wrote {path}" in out
    picture = np.asarray(PIL.Image.open(path))
    assert picture.shape[:2] == (160, 160)
    lit = picture[..., :3].max(axis=-1) > 40
    assert 0.05 < lit.mean() < 0.9, "the cube's outline covers part of the frame"
