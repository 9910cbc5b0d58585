"""Keras model files (.keras from Keras 3, legacy .h5 from Keras 3 and from tf_keras, the
Keras 2 line) load into glflow models that predict what Keras predicted, train, and refuse
what glflow cannot represent with an error naming the file, the layer and the option, leaving
no tensor behind. The files and Keras' own outputs come from tests/data/generate/keras_models.py
(tolerance: see model_file_checks.py)."""
import gc
import json
import zipfile

import h5py
import numpy as np
import pytest
from model_file_checks import (DATA, TOLERANCE, assert_predicts, expect_refusal, layer_config,
                               live, predict, reference, rewrite_h5, rewrite_keras)

import glflow as gf
from glflow import layers
from glflow.io.keras_compile import restore_compile

MODELS = ["mlp", "activations", "cnn2d", "conv1d", "recurrent", "masked", "masked_functional",
          "merge", "rescaling"]
FILES = ([DATA / "keras3" / f"{name}.keras" for name in MODELS]
         + [DATA / "keras3" / f"{name}.h5" for name in ("recurrent", "merge")]
         + [DATA / "keras2" / f"{name}.h5" for name in MODELS])


@pytest.mark.parametrize("path", FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_keras_file_predicts_what_keras_predicted(path):
    model = gf.models.load_model(path)
    assert_predicts(model, path.with_suffix(".npz"))


def test_graph_structure_survives_loading():
    model = gf.models.load_model(DATA / "keras3" / "merge.keras")
    assert model.input_names == ["a", "b", "c"]
    assert model.output_names == ["head1", "head2"]
    shared = model.get_layer("shared")
    assert len(shared._inbound_nodes) == 3  # one layer called on a, b, and a again
    recurrent = gf.models.load_model(DATA / "keras2" / "recurrent.h5")
    kinds = {type(layer).__name__ for layer in recurrent.layers}
    assert {"Embedding", "LSTM", "GRU", "SimpleRNN", "Bidirectional",
            "TimeDistributed"} <= kinds
    gru = [layer for layer in recurrent.layers if type(layer).__name__ == "GRU"]
    assert [g.reset_after for g in gru] == [True, False]


@pytest.mark.parametrize("path", [DATA / "keras3" / "mlp.keras", DATA / "keras2" / "mlp.h5"],
                         ids=["keras3", "keras2"])
def test_loaded_model_is_compiled_and_trains(path, capsys):
    model = gf.models.load_model(path)
    assert model.compiled and type(model.optimizer).__name__ == "Adam"
    assert model.optimizer.learning_rate == pytest.approx(0.005)
    assert not model.layers[0].trainable  # frozen in Keras, frozen here
    inputs, _ = reference(path.with_suffix(".npz"))
    x = np.repeat(inputs[0], 4, axis=0)
    y = np.arange(len(x)) % 3
    frozen = model.layers[0].get_weights()
    before = model.evaluate(x, y, verbose=0, return_dict=True)
    model.fit(x, y, epochs=3, batch_size=5, verbose=0)
    after = model.evaluate(x, y, verbose=0, return_dict=True)
    assert set(before) == {"loss", "accuracy"} and after["loss"] < before["loss"]
    for a, b in zip(frozen, model.layers[0].get_weights()):
        np.testing.assert_array_equal(a, b)
    model.summary()
    assert "dense" in capsys.readouterr().out
    uncompiled = gf.models.load_model(path, compile=False)
    assert not uncompiled.compiled


def test_uncompiled_file_loads_uncompiled_and_compiles():
    model = gf.models.load_model(DATA / "keras3" / "conv1d.keras")
    assert not model.compiled
    inputs, outputs = reference(DATA / "keras3" / "conv1d.npz")
    model.compile("sgd", "mse")
    loss = model.evaluate(inputs[0], outputs[0], verbose=0)
    assert loss == pytest.approx(0.0, abs=1e-9)  # its own predictions as targets


def test_native_round_trip_of_a_loaded_keras_model(tmp_path):
    model = gf.models.load_model(DATA / "keras3" / "recurrent.keras")
    model.save(tmp_path / "recurrent.glflow")
    again = gf.models.load_model(tmp_path / "recurrent.glflow")
    inputs, _ = reference(DATA / "keras3" / "recurrent.npz")
    np.testing.assert_array_equal(predict(again, inputs)[0], predict(model, inputs)[0])


# --------------------------------------------------------------------------- refusals

def test_unknown_layer_is_named_before_anything_is_allocated(tmp_path):
    """UnitNormalization is a Keras layer glflow lacks: keras3/unknown_layer.keras holds one
    as Keras 3 wrote it; in a tf_keras file it takes the place of the Rescaling layer."""
    def unit_normalization(config):
        entry = next(e for e in config["config"]["layers"] if e["class_name"] == "Rescaling")
        entry["class_name"] = "UnitNormalization"
        entry["config"] = {"name": "unit", "trainable": True, "dtype": "float32", "axis": -1}
    keras2 = rewrite_h5(DATA / "keras2" / "rescaling.h5", tmp_path / "unknown.h5",
                        unit_normalization)
    for path in (DATA / "keras3" / "unknown_layer.keras", keras2):
        expect_refusal(lambda: gf.models.load_model(path), str(path), "'unit'",
                       "UnitNormalization", "glflow has no UnitNormalization layer")


def test_lambda_layer_is_refused_with_the_reason(tmp_path):
    def to_lambda(config):
        for entry in config["config"]["layers"]:
            if entry["class_name"] == "Activation":
                entry["class_name"] = "Lambda"
                entry["config"]["function"] = {"class_name": "__lambda__", "config": {
                    "code": "4wEAAAAAAAAA", "defaults": None, "closure": None}}
    path = rewrite_keras(DATA / "keras3" / "mlp.keras", tmp_path / "l.keras", to_lambda)
    expect_refusal(lambda: gf.models.load_model(path), "'activation' (Lambda)",
                   "Python function cannot be loaded")


@pytest.mark.parametrize("edit, fragments", [
    (lambda c: layer_config(c, "dense").update(kernel_constraint={
        "class_name": "MaxNorm", "config": {"max_value": 2}}),
     ["'dense' (Dense)", "kernel_constraint", "MaxNorm"]),
    (lambda c: layer_config(c, "dense_1").update(activation="hard_sigmoid"),
     ["'dense_1' (Dense)", "activation='hard_sigmoid'", "relu6(x + 3) / 6"]),
    (lambda c: layer_config(c, "dense_1").update(lora_rank=4),
     ["lora_rank=4"]),
    (lambda c: layer_config(c, "dense_1").update(dtype="mixed_float16"),
     ["dtype='mixed_float16'", "float32"]),
    (lambda c: layer_config(c, "layer_normalization").update(rms_scaling=True),
     ["'layer_normalization' (LayerNormalization)", "rms_scaling=True"]),
    (lambda c: layer_config(c, "dense_2").update(kernel_initializer="no_such_init"),
     ["kernel_initializer='no_such_init'", "unknown initializer"]),
], ids=["constraint", "keras3-hard-sigmoid", "lora", "mixed-precision", "rms-norm",
        "initializer"])
def test_unsupported_option_is_named(tmp_path, edit, fragments):
    path = rewrite_keras(DATA / "keras3" / "mlp.keras", tmp_path / "edited.keras", edit)
    expect_refusal(lambda: gf.models.load_model(path), str(path), *fragments)


def test_recurrent_dropout_loads_and_stateful_is_refused(tmp_path):
    def edit(config):
        layer_config(config, "lstm").update(dropout=0.2, recurrent_dropout=0.1)
    path = rewrite_keras(DATA / "keras3" / "recurrent.keras", tmp_path / "drop.keras", edit)
    lstm = next(l for l in gf.models.load_model(path).layers if l.name == "lstm")
    assert (lstm.dropout, lstm.recurrent_dropout) == (0.2, 0.1)

    def stateful(config):
        layer_config(config, "gru").update(stateful=True)
    path = rewrite_keras(DATA / "keras3" / "recurrent.keras", tmp_path / "state.keras",
                         stateful)
    expect_refusal(lambda: gf.models.load_model(path), "'gru' (GRU)", "stateful=True")


def test_a_call_with_training_true_is_refused(tmp_path):
    """Keras' Monte Carlo dropout idiom (dropout at inference) has no glflow equivalent."""
    def always_training(config):
        for entry in config["config"]["layers"]:
            if entry["class_name"] == "LSTM":
                entry["inbound_nodes"][0]["kwargs"]["training"] = True
                break
    path = rewrite_keras(DATA / "keras3" / "recurrent.keras", tmp_path / "mc.keras",
                         always_training)
    expect_refusal(lambda: gf.models.load_model(path), "'lstm' (LSTM)", "training=True")


def test_a_mask_glflow_cannot_carry_is_refused(tmp_path):
    def sequences(config):
        layer_config(config, "LSTM").update(return_sequences=True)
    path = rewrite_keras(DATA / "keras3" / "masked.keras", tmp_path / "m.keras", sequences)
    expect_refusal(lambda: gf.models.load_model(path), "mask_zero=True",
                   "return_sequences=False")


def test_explicit_mask_must_be_the_embeddings_padding_mask(tmp_path):
    def unmasked(config):
        layer_config(config, "Embedding")["mask_zero"] = False  # the `ids != 0` node stays
    path = rewrite_keras(DATA / "keras3" / "masked_functional.keras", tmp_path / "m.keras",
                         unmasked)
    expect_refusal(lambda: gf.models.load_model(path), "(LSTM)",
                   "a mask glflow cannot reproduce")


def test_weights_that_do_not_fit_free_the_half_built_model(tmp_path):
    def wider(config):
        layer_config(config, "dense_2")["units"] = 4  # the file stores 3 units
    path = rewrite_keras(DATA / "keras3" / "mlp.keras", tmp_path / "wide.keras", wider)
    expect_refusal(lambda: gf.models.load_model(path), "'dense_2' (Dense)", "shape [7, 3]",
                   "[7, 4]")


def test_truncated_and_foreign_files(tmp_path):
    whole = (DATA / "keras3" / "mlp.keras").read_bytes()
    cut = tmp_path / "cut.keras"
    cut.write_bytes(whole[:len(whole) // 2])
    expect_refusal(lambda: gf.models.load_model(cut), str(cut), "not a complete .keras file")

    legacy = (DATA / "keras2" / "mlp.h5").read_bytes()
    cut_h5 = tmp_path / "cut.h5"
    cut_h5.write_bytes(legacy[:len(legacy) // 2])
    expect_refusal(lambda: gf.models.load_model(cut_h5), str(cut_h5),
                   "not a readable HDF5 file")

    text = tmp_path / "notes.keras"
    text.write_text("not a model")
    expect_refusal(lambda: gf.models.load_model(text), str(text),
                   "not a complete .keras file")

    other_zip = tmp_path / "photos.keras"
    with zipfile.ZipFile(other_zip, "w") as archive:
        archive.writestr("cat.txt", "meow")
    expect_refusal(lambda: gf.models.load_model(other_zip), "not a .keras model",
                   "no config.json")


@pytest.mark.parametrize("source", [DATA / "keras3" / "recurrent.keras",
                                    DATA / "keras2" / "merge.h5"], ids=["keras", "h5"])
def test_damaged_files_give_value_errors(source, tmp_path):
    """Cut short or with flipped bytes anywhere: a ValueError naming the file, or (bytes that
    only change weight values; HDF5 has no checksum) a model. Never another exception."""
    rng = np.random.default_rng(0)
    data = source.read_bytes()
    gc.collect()
    before = live()
    for trial in range(16):
        damaged = bytearray(data[:int(rng.integers(1, len(data)))] if trial < 8 else data)
        if trial >= 8:
            for at in rng.integers(0, len(data), 8):
                damaged[at] ^= 0xFF
        path = tmp_path / f"{trial}{source.suffix}"
        path.write_bytes(bytes(damaged))
        try:
            gf.models.load_model(path, compile=False)
        except ValueError as error:
            assert str(path) in str(error)
    gc.collect()
    assert live() == before


def test_weights_only_h5_is_refused(tmp_path):
    path = tmp_path / "weights.h5"
    with h5py.File(path, "w") as f:
        f.attrs["layer_names"] = [b"dense"]
        f.create_group("dense").attrs["weight_names"] = [b"dense/kernel:0"]
    expect_refusal(lambda: gf.models.load_model(path), "holds only weights")


def test_subclassed_and_nested_models_are_refused(tmp_path):
    def subclassed(config):
        config["class_name"] = "MyNet"
    path = rewrite_keras(DATA / "keras3" / "mlp.keras", tmp_path / "sub.keras", subclassed)
    expect_refusal(lambda: gf.models.load_model(path), "MyNet", "Sequential and functional")

    def nested(config):
        inner = json.loads(json.dumps(config))
        config["config"]["layers"].insert(1, inner)
    path = rewrite_keras(DATA / "keras3" / "mlp.keras", tmp_path / "nested.keras", nested)
    expect_refusal(lambda: gf.models.load_model(path), "nested Sequential")


def test_keras_relu_layer_loads_as_glflows(tmp_path):
    """ReLU(max_value=6) written into a Keras 3 file loads as glflow's ReLU layer."""
    def relu_layers(config):
        entries = config["config"]["layers"]
        entries.insert(3, {"module": "keras.layers", "class_name": "ReLU", "config": {
            "name": "clip6", "trainable": True, "dtype": "float32", "max_value": 6.0,
            "negative_slope": 0.0, "threshold": 0.0}})
    path = rewrite_keras(DATA / "keras3" / "mlp.keras", tmp_path / "relu.keras", relu_layers)
    model = gf.models.load_model(path)
    clip = model.get_layer("clip6")
    assert isinstance(clip, layers.ReLU)
    x = np.array([[-3.0, 0.5, 7.0]], np.float32)
    np.testing.assert_allclose(clip(x).numpy(), np.clip(x, 0, 6), **TOLERANCE)


# compile_config entries as Keras 3.15 writes them (copied from its .keras files)
def _keras3(module, class_name, **config):
    return {"module": module, "class_name": class_name, "config": config,
            "registered_name": None}


SGD = _keras3("keras.optimizers", "SGD", name="sgd", learning_rate=0.1, weight_decay=None,
              clipnorm=None, global_clipnorm=None, clipvalue=None, use_ema=False,
              ema_momentum=0.99, ema_overwrite_frequency=None, loss_scale_factor=None,
              gradient_accumulation_steps=None, momentum=0.9, nesterov=True)


@pytest.mark.parametrize("loss, metrics, loss_class, metric_names", [
    (_keras3("keras.losses", "SparseCategoricalCrossentropy",
             name="sparse_categorical_crossentropy", reduction="sum_over_batch_size",
             from_logits=True, ignore_class=None),
     [_keras3("keras.metrics", "SparseCategoricalAccuracy",
              name="sparse_categorical_accuracy", dtype="float32")],
     "SparseCategoricalCrossentropy", ["sparse_categorical_accuracy"]),
    (_keras3("keras.losses", "BinaryCrossentropy", name="binary_crossentropy",
             reduction="sum_over_batch_size", from_logits=False, label_smoothing=0.1, axis=-1),
     ["accuracy", _keras3("keras.metrics", "AUC", name="auc", dtype="float32",
                          num_thresholds=200, curve="ROC", summation_method="interpolation",
                          multi_label=False, num_labels=None, label_weights=None,
                          from_logits=False)],
     "BinaryCrossentropy", ["accuracy", "auc"]),
    ("mse", ["mae"], None, ["mae"]),
], ids=["sparse", "binary-auc", "names"])
def test_keras3_compile_configs(loss, metrics, loss_class, metric_names):
    units = 2 if loss_class == "SparseCategoricalCrossentropy" else 1
    model = gf.Sequential([layers.Input((3,)), layers.Dense(units, activation="sigmoid")])
    config = {"optimizer": SGD, "loss": loss, "metrics": metrics, "loss_weights": None}
    restore_compile(model, config, "load_model: 'x.keras'")
    assert model.compiled and type(model.optimizer).__name__ == "SGD"
    assert model.optimizer.get_config()["nesterov"] is True
    compiled_loss = model._compile_config["loss"]
    assert (compiled_loss == loss if loss_class is None
            else type(compiled_loss).__name__ == loss_class)
    x = np.random.default_rng(0).normal(size=(8, 3)).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.float32)
    result = model.evaluate(x, y if units == 2 else y[:, None], verbose=0, return_dict=True)
    assert set(result) == {"loss", *metric_names}


def test_compile_settings_glflow_lacks_warn_and_leave_the_model_uncompiled():
    model = gf.Sequential([layers.Input((3,)), layers.Dense(1)])
    lion = _keras3("keras.optimizers", "Lion", learning_rate=0.001)
    with pytest.warns(UserWarning, match="glflow has no Lion optimizer"):
        restore_compile(model, {"optimizer": lion, "loss": "mse"}, "load_model: 'x.keras'")
    assert not model.compiled
