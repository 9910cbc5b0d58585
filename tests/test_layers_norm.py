"""BatchNormalization, LayerNormalization, ZeroPadding2D and UpSampling2D: values against numpy
formulas written here, gl vs cpu and gradients (input and weights) through check_layer,
moving statistics, configs, saving, and input checks."""
import numpy as np
import pytest
from helpers import normal, positive
from layer_checks import check_layer

import glflow as gf
from glflow import layers


def np_normalize(x, axes, gamma, beta, eps, mean=None, var=None):
    """(x - mean) / sqrt(var + eps) * gamma + beta, stats over every axis not in `axes`
    unless given; gamma/beta broadcast on `axes`."""
    shape = [x.shape[a] if a in axes else 1 for a in range(x.ndim)]
    reduce = tuple(a for a in range(x.ndim) if a not in axes)
    x64 = x.astype(np.float64)
    mean = x64.mean(reduce, keepdims=True) if mean is None else mean.reshape(shape)
    var = x64.var(reduce, keepdims=True) if var is None else var.reshape(shape)
    return (x64 - mean) / np.sqrt(var + eps) * gamma.reshape(shape) + beta.reshape(shape)


# Normalised outputs against float64 numpy: float32 statistics over <= 105 values, then one
# division, land within ~1e-6 relative (measured: under 1e-7 absolute beyond 1e-5 relative);
# rtol 1e-5 leaves 10x, atol 1e-6 covers outputs near 0.
NORM_TOL = {"rtol": 1e-5, "atol": 1e-6}


def np_layer_norm(x, axes, gamma, beta, eps):
    shape = [x.shape[a] if a in axes else 1 for a in range(x.ndim)]
    x64 = x.astype(np.float64)
    mean = x64.mean(tuple(axes), keepdims=True)
    var = x64.var(tuple(axes), keepdims=True)
    return (x64 - mean) / np.sqrt(var + eps) * gamma.reshape(shape) + beta.reshape(shape)


# ---------------------------------------------------------------- BatchNormalization
@pytest.mark.parametrize("shape, axis", [((7, 5), -1), ((3, 5, 7, 3), -1), ((3, 3, 5, 2), 1),
                                          ((2, 3, 5, 3), [1, 3])])
def test_batch_norm_training_matches_numpy_and_gradients(shape, axis):
    rng = np.random.default_rng(3)
    x = (rng.normal(size=shape) * 2 + 1.5).astype(np.float32)
    layer = layers.BatchNormalization(axis=axis, epsilon=1e-3)
    layer.build((None,) + shape[1:])
    gamma = rng.normal(size=layer.gamma.shape).astype(np.float32)
    beta = rng.normal(size=layer.beta.shape).astype(np.float32)
    layer.gamma.assign(gamma)
    layer.beta.assign(beta)
    axes = [a % len(shape) for a in ([axis] if isinstance(axis, int) else axis)]
    got = layer(x, training=True).numpy()
    np.testing.assert_allclose(got, np_normalize(x, axes, gamma, beta, 1e-3), **NORM_TOL)
    # only gamma and beta are traced: in training mode the moving statistics do not enter
    # the output (the layer assigns them as a side effect)
    check_layer(lambda: layers.BatchNormalization(axis=axis), shape,
                weights=[normal(w.shape) for w in layer.trainable_weights],
                call_kwargs={"training": True})


@pytest.mark.parametrize("shape, axis", [((5, 3), -1), ((2, 3, 5, 3), -1), ((3, 3, 2, 5), 1)])
def test_batch_norm_inference_uses_moving_statistics(shape, axis):
    rng = np.random.default_rng(4)
    x = rng.normal(size=shape).astype(np.float32)
    layer = layers.BatchNormalization(axis=axis)
    layer.build((None,) + shape[1:])
    values = [rng.normal(size=w.shape).astype(np.float32) for w in layer.weights[:3]]
    values.append(rng.uniform(0.2, 2.0, size=layer.moving_variance.shape).astype(np.float32))
    layer.set_weights(values)
    gamma, beta, mean, var = values
    got = layer(x).numpy()  # training defaults to False
    want = np_normalize(x, [axis % len(shape)], gamma, beta, 1e-3, mean=mean, var=var)
    np.testing.assert_allclose(got, want, **NORM_TOL)
    sizes = [layer.gamma.shape, layer.beta.shape]
    check_layer(lambda: layers.BatchNormalization(axis=axis), shape,
                weights=[normal(s) for s in sizes] + [normal(sizes[0]), positive(sizes[0])])


