"""`glflow run MODEL --input ... --output ...`: as a user runs it (a subprocess), in one
process and on 2 local Dask workers (--workers 2) with the same result; argument errors
through the same entry point in this process (quicker)."""
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import glflow as gf
from glflow import inference
from glflow.__main__ import main as glflow_main

from test_inference import small_cnn, write_images

ROOT = Path(__file__).resolve().parents[1]


def glflow_run(*args, timeout=300):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "glflow", "run", *map(str, args)], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=timeout,
                          check=False)


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("run")
    small_cnn(folder / "cnn.glflow")
    np.save(folder / "x.npy", np.random.RandomState(0).rand(21, 6, 7, 3).astype(np.float32))
    images = folder / "images"
    images.mkdir()
    paths = write_images(images, 9)
    Path(paths[2]).write_bytes(b"\xff\xd8 not really a jpeg")
    return folder


def test_npy_in_this_process(files, tmp_path):
    done = glflow_run(files / "cnn.glflow", "--input", files / "x.npy", "--output",
                      tmp_path / "y.npy", "--batch-size", 4, "--bench")
    assert done.returncode == 0, done.stderr
    assert "21 inputs on this process, batch 4" in done.stdout and "inputs/s" in done.stdout
    x = np.load(files / "x.npy")
    expected = model_predictions(files / "cnn.glflow", x, 4)
    np.testing.assert_array_equal(np.load(tmp_path / "y.npy"), expected)
    assert [p.name for p in tmp_path.iterdir()] == ["y.npy"]  # no temporary file left


def glflow_run_here(capsys, *args):
    """`glflow run ARGS` through the CLI's entry point in this process: (status, out, err)."""
    status = glflow_main(["run", *map(str, args)])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def model_predictions(path, x, batch_size):
    p = inference.load_predictor(path)
    return np.concatenate([p(x[at:at + batch_size])[0] for at in range(0, len(x), batch_size)])


def test_image_folder_locally_and_on_two_workers(files, tmp_path, capsys):
    status, _, err = glflow_run_here(capsys, files / "cnn.glflow", "--input", files / "images",
                                     "--output", tmp_path / "local.npy", "--batch-size", 4,
                                     "--quiet")
    assert status == 1, err  # one input could not be read
    assert "1 of 9 inputs could not be read" in err
    assert "input 2 (" in err and "02.png" in err
    rows = np.load(tmp_path / "local.npy")
    assert np.isnan(rows[2]).all() and not np.isnan(np.delete(rows, 2, 0)).any()
    paths = inference.list_images(files / "images")
    good = [i for i in range(9) if i != 2]
    images = np.stack([inference.read_image(paths[i], (6, 7, 3)) for i in good])
    np.testing.assert_array_equal(rows[good], model_predictions(files / "cnn.glflow", images, 4))

    spread = glflow_run(files / "cnn.glflow", "--input", files / "images", "--output",
                        tmp_path / "spread.npy", "--batch-size", 2, "--workers", 2, "--bench")
    assert spread.returncode == 1, spread.stderr
    assert "input 2 (" in spread.stderr and "9 inputs on 2 local workers" in spread.stdout
    np.testing.assert_array_equal(np.load(tmp_path / "spread.npy"), rows)


def test_several_outputs_go_to_an_npz(files, tmp_path, capsys):
    gf.set_seed(1)
    inputs = gf.Input((6, 7, 3))
    flat = gf.layers.Flatten()(inputs)
    gf.Model(inputs, [gf.layers.Dense(2, name="a")(flat), gf.layers.Dense(1, name="b")(flat)]
             ).save(tmp_path / "two.glflow")
    status, _, err = glflow_run_here(capsys, tmp_path / "two.glflow", "--input",
                                     files / "x.npy", "--output", tmp_path / "y.npy")
    assert status == 2 and "give --output NAME.npz" in err
    status, _, err = glflow_run_here(capsys, tmp_path / "two.glflow", "--input",
                                     files / "x.npy", "--output", tmp_path / "y.npz", "--quiet")
    assert status == 0, err
    saved = np.load(tmp_path / "y.npz")
    assert sorted(saved) == ["a", "b"]
    assert saved["a"].shape == (21, 2) and saved["b"].shape == (21, 1)


def test_bad_arguments_are_one_line_errors(files, tmp_path, capsys):
    cases = [
        ((tmp_path / "nope.glflow", "--input", files / "x.npy", "--output", tmp_path / "y.npy"),
         "no model file"),
        ((files / "cnn.glflow", "--input", tmp_path / "none.npy", "--output", tmp_path / "y.npy"),
         "no input"),
        ((files / "cnn.glflow", "--input", files / "x.npy", "--output",
          tmp_path / "missing" / "y.npy"), "does not exist"),
        ((files / "cnn.glflow", "--input", files / "x.npy", "--output", tmp_path / "y.npy",
          "--batch-size", 0), "--batch-size must be positive"),
    ]
    np.save(tmp_path / "wrong.npy", np.zeros((3, 4), np.float32))
    cases.append(((files / "cnn.glflow", "--input", tmp_path / "wrong.npy", "--output",
                   tmp_path / "y.npy"),
                  "takes inputs of shape [None, 6, 7, 3]; the data's samples have shape [4]"))
    cases.append((("no_such_script.py",), "no such script 'no_such_script.py'"))
    for args, message in cases:
        status, _, err = glflow_run_here(capsys, *args)
        assert status == 2, (args, err)
        assert message in err and len(err.strip().splitlines()) == 1, err
    assert not (tmp_path / "y.npy").exists()


def test_a_missing_model_from_the_shell_has_no_traceback(tmp_path):
    done = glflow_run(tmp_path / "nope.onnx", "--input", "x.npy", "--output", "y.npy")
    assert done.returncode == 2
    assert done.stderr.strip() == f"glflow run: no model file '{tmp_path / 'nope.onnx'}'"
