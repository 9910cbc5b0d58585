"""Activation, preprocessing, masking, cropping/repeat and noise layers: values against numpy
formulas written here (random per-unit parameters), gl vs cpu and gradients through
check_op / check_layer, configs and input checks."""
import numpy as np
import pytest
from helpers import check_op, normal
from layer_checks import check_layer

import glflow as gf
from glflow import layers


def rand(*shape, seed=0):
    return np.random.default_rng(seed).normal(size=shape).astype(np.float32)


# ---------------------------------------------------------------- activation layers
@pytest.mark.parametrize("kwargs", [
    {}, {"max_value": 6.0}, {"max_value": 0.7}, {"negative_slope": 0.1},
    {"threshold": 0.3}, {"max_value": 1.2, "negative_slope": 0.2, "threshold": -0.4}])
def test_relu_layer_matches_keras_formula(kwargs):
    x = rand(4, 7, seed=1) * 3
    m, s, t = kwargs.get("max_value"), kwargs.get("negative_slope", 0.0), \
        kwargs.get("threshold", 0.0)
    want = np.where(x >= t, x, s * (x - t))
    if m is not None:
        want = np.minimum(want, m)
    layer = layers.ReLU(**kwargs)
    np.testing.assert_allclose(layer(x).numpy(), want, rtol=1e-6, atol=1e-7)
    check_op(lambda v: layers.ReLU(**kwargs)(v), [x])
    assert layers.ReLU.from_config(layer.get_config()).get_config() == layer.get_config()


def test_relu_leaky_elu_argument_checks():
    with pytest.raises(ValueError, match="ReLU 'r': max_value must be a number >= 0"):
        layers.ReLU(max_value=-1, name="r")
    with pytest.raises(ValueError, match="negative_slope must be a number >= 0"):
        layers.LeakyReLU(-0.1)
    with pytest.raises(ValueError, match="ELU .*alpha must be a number"):
        layers.ELU("big")


def test_leaky_relu_and_elu_layers():
    x = rand(3, 5, seed=2) * 2
    np.testing.assert_allclose(layers.LeakyReLU()(x).numpy(), np.where(x > 0, x, 0.3 * x),
                               rtol=1e-6)
    legacy = layers.LeakyReLU(alpha=0.05)  # Keras 2's argument name
    assert legacy.negative_slope == 0.05
    np.testing.assert_allclose(legacy(x).numpy(), np.where(x > 0, x, 0.05 * x), rtol=1e-6)
    np.testing.assert_allclose(layers.ELU(0.7)(x).numpy(),
                               np.where(x > 0, x, 0.7 * (np.exp(x) - 1)), rtol=1e-5, atol=1e-6)
    check_op(lambda v: layers.ELU(0.7)(v), [x])
    check_op(lambda v: layers.LeakyReLU(0.05)(v), [x])


@pytest.mark.parametrize("shared_axes, in_shape", [(None, (3, 4, 5)), ([1], (3, 4, 5)),
                                                     ([1, 2], (2, 3, 4, 5))])
def test_prelu_learns_a_slope_per_unit(shared_axes, in_shape):
    layer = layers.PReLU(shared_axes=shared_axes)
    layer.build((None,) + in_shape[1:])
    want_shape = [1 if shared_axes and i + 1 in shared_axes else d
                  for i, d in enumerate(in_shape[1:])]
    assert layer.alpha.shape == want_shape
    alpha = np.random.default_rng(3).uniform(0.05, 0.9, want_shape).astype(np.float32)
    layer.alpha.assign(alpha)
    x = rand(*in_shape, seed=4)
    np.testing.assert_allclose(layer(x).numpy(), np.where(x > 0, x, alpha * x), rtol=1e-6)
    check_layer(lambda: layers.PReLU(shared_axes=shared_axes), in_shape)


def test_prelu_checks():
    with pytest.raises(ValueError, match="shared_axes must be axes >= 1"):
        layers.PReLU(shared_axes=[0])
    with pytest.raises(ValueError, match="shared axis 3 is beyond"):
        layers.PReLU(shared_axes=[3])(np.zeros((2, 4), np.float32))
    with pytest.raises(ValueError, match="must have a known size"):
        layers.PReLU().build((None, None, 3))


def _np_softmax(x, axes):
    e = np.exp(x - x.max(axis=axes, keepdims=True))
    return e / e.sum(axis=axes, keepdims=True)


