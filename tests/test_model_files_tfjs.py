"""TensorFlow.js layers models, both ways.

- Models built and saved by TF.js itself (tests/data/tfjs, from generate/tfjs_models.py; one
  re-stored the TF.js converter's way, quantized and sharded) load into glflow and predict
  what TF.js predicted.
- glflow's exports (tests/data/tfjs_export, from generate/glflow_tfjs_export.py) were loaded
  by TF.js in Node at generation time; its predictions are recorded there. Here glflow must
  predict the same from those files and write the very same files again (model.json and
  shards byte for byte), so the recording holds for the code under test without Node in CI;
  `generate/glflow_tfjs_export.py NODE_MODULES --verify` re-runs TF.js on them.
- glflow save -> glflow load round trips, the 4 MiB shard split, atomic writes, refusals of
  what TF.js would compute differently, and bad files (missing or short shards, truncated
  JSON), which leave no tensor behind. Tolerance: see model_file_checks.py.
"""
import json
import os
import stat

import numpy as np
import pytest
from model_file_checks import DATA, assert_predicts, copy_tree, live, predict, reference

import glflow as gf
from glflow import atomic_write
from glflow import layers
from glflow.io import tfjs_format

TFJS_MODELS = ["mlp", "mlp_quantized", "cnn2d", "conv1d", "recurrent", "masked", "merge"]
EXPORTS = ["mlp", "cnn", "sequence", "masked", "merge"]


@pytest.mark.parametrize("name", TFJS_MODELS)
def test_tfjs_model_predicts_what_tfjs_predicted(name):
    model = gf.models.load_model(DATA / "tfjs" / name / "model.json")
    assert_predicts(model, DATA / "tfjs" / f"{name}.npz")


def test_training_config_compiles_the_model_and_optimizer_state_is_skipped():
    """TF.js saved this compiled model with includeOptimizer: its trainingConfig and, in the
    same shard, Adam's moments (group 'optimizer'), which glflow reads past."""
    path = DATA / "tfjs" / "mlp" / "model.json"
    doc = json.loads(path.read_text())
    assert any(w.get("group") == "optimizer" for w in doc["weightsManifest"][0]["weights"])
    model = gf.models.load_model(path)
    assert model.compiled and type(model.optimizer).__name__ == "Adam"
    assert model.optimizer.learning_rate == pytest.approx(0.005)
    inputs, _ = reference(DATA / "tfjs" / "mlp.npz")
    x, y = np.repeat(inputs[0], 4, axis=0), np.arange(20) % 3
    before = model.evaluate(x, y, verbose=0)
    model.fit(x, y, epochs=3, batch_size=5, verbose=0)
    assert model.evaluate(x, y, verbose=0)[0] < before[0]


def test_quantized_model_really_is_quantized_and_sharded():
    doc = json.loads((DATA / "tfjs" / "mlp_quantized" / "model.json").read_text())
    (group,) = doc["weightsManifest"]
    kinds = {w.get("quantization", {}).get("dtype", w["dtype"]) for w in group["weights"]}
    assert kinds == {"uint8", "uint16", "float16", "float32"} and len(group["paths"]) > 2
    plain = gf.models.load_model(DATA / "tfjs" / "mlp" / "model.json")
    quantized = gf.models.load_model(DATA / "tfjs" / "mlp_quantized")  # a folder works too
    for a, b in zip(plain.get_weights(), quantized.get_weights()):
        np.testing.assert_allclose(a, b, atol=0.02 * np.ptp(a) + 1e-6)


def test_int32_weights_are_read(tmp_path):
    """TF.js stores integer-valued tensors as int32; they load as float32 values."""
    folder = copy_tree(DATA / "tfjs" / "mlp", tmp_path / "m")
    doc = json.loads((folder / "model.json").read_text())
    first = doc["weightsManifest"][0]["weights"][0]
    count = int(np.prod(first["shape"]))
    blob = (folder / "weights.bin").read_bytes()
    ints = np.arange(count, dtype="<i4") - count // 2
    first["dtype"] = "int32"  # same 4 bytes per value, so the rest of the shard stays put
    (folder / "weights.bin").write_bytes(ints.tobytes() + blob[4 * count:])
    (folder / "model.json").write_text(json.dumps(doc))
    model = gf.models.load_model(folder)
    np.testing.assert_array_equal(model.layers[0].kernel.numpy().ravel(), ints)


