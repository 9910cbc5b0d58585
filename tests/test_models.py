"""Sequential, functional (multi-input/output, shared and nested) and subclassed models:
outputs against numpy, configs, summary/plots, and clear errors for bad graphs or inputs."""
import numpy as np
import pytest

import glflow as gf
from glflow import layers, models, vis


def _dense_ref(layer, x, act=lambda z: z):
    w, b = layer.get_weights()
    return act(x @ w + b)


def relu(z):
    return np.maximum(z, 0)


def test_sequential_builds_from_input_and_matches_numpy():
    model = models.Sequential([layers.Input((4,)), layers.Dense(6, activation="relu"),
                               layers.Dense(2)], name="seq")
    assert model.built and model.count_params() == 4 * 6 + 6 + 6 * 2 + 2
    assert model.output_shape == (None, 2)
    x = np.random.default_rng(0).normal(size=(5, 4)).astype(np.float32)
    want = _dense_ref(model.layers[1], _dense_ref(model.layers[0], x, relu))
    np.testing.assert_allclose(model(x).numpy(), want, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(model.predict(x, batch_size=2), want, rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match=r"expects shape \[None, 4\], got data of shape \[5, 3\]"):
        model(x[:, :3])


def test_sequential_lazy_build_add_pop_and_input_shape_kwarg():
    lazy = models.Sequential([layers.Dense(3), layers.Dense(1)])
    assert not lazy.built
    lazy(np.ones((2, 7), np.float32))
    assert lazy.built and lazy.layers[0].kernel.shape == [7, 3]
    with pytest.raises(ValueError, match="size 7 on axis -1"):
        lazy(np.ones((2, 6), np.float32))
    eager = models.Sequential([layers.Dense(3, input_shape=(5,))])
    assert eager.built and eager.output_shape == (None, 3)
    eager.add(layers.Dense(2, name="head"))
    assert eager.output_shape == (None, 2)
    assert eager.pop().name == "head" and eager.output_shape == (None, 3)
    with pytest.raises(ValueError, match="two layers are named 'x'"):
        models.Sequential([layers.Dense(1, name="x"), layers.Dense(1, name="x")])
    with pytest.raises(TypeError, match="expects a Layer"):
        models.Sequential([np.ones(3)])
    with pytest.raises(ValueError, match="input shape is unknown"):
        models.Sequential([layers.Dense(1)]).build()


def _two_in_two_out():
    a = layers.Input((4,), name="a")
    b = layers.Input((3,), name="b")
    shared = layers.Dense(5, activation="tanh", name="shared")
    ha, hb = shared(a), shared(layers.Dense(4, name="lift")(b))
    joined = layers.Concatenate(name="cat")([ha, hb])
    out1 = layers.Dense(1, name="score")(joined)
    out2 = layers.Dense(3, activation="softmax", name="probs")(layers.Add(name="sum")([ha, hb]))
    return models.Model([a, b], [out1, out2], name="two_by_two")


def test_functional_multi_io_shared_layer_matches_numpy():
    model = _two_in_two_out()
    assert [layer.name for layer in model.layers] == ["a", "b", "shared", "lift", "cat",
                                                      "score", "sum", "probs"]
    assert model.input_names == ["a", "b"] and model.output_names == ["score", "probs"]
    rng = np.random.default_rng(1)
    xa, xb = rng.normal(size=(6, 4)).astype(np.float32), rng.normal(size=(6, 3)).astype(np.float32)
    get = model.get_layer
    ha = _dense_ref(get("shared"), xa, np.tanh)
    hb = _dense_ref(get("shared"), _dense_ref(get("lift"), xb), np.tanh)
    logits = _dense_ref(get("probs"), ha + hb)
    want2 = np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)
    want1 = _dense_ref(get("score"), np.concatenate([ha, hb], -1))
    got1, got2 = model([xa, xb])
    np.testing.assert_allclose(got1.numpy(), want1, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(got2.numpy(), want2, rtol=1e-5, atol=1e-6)
    by_name = model({"b": xb, "a": xa})
    np.testing.assert_array_equal(by_name[0].numpy(), got1.numpy())
    assert model.compute_output_shape([(None, 4), (None, 3)]) == [(None, 1), (None, 3)]
    with pytest.raises(ValueError, match=r"expects 2 input\(s\) \['a', 'b'\], got 1"):
        model(xa)
    with pytest.raises(ValueError, match="keys"):
        model({"a": xa})
    with pytest.raises(ValueError, match=r"Input 'b' expects shape \[None, 3\]"):
        model([xa, xa])


def test_functional_graph_errors():
    a, b = layers.Input((2,), name="ga"), layers.Input((2,), name="gb")
    out = layers.Add()([a, b])
    with pytest.raises(ValueError, match="not among the model's inputs"):
        models.Model(a, out)
    with pytest.raises(ValueError, match="come straight from Input"):
        models.Model(layers.Dense(2)(a), out)
    with pytest.raises(TypeError, match="symbolic tensors"):
        models.Model(a, np.ones(2))
    with pytest.raises(ValueError, match="give both inputs and outputs"):
        models.Model(inputs=a)
    dup = layers.Dense(2, name="same")(layers.Dense(2, name="same")(a))
    with pytest.raises(ValueError, match="two layers are named 'same'"):
        models.Model(a, dup)
    with pytest.raises(TypeError, match="symbolic"):
        np.asarray(a)


def test_nested_models_and_config_round_trip():
    inner = models.Sequential([layers.Input((3,)), layers.Dense(4, activation="relu")],
                              name="inner")
    x = layers.Input((3,), name="x")
    y = layers.Dense(2, name="top")(inner(x))
    outer = models.Model(x, {"y": y}, name="outer")
    data = np.random.default_rng(2).normal(size=(4, 3)).astype(np.float32)
    got = outer(data)["y"].numpy()
    want = _dense_ref(outer.get_layer("top"), _dense_ref(inner.layers[0], data, relu))
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    clone = models.Model.from_config(outer.get_config())
    clone.set_weights(outer.get_weights())
    np.testing.assert_array_equal(clone(data)["y"].numpy(), got)
    fresh = models.clone_model(_two_in_two_out())
    assert [w.shape for w in fresh.weights] == [w.shape for w in _two_in_two_out().weights]


def test_subclassed_model_training_flag_and_build():
    class Net(models.Model):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.hidden = layers.Dense(8, activation="relu")
            self.out = layers.Dense(2)
            self.seen_training = []

        def call(self, inputs, training=None):
            self.seen_training.append(training)
            return self.out(self.hidden(inputs))

    net = Net(name="net")
    assert net.weights == []
    net.build((None, 5))
    assert [w.shape for w in net.trainable_weights] == [[5, 8], [8], [8, 2], [2]]
    x = np.ones((3, 5), np.float32)
    want = _dense_ref(net.out, _dense_ref(net.hidden, x, relu))
    np.testing.assert_allclose(net(x, training=True).numpy(), want, rtol=1e-5, atol=1e-6)
    assert net.seen_training[-1] is True and len(net.layers) == 2
    with pytest.raises(NotImplementedError, match="define call"):
        models.Model()(x)


def test_training_flag_reaches_nested_layers():
    seen = []

    class Probe(layers.Layer):
        def call(self, x, training=False):
            seen.append(training)
            return x

    x = layers.Input((2,))
    model = models.Model(x, layers.Dense(2)(Probe()(x)))
    seen.clear()  # building ran call once to infer the output shape
    model(np.ones((1, 2), np.float32), training=True)
    model(np.ones((1, 2), np.float32))
    assert seen == [True, False]


def test_summary_lists_layers_and_totals():
    lines = []
    model = _two_in_two_out()
    model.summary(print_fn=lines.append)
    text = "\n".join(lines)
    assert 'Model: "two_by_two"' in text
    assert "shared (Dense)" in text and "multiple" in text  # shared: two output nodes
    assert "cat (Concatenate)" in text and "shared, shared" in text
    assert f"Total params: {model.count_params()}" in text
    lines.clear()
    seq = models.Sequential([layers.Input((3,)), layers.Dense(2, name="d")])
    seq.layers[0].trainable = False
    seq.summary(print_fn=lines.append)
    text = "\n".join(lines)
    assert "d (Dense)" in text and "(None, 2)" in text and "Non-trainable params: 8" in text


def test_plot_model_and_history_write_png(tmp_path):
    png = b"\x89PNG\r\n\x1a\n"
    path = vis.plot_model(_two_in_two_out(), tmp_path / "model.png")
    with open(path, "rb") as f:
        assert f.read(8) == png
    history = {"loss": [1.0, 0.5, 0.3], "val_loss": [1.1, 0.7, 0.6], "accuracy": [0.5, 0.7, 0.8]}
    path = vis.plot_history(history, tmp_path / "history.png")
    with open(path, "rb") as f:
        assert f.read(8) == png
    with pytest.raises(ValueError, match="no values for"):
        vis.plot_history(history, tmp_path / "x.png", keys=["auc"])


def test_plot_history_labels_whole_epochs(tmp_path, monkeypatch):
    # Three epochs were labelled 1.00, 1.25, 1.50, ... on the epoch axis.
    from matplotlib.figure import Figure
    figures = []
    real_savefig = Figure.savefig

    def keep(fig, *args, **kwargs):
        figures.append(fig)
        return real_savefig(fig, *args, **kwargs)
    monkeypatch.setattr(Figure, "savefig", keep)
    vis.plot_history({"loss": [1.0, 0.5, 0.3], "accuracy": [0.5, 0.7, 0.8]},
                     tmp_path / "history.png")
    (fig,) = figures
    for ax in fig.axes:
        lo, hi = ax.get_xlim()
        ticks = [t for t in ax.get_xticks() if lo <= t <= hi]
        assert ticks and all(float(t).is_integer() for t in ticks), ticks