def test_softmax_layer_axes_and_mask():
    x = rand(2, 3, 4, seed=5)
    np.testing.assert_allclose(layers.Softmax()(x).numpy(), _np_softmax(x, -1), rtol=1e-5)
    np.testing.assert_allclose(layers.Softmax(axis=1)(x).numpy(), _np_softmax(x, 1), rtol=1e-5)
    np.testing.assert_allclose(layers.Softmax(axis=(1, 2))(x).numpy(),
                               _np_softmax(x, (1, 2)), rtol=1e-5, atol=1e-7)
    mask = np.random.default_rng(6).random((2, 3, 4)) < 0.7
    mask[..., 0] = True
    got = layers.Softmax()(x, mask=mask).numpy()
    e = np.where(mask, np.exp(x - x.max(-1, keepdims=True)), 0.0)
    np.testing.assert_allclose(got, e / e.sum(-1, keepdims=True), rtol=1e-5, atol=1e-7)
    check_op(lambda v: layers.Softmax(axis=(1, 2))(v), [x])
    check_op(lambda v: layers.Softmax()(v, mask=mask), [x])
    assert layers.Softmax(axis=(1, 2)).get_config()["axis"] == [1, 2]
    with pytest.raises(ValueError, match="axis must be an int or a tuple"):
        layers.Softmax(axis="last")


# ---------------------------------------------------------------- preprocessing
def test_rescaling_scalar_and_per_channel():
    x = np.random.default_rng(7).integers(0, 256, (2, 3, 3, 3)).astype(np.float32)
    np.testing.assert_allclose(layers.Rescaling(1 / 127.5, offset=-1)(x).numpy(),
                               x / 127.5 - 1, rtol=1e-6, atol=1e-6)
    scale, offset = [0.5, 2.0, -1.0], [0.1, 0.2, 0.3]
    layer = layers.Rescaling(scale, offset)
    np.testing.assert_allclose(layer(x).numpy(), x * scale + np.array(offset), rtol=1e-6)
    ints = layers.Rescaling(0.5)(np.array([[2, 4]], np.int32))
    assert ints.dtype == "float32" and ints.numpy().tolist() == [[1.0, 2.0]]
    check_op(lambda v: layers.Rescaling(scale, offset)(v), [(2, 4, 3)])
    assert layers.Rescaling.from_config(layer.get_config()).get_config() == layer.get_config()
    with pytest.raises(ValueError, match="scale must be a finite number"):
        layers.Rescaling("1/255")


def _features(seed=8):
    rng = np.random.default_rng(seed)
    # every feature its own mean and spread, so a mixed-up axis shows
    return (rng.normal(size=(50, 3, 4)) * [0.5, 2.0, 7.0, 0.1] + [3.0, -1.0, 20.0, 0.0])