@pytest.mark.parametrize("name", EXPORTS)
def test_glflow_export_predicts_what_tfjs_predicted_from_it(name, tmp_path, monkeypatch):
    folder = DATA / "tfjs_export" / name
    model = gf.models.load_model(folder / "model.json")
    assert_predicts(model, DATA / "tfjs_export" / f"{name}.npz")
    shards = sorted(p.name for p in folder.glob("*.bin"))
    if len(shards) > 1:  # the generator wrote this one with small shards: do the same
        monkeypatch.setattr(tfjs_format, "SHARD_BYTES", (folder / shards[0]).stat().st_size)
    model.save(tmp_path / "model.json")
    written, committed = (json.loads((d / "model.json").read_text())
                          for d in (tmp_path, folder))
    written.pop("generatedBy"), committed.pop("generatedBy")
    assert written == committed
    assert sorted(p.name for p in tmp_path.glob("*.bin")) == shards
    for shard in shards:
        assert (tmp_path / shard).read_bytes() == (folder / shard).read_bytes()


ROUND_TRIPS = ([DATA / "tfjs" / name / "model.json" for name in TFJS_MODELS]
               + [DATA / "keras3" / f"{name}.keras" for name in ("mlp", "masked")]
               + [DATA / "keras2" / f"{name}.h5" for name in ("mlp", "masked")])


@pytest.mark.parametrize("path", ROUND_TRIPS,
                         ids=lambda p: f"{p.parent.name}/{p.name}")
def test_save_then_load_gives_the_same_model(path, tmp_path):
    model = gf.models.load_model(path)
    model.save(tmp_path / "web" / "model.json")  # the folder is made as TF.js' saver does
    again = gf.models.load_model(tmp_path / "web" / "model.json")
    assert [type(layer) for layer in again.layers] == [type(layer) for layer in model.layers]
    for a, b in zip(model.get_weights(), again.get_weights()):
        np.testing.assert_array_equal(a, b)
    npz = path.with_suffix(".npz") if path.suffix != ".json" else path.parent.with_suffix(
        ".npz")
    inputs, _ = reference(npz)
    for a, b in zip(predict(model, inputs), predict(again, inputs)):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("name, fragments", [
    ("activations", ["'dense_exponential'", "no 'exponential' activation"]),
    ("cnn2d", ["groups=2"]),
    ("conv1d", ["padding='causal'"]),
    ("recurrent", ["(GRU)", "reset_after=True"]),
    ("merge", ["Subtract", "TF.js cannot load"]),
])
def test_keras_models_tfjs_would_compute_differently_are_refused(name, fragments, tmp_path):
    model = gf.models.load_model(DATA / "keras3" / f"{name}.keras")
    target = tmp_path / "out" / "model.json"
    with pytest.raises(ValueError) as info:
        model.save(target)
    for fragment in [str(target)] + fragments:
        assert fragment in str(info.value), str(info.value)
    assert not target.parent.exists()  # refused before anything was written


