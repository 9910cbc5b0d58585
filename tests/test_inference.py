"""glflow.inference: the model-file seam (load_predictor), image batches and failures by index,
in one process (glflow.distributed's workers run the same functions)."""
import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import glflow as gf
from glflow import inference
from glflow.inference import predictor as predictor_module

DATA = Path(__file__).resolve().parent / "data"


def small_cnn(path, channels=3):
    gf.set_seed(3)
    model = gf.Sequential([
        gf.layers.Conv2D(4, 3, activation="relu", input_shape=(6, 7, channels)),
        gf.layers.GlobalAveragePooling2D(), gf.layers.Dense(3)])
    model.save(path)
    return model


def write_images(folder, count, size=(7, 6), seed=0):
    """PNGs of `size` (width, height) named 00.png, 01.png ...; returns their paths."""
    rng = np.random.RandomState(seed)
    paths = []
    for i in range(count):
        path = os.path.join(folder, f"{i:02d}.png")
        Image.fromarray(rng.randint(0, 256, (size[1], size[0], 3), dtype=np.uint8)).save(path)
        paths.append(path)
    return paths


def test_glflow_file_gives_specs_and_the_models_predictions(tmp_path):
    model = small_cnn(tmp_path / "m.glflow")
    p = inference.load_predictor(tmp_path / "m.glflow")
    assert [s.shape for s in p.inputs] == [(None, 6, 7, 3)]
    assert [s.shape for s in p.outputs] == [(None, 3)]
    x = np.random.RandomState(1).rand(5, 6, 7, 3).astype(np.float32)
    (out,) = p(x)
    np.testing.assert_array_equal(out, model.predict(x))


def test_keras_file_loads_through_load_model():
    # a Keras 3 file with Keras' own predictions beside it (tests/data/generate)
    p = inference.load_predictor(DATA / "keras3" / "cnn2d.keras")
    ref = np.load(DATA / "keras3" / "cnn2d.npz")
    (out,) = p(ref["x0"])
    np.testing.assert_allclose(out, ref["y0"], rtol=1e-4, atol=1e-5)  # Keras' float32 order


def test_bad_model_files_are_clear_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="no model file"):
        inference.load_predictor(tmp_path / "missing.glflow")
    with pytest.raises(ValueError, match="is a folder"):
        inference.load_predictor(tmp_path)
    (tmp_path / "junk.glflow").write_bytes(b"not a model at all, just bytes" * 3)
    with pytest.raises(ValueError, match="not a glflow model file"):
        inference.load_predictor(tmp_path / "junk.glflow")


def test_onnx_without_glflow_onnx_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(predictor_module, "glflow_onnx", None)  # an installation without it
    (tmp_path / "m.onnx").write_bytes(b"\x08\x07")
    with pytest.raises(ValueError, match="ONNX model"):
        inference.load_predictor(tmp_path / "m.onnx")


def test_shape_mismatch_names_both_shapes(tmp_path):
    small_cnn(tmp_path / "m.glflow")
    p = inference.load_predictor(tmp_path / "m.glflow")
    with pytest.raises(ValueError, match=r"takes inputs of shape \[None, 6, 7, 3\]; the data's "
                                         r"samples have shape \[6, 7, 1\]"):
        p.output_specs("where", (6, 7, 1), np.float32)
    specs = p.output_specs("where", (6, 7, 3), np.float32)
    assert [(s.shape, s.dtype) for s in specs] == [((None, 3), "float32")]


def test_tfjs_model_files_include_the_weight_shards():
    files = inference.model_files(DATA / "tfjs" / "cnn2d" / "model.json")
    assert sorted(files) == ["model.json", "weights.bin"]
    assert files["weights.bin"] == (DATA / "tfjs" / "cnn2d" / "weights.bin").read_bytes()


def test_images_folder_is_sorted_and_filtered(tmp_path):
    write_images(tmp_path, 3)
    (tmp_path / "notes.txt").write_text("not an image")
    (tmp_path / "sub.png").mkdir()
    assert [os.path.basename(p) for p in inference.list_images(tmp_path)] == [
        "00.png", "01.png", "02.png"]
    with pytest.raises(ValueError, match="holds no image files"):
        inference.list_images(tmp_path / "sub.png")


def test_corrupt_images_are_reported_by_index_and_the_rest_predicted(tmp_path):
    model = small_cnn(tmp_path / "m.glflow")
    p = inference.load_predictor(tmp_path / "m.glflow")
    paths = write_images(tmp_path, 6)
    Path(paths[2]).write_bytes(b"\x89PNG\r\n\x1a\n truncated")
    paths[4] = str(tmp_path / "gone.png")
    shape = inference.image_shape("test", p.inputs[0])
    specs = p.output_specs("test", shape, np.float32)
    outs, failures = inference.predict_images(p, paths, 10, shape, specs, strict=False)
    assert [(f.index, f.source) for f in failures] == [(12, paths[2]), (14, paths[4])]
    assert "FileNotFoundError" in failures[1].error
    good = [0, 1, 3, 5]
    expected = model.predict(np.stack([inference.read_image(paths[i], shape) for i in good]))
    np.testing.assert_array_equal(outs[0][good], expected)
    assert np.isnan(outs[0][[2, 4]]).all()
    with pytest.raises(inference.InputError, match=r"input 12 \(.*00?2\.png\)") as err:
        inference.predict_images(p, paths, 10, shape, specs)
    assert [f.index for f in err.value.failures] == [12, 14]


def test_images_are_resized_and_converted_to_the_models_input(tmp_path):
    small_cnn(tmp_path / "m.glflow", channels=1)
    p = inference.load_predictor(tmp_path / "m.glflow")
    shape = inference.image_shape("test", p.inputs[0])
    assert shape == (6, 7, 1)
    (path,) = write_images(tmp_path, 1, size=(14, 12))  # RGB, twice the size
    image = inference.read_image(path, shape)
    with Image.open(path) as original:
        expected = np.asarray(original.convert("L").resize((7, 6), Image.BILINEAR), np.float32)
    np.testing.assert_array_equal(image[..., 0], expected)


def test_a_model_that_takes_no_images_is_refused_for_images(tmp_path):
    gf.Sequential([gf.layers.Dense(2, input_shape=(4,))]).save(tmp_path / "d.glflow")
    p = inference.load_predictor(tmp_path / "d.glflow")
    with pytest.raises(ValueError, match=r"has shape \[None, 4\]; image files need"):
        inference.image_shape("glflow run", p.inputs[0])


def test_bag_items_of_the_wrong_shape_are_reported_with_their_partition(tmp_path):
    gf.set_seed(0)
    model = gf.Sequential([gf.layers.Dense(2, input_shape=(4,))])
    model.save(tmp_path / "d.glflow")
    p = inference.load_predictor(tmp_path / "d.glflow")
    specs = p.output_specs("test", (4,), np.float32)
    items = [np.full(4, i, np.float32) for i in range(5)]
    items[3] = np.zeros(5, np.float32)
    outs, failures = inference.predict_items(p, items, 7, (4,), specs, batch_size=2,
                                             strict=False)
    assert [(f.index, f.partition) for f in failures] == [(3, 7)]
    assert "item 3 of partition 7" in failures[0].describe()
    good = [0, 1, 2, 4]
    np.testing.assert_array_equal(outs[0][good], model.predict(np.stack([items[i]
                                                                         for i in good])))