@pytest.mark.parametrize("axis, keep", [(-1, (2,)), ((1, 2), (1, 2)), (None, ()), (1, (1,))])
def test_normalization_adapt_matches_numpy(axis, keep):
    data = _features()
    layer = layers.Normalization(axis=axis)
    layer.adapt(data.astype(np.float32))
    reduce = tuple(a for a in range(3) if a not in keep)
    mean, var = data.mean(axis=reduce, keepdims=True), data.var(axis=reduce, keepdims=True)
    np.testing.assert_allclose(layer.mean.numpy(), mean.squeeze(reduce) if keep else
                               mean.reshape(()), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(layer.variance.numpy(), var.squeeze(reduce) if keep else
                               var.reshape(()), rtol=1e-5)
    x = _features(9).astype(np.float32)[:4]
    np.testing.assert_allclose(layer(x).numpy(), (x - mean) / np.sqrt(var), rtol=1e-4,
                               atol=1e-5)
    check_op(lambda v: layer(v), [x], rtol=1e-5, atol=1e-5)


def test_normalization_adapt_streams_batches_and_inverts():
    data = _features(10).astype(np.float32)
    whole = layers.Normalization()
    whole.adapt(data)
    streamed = layers.Normalization()
    streamed.adapt(gf.data.Dataset.from_tensor_slices(data).batch(7))
    np.testing.assert_allclose(streamed.mean.numpy(), whole.mean.numpy(), rtol=1e-6)
    np.testing.assert_allclose(streamed.variance.numpy(), whole.variance.numpy(), rtol=1e-5)
    partial = layers.Normalization()
    partial.adapt(iter([data[:10], data[10:20], data[20:]]), steps=2)
    np.testing.assert_allclose(partial.mean.numpy(), data[:20].mean(axis=(0, 1)), rtol=1e-5)
    back = layers.Normalization(mean=whole.mean.numpy(), variance=whole.variance.numpy(),
                                invert=True)
    x = data[:3]
    np.testing.assert_allclose(back(whole(x)).numpy(), x, rtol=1e-4, atol=1e-4)


def test_normalization_given_statistics_and_checks():
    layer = layers.Normalization(mean=[1.0, 2.0], variance=[4.0, 0.0])
    x = np.array([[3.0, 2.5]], np.float32)
    # a zero variance is floored at epsilon 1e-7 on the standard deviation, as Keras
    np.testing.assert_allclose(layer(x).numpy(), [[1.0, 0.5 / 1e-7]], rtol=1e-5)
    config = layer.get_config()
    assert config["mean"] == [1.0, 2.0] and config["axis"] == [-1]
    assert layers.Normalization.from_config(config).get_config() == config
    with pytest.raises(ValueError, match="give both mean and variance"):
        layers.Normalization(mean=1.0)
    with pytest.raises(ValueError, match="variance must be >= 0"):
        layers.Normalization(mean=1.0, variance=-1.0)
    with pytest.raises(ValueError, match="axis 0 is not a feature axis"):
        layers.Normalization(axis=0).adapt(np.zeros((4, 2)))
    adapted = layers.Normalization()
    adapted.adapt(np.zeros((4, 2)))
    with pytest.raises(ValueError, match=r"kept axes \[1\] have sizes \[2\]"):
        adapted.adapt(np.zeros((4, 3)))
    with pytest.raises(ValueError, match="holds no samples"):
        layers.Normalization().adapt(np.zeros((0, 2)))
    with pytest.raises(ValueError, match="yields tuples"):
        layers.Normalization().adapt(gf.data.Dataset.from_tensor_slices(
            (np.zeros((4, 2)), np.zeros(4))).batch(2))
    with pytest.raises(ValueError, match="do not broadcast"):
        layers.Normalization(mean=[1.0, 2.0], variance=[1.0, 1.0])(np.zeros((1, 3)))


# ---------------------------------------------------------------- masking
def test_masking_zeroes_masked_steps_and_marks_them():
    x = rand(3, 5, 2, seed=11)
    x[0, :2] = 0.0
    x[2, 4] = 0.0
    x[1, 3, 0] = 0.0  # one zero feature does not mask a step
    out = layers.Masking()(x)
    mask = np.abs(x).sum(-1) != 0
    np.testing.assert_array_equal(out._keras_mask.numpy(), mask)
    np.testing.assert_array_equal(out.numpy(), x * mask[..., None])
    custom = layers.Masking(mask_value=-1.0)(np.full((1, 2, 3), -1.0, np.float32))
    assert not custom._keras_mask.numpy().any()
    # gl vs cpu on the masked steps; gradients where no step is masked (moving a masked
    # value by a finite difference unmasks its step: the function jumps there)
    check_op(lambda v: layers.Masking()(v), [x], grad=False)
    check_op(lambda v: layers.Masking()(v), [normal((3, 5, 2))])


def test_masking_makes_an_lstm_skip_padding():
    """Pre-padded steps are skipped: the LSTM's result on [0, 0, a, b] equals the one on
    [a, b] (the state stays zero through the padding)."""
    rng = np.random.default_rng(12)
    real = rng.normal(size=(2, 3, 4)).astype(np.float32)
    padded = np.concatenate([np.zeros((2, 2, 4), np.float32), real], axis=1)
    lstm = layers.LSTM(5, bias_initializer="random_normal")
    model = gf.Sequential([gf.Input(shape=(None, 4)), layers.Masking(), lstm])
    np.testing.assert_allclose(model.predict(padded), lstm(real).numpy(), rtol=1e-5,
                               atol=1e-6)
    unmasked = gf.Sequential([gf.Input(shape=(None, 4)), lstm])
    assert not np.allclose(unmasked.predict(padded), lstm(real).numpy(), atol=1e-4)


# ---------------------------------------------------------------- cropping, repeat
def test_cropping_layers_match_slicing():
    x = rand(2, 7, 3, seed=13)
    np.testing.assert_array_equal(layers.Cropping1D((2, 1))(x).numpy(), x[:, 2:-1])
    np.testing.assert_array_equal(layers.Cropping1D(3)(x).numpy(), x[:, 3:-3])
    assert layers.Cropping1D((2, 1)).compute_output_shape((None, 7, 3)) == (None, 4, 3)
    images = rand(2, 6, 5, 3, seed=14)
    layer = layers.Cropping2D(((1, 2), (0, 3)))
    np.testing.assert_array_equal(layer(images).numpy(), images[:, 1:-2, 0:2])
    first = layers.Cropping2D((1, 2), data_format="channels_first")
    chw = np.moveaxis(images, -1, 1)
    np.testing.assert_array_equal(first(chw).numpy(), chw[:, :, 1:-1, 2:-2])
    assert first.compute_output_shape((None, 3, 6, 5)) == (None, 3, 4, 1)
    check_op(lambda v: layers.Cropping2D(((1, 2), (0, 3)))(v), [images])
    check_op(lambda v: layers.Cropping1D((2, 1))(v), [x])
    with pytest.raises(ValueError, match=r"cropping \[4, 3\] leaves nothing"):
        layers.Cropping1D((4, 3))(x)
    with pytest.raises(ValueError, match="cropping must be an int or"):
        layers.Cropping1D((1, -1))
    with pytest.raises(ValueError, match="Cropping2D.*cropping must be an int, "):
        layers.Cropping2D("edges")


def test_repeat_vector():
    x = rand(3, 4, seed=15)
    layer = layers.RepeatVector(5)
    np.testing.assert_array_equal(layer(x).numpy(), np.repeat(x[:, None], 5, axis=1))
    assert layer.compute_output_shape((None, 4)) == (None, 5, 4)
    check_op(lambda v: layers.RepeatVector(2)(v), [x])
    with pytest.raises(ValueError, match="n must be a positive int"):
        layers.RepeatVector(0)
    with pytest.raises(ValueError, match="must have rank 2"):
        layer(rand(2, 3, 4))


# ---------------------------------------------------------------- noise
def test_spatial_dropout_drops_whole_channels_only_in_training():
    x = np.abs(rand(8, 6, 16, seed=16)) + 0.5
    layer = layers.SpatialDropout1D(0.5, seed=3)
    np.testing.assert_array_equal(layer(x).numpy(), x)
    y = layer(x, training=True).numpy()
    kept = y != 0
    # one draw per (sample, channel): a channel is kept at every step or at none
    assert np.all(kept.all(axis=1) | (~kept).all(axis=1))
    np.testing.assert_allclose(y[kept], x[kept] * 2.0, rtol=1e-6)
    assert 0.2 < kept[:, 0].mean() < 0.8

    images = np.abs(rand(6, 4, 5, 8, seed=17)) + 0.5
    for fmt, axes in (("channels_last", (1, 2)), ("channels_first", (2, 3))):
        data = images if fmt == "channels_last" else np.moveaxis(images, -1, 1)
        out = layers.SpatialDropout2D(0.25, data_format=fmt, seed=4)(data, training=True)
        kept = out.numpy() != 0
        assert np.all(kept.all(axis=axes) | (~kept).all(axis=axes))
        np.testing.assert_allclose(out.numpy()[kept], data[kept] / 0.75, rtol=1e-6)
    config = layers.SpatialDropout2D(0.25, data_format="channels_first").get_config()
    assert layers.SpatialDropout2D.from_config(config).noise_shape == (None, None, 1, 1)


def test_gaussian_noise_and_dropout_statistics():
    x = np.full((200, 100), 2.0, np.float32)
    noise = layers.GaussianNoise(0.5, seed=5)
    np.testing.assert_array_equal(noise(x).numpy(), x)
    delta = noise(x, training=True).numpy() - x
    # 20,000 draws: the sample mean and std lie well within 5 standard errors
    assert abs(delta.mean()) < 5 * 0.5 / np.sqrt(delta.size)
    assert abs(delta.std() - 0.5) < 5 * 0.5 / np.sqrt(2 * delta.size)
    dropout = layers.GaussianDropout(0.2, seed=6)
    ratio = dropout(x, training=True).numpy() / x
    assert abs(ratio.mean() - 1.0) < 5 * 0.5 / np.sqrt(ratio.size)
    assert abs(ratio.std() - np.sqrt(0.2 / 0.8)) < 5 * 0.5 / np.sqrt(2 * ratio.size)
    np.testing.assert_array_equal(dropout(x).numpy(), x)
    with pytest.raises(ValueError, match="stddev must be a number >= 0"):
        layers.GaussianNoise(-1)
    with pytest.raises(ValueError, match=r"rate must be a number in \[0, 1.0\)"):
        layers.GaussianDropout(1.0)
