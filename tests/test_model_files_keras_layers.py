"""Every layer glflow has loads from Keras files. The files under tests/data/keras3 named in
LAYER_FILES were written by Keras 3 itself (tests/data/generate/keras3_layers.py), as .keras
and as legacy .h5, with Keras' own predictions (Rescaling, in both Keras lines, is with the
older models in test_model_files_keras.py). A glflow layer class without a rule in
keras_config.RULES fails here, unless it is listed in NO_KERAS_RULE with the reason."""
import h5py
import numpy as np
import pytest
from model_file_checks import (DATA, assert_predicts, expect_refusal, layer_config, predict,
                               reference, rewrite_keras)

import glflow as gf
from glflow import layers
from glflow.io.keras_config import RULES

LAYER_FILES = ["activation_layers", "preprocessing", "images", "volumes", "sequences",
               "masking", "attention"]

# glflow layer classes that no Keras model file holds as a layer of its own
NO_KERAS_RULE = {
    layers.Layer: "the base class; a custom layer's code is not in the file",
    layers.InputLayer: "an input of the model, read by keras_config.translate_input",
    layers.Lambda: "its Python function is not in the file; refused with that reason",
}


def _layer_classes():
    found = set()
    for name in layers.__all__:
        value = getattr(layers, name)
        if isinstance(value, type) and issubclass(value, layers.Layer):
            found.add(value)
    return found


def test_every_glflow_layer_has_a_keras_rule():
    ruled = {rule.cls for rule in RULES.values()}
    missing = sorted(c.__name__ for c in _layer_classes() - ruled - set(NO_KERAS_RULE))
    assert not missing, f"glflow layers with no rule in keras_config.RULES: {missing}"
    assert not set(NO_KERAS_RULE) & ruled
    for keras_name, rule in RULES.items():  # Keras writes the class name glflow's class has
        assert rule.cls.__name__ == keras_name


@pytest.mark.parametrize("path", [DATA / "keras3" / f"{name}{suffix}" for name in LAYER_FILES
                                  for suffix in (".keras", ".h5")],
                         ids=lambda p: p.name)
def test_keras_file_predicts_what_keras_predicted(path):
    model = gf.models.load_model(path)
    assert_predicts(model, path.with_suffix(".npz"))


# the glflow class each Keras layer of the files becomes (the rule's target, not a stand-in)
EXPECTED_CLASSES = {
    "activation_layers": {"LeakyReLU", "PReLU", "ELU", "ReLU", "Softmax"},
    "preprocessing": {"Rescaling", "Normalization", "GaussianNoise", "GaussianDropout"},
    "images": {"PReLU", "Cropping2D", "SpatialDropout2D"},
    "volumes": {"Conv3D", "MaxPooling3D", "AveragePooling3D", "GlobalMaxPooling3D",
                "GlobalAveragePooling3D"},
    "sequences": {"Cropping1D", "SpatialDropout1D", "RepeatVector"},
    "masking": {"Masking", "LSTM"},
    "attention": {"Attention", "MultiHeadAttention"},
}


@pytest.mark.parametrize("name", LAYER_FILES)
def test_loaded_layers_are_glflows_own_and_save_round_trips(name, tmp_path):
    """The loaded model holds glflow's layer of each class, and `model.save` under a .keras or
    .h5 name (glflow's own format; glflow does not write Keras files) loads back predicting
    exactly the same."""
    model = gf.models.load_model(DATA / "keras3" / f"{name}.keras")
    assert EXPECTED_CLASSES[name] <= {type(layer).__name__ for layer in model.layers}
    inputs, _ = reference(DATA / "keras3" / f"{name}.npz")
    expected = predict(model, inputs)
    for suffix in (".keras", ".h5"):
        model.save(tmp_path / f"again{suffix}")
        again = gf.models.load_model(tmp_path / f"again{suffix}")
        for got, want in zip(predict(again, inputs), expected):
            np.testing.assert_array_equal(got, want)


def test_normalization_keeps_keras_mean_and_variance():
    """Adapted values are weights in the file (Keras' extra `count` is dropped); given values
    are in the config and make the layer's weights."""
    model = gf.models.load_model(DATA / "keras3" / "preprocessing.keras")
    adapted, fixed = model.get_layer("adapted"), model.get_layer("fixed")
    with h5py.File(DATA / "keras3" / "preprocessing.h5", "r") as f:
        group = f["model_weights"]["adapted"]
        stored = [np.asarray(group[n]) for n in (w.decode() if isinstance(w, bytes) else w
                                                 for w in group.attrs["weight_names"])]
    assert [s.shape for s in stored] == [(5,), (5,), ()]  # mean, variance, count
    np.testing.assert_array_equal(adapted.mean.numpy(), stored[0])
    np.testing.assert_array_equal(adapted.variance.numpy(), stored[1])
    np.testing.assert_allclose(fixed.mean.numpy(), [0.1, -0.2, 0.3, 0.0, 1.0], rtol=1e-7)
    np.testing.assert_allclose(fixed.variance.numpy(), [1.0, 2.0, 0.5, 4.0, 1.5], rtol=1e-7)


def test_keras2_spellings(tmp_path):
    """tf.keras writes LeakyReLU's slope as `alpha`, and passes MultiHeadAttention's value as
    a keyword argument of the call ([layer, node, tensor] in the query's node)."""
    def leaky_alpha(config):
        leaky = layer_config(config, "LeakyReLU")
        leaky["alpha"] = leaky.pop("negative_slope")
    path = rewrite_keras(DATA / "keras3" / "activation_layers.keras", tmp_path / "a.keras",
                         leaky_alpha)
    assert_predicts(gf.models.load_model(path), DATA / "keras3" / "activation_layers.npz")

    def keras2_nodes(config):
        for entry in config["config"]["layers"]:
            if entry["class_name"] == "MultiHeadAttention":
                nodes = []
                for node in entry["inbound_nodes"]:
                    query, *rest = (a["config"]["keras_history"] for a in node["args"])
                    nodes.append([query + [dict(zip(("value", "key"), rest))]])
                entry["inbound_nodes"] = nodes
    path = rewrite_keras(DATA / "keras3" / "attention.keras", tmp_path / "m.keras",
                         keras2_nodes)
    assert_predicts(gf.models.load_model(path), DATA / "keras3" / "attention.npz")


def test_a_masking_mask_glflow_cannot_carry_is_refused(tmp_path):
    def sequences(config):
        layer_config(config, "LSTM").update(return_sequences=True)
    path = rewrite_keras(DATA / "keras3" / "masking.keras", tmp_path / "m.keras", sequences)
    expect_refusal(lambda: gf.models.load_model(path), "(LSTM)", "Masking",
                   "return_sequences=False")