def test_export_refusals_for_glflow_models(tmp_path):
    def refused(model, *fragments):
        with pytest.raises(ValueError) as info:
            model.save(tmp_path / "x" / "model.json")
        for fragment in fragments:
            assert fragment in str(info.value), str(info.value)
        assert not (tmp_path / "x").exists()

    def double(x):
        return x * 2

    inp = layers.Input((4, 4, 2))
    refused(gf.Model(inp, layers.Lambda(double)(inp)), "Lambda", "TF.js cannot load")
    refused(gf.Model(inp, layers.UpSampling2D(interpolation="bilinear")(inp)),
            "interpolation='bilinear'", "half-pixel")
    refused(gf.Model(inp, layers.GlobalMaxPooling2D(keepdims=True)(inp)), "keepdims=True")
    refused(gf.Sequential([layers.Input((3,)), layers.Dense(2, activation="leaky_relu")]),
            "no 'leaky_relu' activation")
    refused(gf.Sequential([layers.Input((3,)), layers.ReLU(threshold=0.5)]), "threshold=0.5")
    refused(gf.Sequential([layers.Input((2, 3)), layers.Softmax(axis=[1, 2])]), "one axis")
    refused(gf.Sequential([layers.Input((3,)), layers.ELU(alpha=0.7)]), "alpha=0.7")

    class Net(gf.Model):
        def __init__(self):
            super().__init__()
            self.dense = layers.Dense(2)

        def call(self, x, training=None):
            return self.dense(x)
    net = Net()
    net(np.ones((1, 3), np.float32))
    refused(net, "defined by its Python code")