def test_batch_norm_moving_statistics_follow_numpy():
    rng = np.random.default_rng(5)
    layer = layers.BatchNormalization(momentum=0.8, center=False, scale=False)
    mean, var = np.zeros(3), np.ones(3)
    for step in range(4):
        x = (rng.normal(size=(6, 5, 3)) * (step + 1) + step).astype(np.float32)
        layer(x, training=True)
        x64 = x.astype(np.float64)
        mean = mean * 0.8 + x64.mean((0, 1)) * 0.2
        var = var * 0.8 + x64.var((0, 1)) * 0.2
    np.testing.assert_allclose(layer.moving_mean.numpy(), mean, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(layer.moving_variance.numpy(), var, rtol=1e-5, atol=1e-6)
    before = layer.moving_mean.numpy()
    layer(x, training=False)  # inference leaves the statistics alone
    np.testing.assert_array_equal(layer.moving_mean.numpy(), before)
    # center=False, scale=False: only the moving statistics, and they are not trainable
    assert not layer.trainable_weights
    assert [w.name.split("/")[-1] for w in layer.non_trainable_weights] == [
        "moving_mean", "moving_variance"]


def test_frozen_batch_norm_runs_in_inference_mode():
    x = np.random.default_rng(6).normal(size=(4, 3)).astype(np.float32) + 2
    layer = layers.BatchNormalization()
    layer.build((None, 3))
    layer.trainable = False
    got = layer(x, training=True).numpy()
    np.testing.assert_allclose(got, x / np.sqrt(1 + 1e-3), rtol=1e-6)
    np.testing.assert_array_equal(layer.moving_mean.numpy(), np.zeros(3))


def test_batch_norm_in_a_model_trains_and_saves_moving_statistics(tmp_path):
    gf.set_seed(0)
    rng = np.random.default_rng(7)
    x = (rng.normal(size=(40, 4)) * 3 + 2).astype(np.float32)
    y = (x[:, :1] - x[:, 1:2]).astype(np.float32)
    model = gf.Sequential([layers.Input((4,)), layers.BatchNormalization(momentum=0.5),
                           layers.Dense(1)])
    model.compile(gf.optimizers.Adam(0.05), "mse")
    model.fit(x, y, batch_size=40, epochs=3, verbose=0, shuffle=False)
    bn = model.layers[0]
    # full-batch steps: after 3 updates with momentum 0.5 the moving mean is 7/8 of the
    # data mean (it started at 0)
    np.testing.assert_allclose(bn.moving_mean.numpy(), 0.875 * x.mean(0), rtol=1e-6)
    path = str(tmp_path / "bn.glf")
    model.save(path)
    loaded = gf.models.load_model(path)
    np.testing.assert_array_equal(loaded.layers[0].moving_variance.numpy(),
                                  bn.moving_variance.numpy())
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0),
                               rtol=1e-6)


# ---------------------------------------------------------------- LayerNormalization
@pytest.mark.parametrize("shape, axis", [((3, 7), -1), ((2, 3, 5), -1), ((2, 3, 5, 2), [1, 2]),
                                          ((3, 5, 3), 1)])
def test_layer_norm_matches_numpy_and_gradients(shape, axis):
    rng = np.random.default_rng(8)
    x = (rng.normal(size=shape) * 2 - 1).astype(np.float32)
    layer = layers.LayerNormalization(axis=axis)
    layer.build((None,) + shape[1:])
    gamma = rng.normal(size=layer.gamma.shape).astype(np.float32)
    beta = rng.normal(size=layer.beta.shape).astype(np.float32)
    layer.set_weights([gamma, beta])
    axes = [a % len(shape) for a in ([axis] if isinstance(axis, int) else axis)]
    np.testing.assert_allclose(layer(x).numpy(), np_layer_norm(x, axes, gamma, beta, 1e-3),
                               **NORM_TOL)
    check_layer(lambda: layers.LayerNormalization(axis=axis), shape)


def test_layer_norm_without_center_and_scale_has_no_weights():
    x = np.random.default_rng(9).normal(size=(3, 5)).astype(np.float32)
    layer = layers.LayerNormalization(center=False, scale=False, epsilon=1e-5)
    got = layer(x).numpy()
    assert layer.weights == []
    np.testing.assert_allclose(got, np_layer_norm(x, [1], np.ones(5), np.zeros(5), 1e-5),
                               **NORM_TOL)


# ---------------------------------------------------------------- ZeroPadding2D, UpSampling2D
@pytest.mark.parametrize("padding, data_format", [(1, None), ((2, 1), "channels_last"),
                                                  (((0, 2), (3, 1)), "channels_first")])
def test_zero_padding_matches_numpy_and_gradients(padding, data_format):
    x = np.random.default_rng(10).normal(size=(2, 3, 5, 3)).astype(np.float32)
    layer = layers.ZeroPadding2D(padding, data_format=data_format)
    if isinstance(padding, int):
        rows = cols = (padding, padding)
    elif isinstance(padding[0], int):
        rows, cols = (padding[0],) * 2, (padding[1],) * 2
    else:
        rows, cols = padding
    spatial = [rows, cols]
    pads = [(0, 0)] + spatial + [(0, 0)] if data_format != "channels_first" else \
        [(0, 0), (0, 0)] + spatial
    np.testing.assert_array_equal(layer(x).numpy(), np.pad(x, pads))
    check_layer(lambda: layers.ZeroPadding2D(padding, data_format=data_format), (2, 3, 5, 3))


@pytest.mark.parametrize("size, data_format", [((2, 3), None), (2, "channels_first"),
                                               ((1, 1), None)])
