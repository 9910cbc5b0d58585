"""Every file glflow writes goes to a unique temporary file in the target's folder and then
replaces the target in one os.replace: concurrent saves to one path all succeed, a symlink
planted at the old fixed `<path>.tmp` name is never followed, a failed write leaves the old
file, and nothing is left behind."""
import os
import threading

import numpy as np
import pytest

import glflow as gf
from glflow import callbacks, layers, models, vis
from glflow.atomic_write import atomic_write
from glflow.bench import output


def _model():
    gf.set_seed(0)
    model = models.Sequential([layers.Input((3,)), layers.Dense(2)])
    model.compile("sgd", "mse")
    return model


def _data():
    x = np.random.default_rng(0).normal(size=(8, 3)).astype(np.float32)
    return x, x[:, :2] * 2.0


@pytest.fixture
def replaces(monkeypatch):
    """Record every os.replace(source, target) while still doing it."""
    calls = []
    real = os.replace

    def spy(src, dst, **kwargs):
        calls.append((os.fspath(src), os.fspath(dst)))
        return real(src, dst, **kwargs)
    monkeypatch.setattr(os, "replace", spy)
    return calls


def _check_replaced_through_unique_temporaries(calls, target, times=1):
    target = os.path.abspath(target)
    mine = [(src, dst) for src, dst in calls if os.path.abspath(dst) == target]
    assert len(mine) == times, calls
    sources = [src for src, _ in mine]
    assert len(set(sources)) == times  # a fresh name each time
    for src in sources:
        assert os.path.dirname(os.path.abspath(src)) == os.path.dirname(target)
        assert src != target + ".tmp"
        assert not os.path.exists(src)


def test_atomic_write_replaces_only_on_success(tmp_path):
    path = tmp_path / "file.txt"
    path.write_text("old")
    with pytest.raises(RuntimeError):
        with atomic_write(path, "w") as f:
            f.write("half")
            raise RuntimeError("interrupted")
    assert path.read_text() == "old"
    with atomic_write(path, "w") as f:
        f.write("new")
    assert path.read_text() == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file.txt"]  # no temporaries left
    with pytest.raises(ValueError, match="plain write mode"):
        with atomic_write(path, "a"):
            pass


def test_new_files_get_the_umask_permissions(tmp_path):
    path = tmp_path / "fresh.bin"
    with atomic_write(path) as f:
        f.write(b"x")
    umask = os.umask(0o022)
    os.umask(umask)
    assert oct(os.stat(path).st_mode & 0o777) == oct(0o666 & ~umask)  # not mkstemp's 0o600


def test_model_files_go_through_unique_temporaries(tmp_path, replaces):
    model = _model()
    model.save(tmp_path / "m.glflow")
    model.save(tmp_path / "m.glflow")
    model.save_weights(tmp_path / "w.glflow")
    _check_replaced_through_unique_temporaries(replaces, tmp_path / "m.glflow", times=2)
    _check_replaced_through_unique_temporaries(replaces, tmp_path / "w.glflow")


def test_a_symlink_at_the_old_temporary_name_is_not_followed(tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    path = tmp_path / "m.glflow"
    os.symlink(victim, str(path) + ".tmp")
    _model().save(path)
    assert victim.read_text() == "precious"
    assert gf.models.load_model(path).count_params() == 8


def test_concurrent_saves_to_one_path_all_succeed(tmp_path):
    # With a fixed <path>.tmp, 27 of 60 concurrent saves failed.
    model = _model()
    path = tmp_path / "m.glflow"
    errors = []

    def save():
        try:
            for _ in range(4):
                model.save(path)
        except Exception as exc:  # noqa: BLE001 - collected and reported below
            errors.append(exc)
    threads = [threading.Thread(target=save) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert gf.models.load_model(path).count_params() == 8
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.glflow"]


def test_callbacks_write_through_unique_temporaries(tmp_path, replaces):
    model = _model()
    csv_path = tmp_path / "log.csv"
    ckpt = tmp_path / "ckpt-{epoch}.glflow"
    model.fit(*_data(), epochs=2, verbose=0,
              callbacks=[callbacks.CSVLogger(csv_path), callbacks.ModelCheckpoint(ckpt)])
    _check_replaced_through_unique_temporaries(replaces, csv_path, times=2)  # every epoch
    for epoch in (1, 2):
        _check_replaced_through_unique_temporaries(replaces, tmp_path / f"ckpt-{epoch}.glflow")
    assert csv_path.read_text().count("\n") == 3


def test_plots_and_bench_results_write_through_unique_temporaries(tmp_path, replaces):
    history = {"loss": [1.0, 0.5, 0.3], "val_loss": [1.1, 0.7, 0.6]}
    vis.plot_history(history, tmp_path / "history.png")
    vis.plot_model(_model(), tmp_path / "model.png")
    output.write_json(str(tmp_path / "suite.json"), {"rows": [{"n": 1}]})
    for name in ("history.png", "model.png", "suite.json"):
        _check_replaced_through_unique_temporaries(replaces, tmp_path / name)
    assert (tmp_path / "history.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