def test_large_weights_are_split_into_4_mib_shards(tmp_path):
    model = gf.Sequential([layers.Input((1100,)), layers.Dense(1000)])  # 4.4 MB of weights
    model.save(tmp_path / "model.json")
    doc = json.loads((tmp_path / "model.json").read_text())
    assert doc["format"] == "layers-model"
    assert doc["weightsManifest"][0]["paths"] == ["group1-shard1of2.bin",
                                                  "group1-shard2of2.bin"]
    sizes = [(tmp_path / p).stat().st_size for p in doc["weightsManifest"][0]["paths"]]
    assert sizes == [4 * 1024 * 1024, (1100 * 1000 + 1000) * 4 - 4 * 1024 * 1024]
    again = gf.models.load_model(tmp_path / "model.json")
    for a, b in zip(model.get_weights(), again.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_writes_are_atomic_with_usual_permissions(tmp_path):
    model = gf.models.load_model(DATA / "tfjs" / "mlp" / "model.json")
    model.save(tmp_path / "model.json")
    model.save(tmp_path / "model.json")  # overwriting an export in place
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["group1-shard1of1.bin", "model.json"]
    umask = os.umask(0)
    os.umask(umask)
    for p in tmp_path.iterdir():
        assert stat.S_IMODE(p.stat().st_mode) == 0o666 & ~umask


def test_a_failed_write_leaves_the_previous_export(tmp_path, monkeypatch):
    old = gf.models.load_model(DATA / "tfjs" / "mlp" / "model.json")
    old.save(tmp_path / "model.json")
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    new = gf.models.load_model(DATA / "tfjs_export" / "cnn" / "model.json")
    calls = []

    def disk_full(path):
        calls.append(1)
        if len(calls) == 2:  # the second file of the export
            raise OSError(28, "No space left on device")
        return 0o644
    monkeypatch.setattr(atomic_write, "_mode_for", disk_full)
    with pytest.raises(OSError, match="No space left"):
        new.save(tmp_path / "model.json")
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before


# --------------------------------------------------------------------------- bad files

def expect_refusal(path, *fragments):
    before = live()
    with pytest.raises(ValueError) as info:
        gf.models.load_model(path)
    for fragment in fragments:
        assert fragment in str(info.value), str(info.value)
    del info
    assert live() == before


def test_missing_and_short_shards(tmp_path):
    folder = copy_tree(DATA / "tfjs" / "mlp_quantized", tmp_path / "q")
    (folder / "group1-shard2of3.bin").unlink()
    expect_refusal(folder / "model.json", str(folder / "model.json"),
                   "weight shard 'group1-shard2of3.bin'", "missing")

    folder = copy_tree(DATA / "tfjs" / "mlp", tmp_path / "m")
    shard = folder / "weights.bin"
    size = shard.stat().st_size
    shard.write_bytes(shard.read_bytes()[:-12])
    expect_refusal(folder / "model.json", "./weights.bin", f"hold {size - 12} bytes",
                   f"need {size}")


def test_bad_model_json(tmp_path):
    folder = copy_tree(DATA / "tfjs" / "mlp", tmp_path / "m")
    text = (folder / "model.json").read_text()
    (folder / "model.json").write_text(text[:len(text) // 2])
    expect_refusal(folder / "model.json", "not a complete JSON file")

    other = tmp_path / "settings.json"
    other.write_text('{"theme": "dark"}')
    expect_refusal(other, str(other), "not a TensorFlow.js layers model")

    graph = tmp_path / "graph.json"
    graph.write_text('{"format": "graph-model", "modelTopology": null}')
    expect_refusal(graph, "TF.js graph model")

    doc = json.loads(text)
    doc["weightsManifest"][0]["paths"] = ["../../secret.bin"]
    (folder / "model.json").write_text(json.dumps(doc))
    expect_refusal(folder / "model.json", "'../../secret.bin' leaves the model's folder")

    doc = json.loads(text)
    doc["weightsManifest"][0]["weights"][0]["dtype"] = "string"
    (folder / "model.json").write_text(json.dumps(doc))
    expect_refusal(folder / "model.json", "dtype 'string'")

    doc = json.loads(text)
    doc["modelTopology"]["config"]["layers"][0]["config"] = 7
    (folder / "model.json").write_text(json.dumps(doc))
    expect_refusal(folder / "model.json", "layer Dense has no config dict")

    doc = json.loads(text)
    doc["modelTopology"]["config"]["layers"][0]["config"]["kernel_initializer"]["config"] = 7
    (folder / "model.json").write_text(json.dumps(doc))
    expect_refusal(folder / "model.json", "the model config is malformed (TypeError")

    doc = json.loads(text)
    doc["modelTopology"]["config"]["layers"][0]["class_name"] = "ConvLSTM2D"
    (folder / "model.json").write_text(json.dumps(doc))
    expect_refusal(folder / "model.json", "(ConvLSTM2D)", "glflow has no ConvLSTM2D layer")


def test_tfjs_bilinear_upsampling_is_refused(tmp_path):
    folder = copy_tree(DATA / "tfjs" / "cnn2d", tmp_path / "c")
    doc = json.loads((folder / "model.json").read_text())
    for entry in doc["modelTopology"]["config"]["layers"]:
        if entry["class_name"] == "UpSampling2D":
            entry["config"]["interpolation"] = "bilinear"
    (folder / "model.json").write_text(json.dumps(doc))
    expect_refusal(folder / "model.json", "(UpSampling2D)", "half-pixel")


def test_activation_layers_export_and_come_back(tmp_path):
    """ReLU, LeakyReLU, PReLU, ELU and Softmax as TF.js names and configures them (TF.js 4.22
    in Node loaded this model's export and predicted the same, within 1e-6, when written)."""
    rng = np.random.default_rng(3)
    model = gf.Sequential([layers.Input((6,)), layers.Dense(8), layers.ReLU(max_value=1.5),
                           layers.Dense(8), layers.LeakyReLU(negative_slope=0.1),
                           layers.Dense(8), layers.PReLU(alpha_initializer="ones"),
                           layers.Dense(8), layers.ELU(), layers.Dense(4),
                           layers.Softmax()])
    prelu = next(layer for layer in model.layers if isinstance(layer, layers.PReLU))
    prelu.set_weights([rng.uniform(0.1, 0.5, (8,)).astype(np.float32)])
    model.save(tmp_path / "web" / "model.json")
    doc = json.loads((tmp_path / "web" / "model.json").read_text())
    configs = {entry["class_name"]: entry["config"]
               for entry in doc["modelTopology"]["config"]["layers"]}
    assert configs["ReLU"]["max_value"] == 1.5 and "threshold" not in configs["ReLU"]
    assert configs["LeakyReLU"]["alpha"] == pytest.approx(0.1)
    assert configs["ELU"]["alpha"] == 1.0
    assert configs["Softmax"]["axis"] == -1
    again = gf.models.load_model(tmp_path / "web" / "model.json")
    assert [type(layer) for layer in again.layers] == [type(layer) for layer in model.layers]
    x = rng.standard_normal((5, 6)).astype(np.float32)
    np.testing.assert_array_equal(again.predict(x, verbose=0), model.predict(x, verbose=0))