def test_upsampling_nearest_matches_numpy_and_gradients(size, data_format):
    x = np.random.default_rng(11).normal(size=(2, 3, 5, 3)).astype(np.float32)
    layer = layers.UpSampling2D(size, data_format=data_format)
    sh, sw = (size, size) if isinstance(size, int) else size
    h_axis = 1 if data_format != "channels_first" else 2
    want = np.repeat(np.repeat(x, sh, axis=h_axis), sw, axis=h_axis + 1)
    np.testing.assert_array_equal(layer(x).numpy(), want)
    check_layer(lambda: layers.UpSampling2D(size, data_format=data_format), (2, 3, 5, 3))


def np_resize_bilinear_half_pixel(x, out_h, out_w):
    """TF2 `resize(method='bilinear')`: sample at (i + 0.5) * in / out - 0.5, clamped."""
    n, h, w, c = x.shape

    def taps(out, size):
        src = np.clip((np.arange(out) + 0.5) * size / out - 0.5, 0, size - 1)
        lo = np.floor(src).astype(int)
        hi = np.minimum(lo + 1, size - 1)
        return lo, hi, src - lo

    y0, y1, fy = taps(out_h, h)
    x0, x1, fx = taps(out_w, w)
    top = x[:, y0][:, :, x0] * (1 - fx)[None, None, :, None] + x[:, y0][:, :, x1] * fx[
        None, None, :, None]
    bottom = x[:, y1][:, :, x0] * (1 - fx)[None, None, :, None] + x[:, y1][:, :, x1] * fx[
        None, None, :, None]
    return top * (1 - fy)[None, :, None, None] + bottom * fy[None, :, None, None]


def test_upsampling_bilinear_matches_numpy_and_gradients():
    x = np.random.default_rng(12).normal(size=(2, 3, 5, 3)).astype(np.float32)
    layer = layers.UpSampling2D((2, 3), interpolation="bilinear")
    np.testing.assert_allclose(layer(x).numpy(), np_resize_bilinear_half_pixel(x, 6, 15),
                               rtol=1e-5, atol=1e-6)
    check_layer(lambda: layers.UpSampling2D((2, 3), interpolation="bilinear"), (2, 3, 5, 3))


# ---------------------------------------------------------------- configs and errors
@pytest.mark.parametrize("make", [
    lambda: layers.BatchNormalization(axis=1, momentum=0.9, epsilon=1e-4, center=False),
    lambda: layers.LayerNormalization(axis=[1, 2], scale=False,
                                      gamma_regularizer="l2"),
    lambda: layers.ZeroPadding2D(((1, 2), (0, 3)), data_format="channels_first"),
    lambda: layers.UpSampling2D((3, 2), interpolation="bilinear"),
])
def test_config_round_trip(make):
    layer = make()
    config = layer.get_config()
    clone = type(layer).from_config(config)
    assert clone.get_config() == config
    again = layers.deserialize(layers.serialize(layer))
    assert type(again) is type(layer) and again.get_config() == config


def test_bad_arguments_and_inputs_raise_clear_errors():
    with pytest.raises(ValueError, match=r"BatchNormalization 'bn_probe'.*momentum"):
        layers.BatchNormalization(momentum=1.5, name="bn_probe")
    with pytest.raises(ValueError, match="epsilon must be a positive"):
        layers.LayerNormalization(epsilon=0)
    with pytest.raises(ValueError, match="axis must be an int"):
        layers.BatchNormalization(axis="channels")
    with pytest.raises(ValueError, match=r"'ln_probe'.*axis 3 is out of range.*\[2, 3\]"):
        layers.LayerNormalization(axis=3, name="ln_probe")(np.zeros((2, 3), np.float32))
    with pytest.raises(ValueError, match="batch axis"):
        layers.BatchNormalization(axis=0)(np.zeros((2, 3), np.float32))
    bn = layers.BatchNormalization(name="bn_built")
    bn(np.zeros((2, 4), np.float32))
    with pytest.raises(ValueError, match=r"'bn_built'.*\[2, 5\].*size 4 on axis 1"):
        bn(np.zeros((2, 5), np.float32))
    with pytest.raises(ValueError, match=r"'bn_built'.*rank 2.*\[2, 4, 1\]"):
        bn(np.zeros((2, 4, 1), np.float32))
    with pytest.raises(ValueError, match=r"ZeroPadding2D layer 'zp'.*rank 4.*\[2, 3, 5\]"):
        layers.ZeroPadding2D(1, name="zp")(np.zeros((2, 3, 5), np.float32))
    with pytest.raises(ValueError, match="padding must be an int"):
        layers.ZeroPadding2D((1, -1))
    with pytest.raises(ValueError, match="data_format must be"):
        layers.UpSampling2D(data_format="NHWC")
    with pytest.raises(ValueError, match="interpolation must be"):
        layers.UpSampling2D(interpolation="bicubic")
    with pytest.raises(ValueError, match=r"size must be an int >= 1"):
        layers.UpSampling2D(size=(2, 0))
