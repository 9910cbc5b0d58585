"""Convolution and pooling layers: values against numpy references written here (loops over
the kernel taps, TF 'same' padding), gl vs cpu and gradients of the input and every weight
through check_layer, compute_output_shape, configs, and input checks."""
import numpy as np
import pytest
from layer_checks import check_layer

import glflow as gf
from glflow import layers

# Convolution outputs sum up to KH*KW*Cin (<= 36 here) float32 products of O(1) values in a
# different order on GL (blocked matmul) and numpy, so sums near zero differ by a few ulps
# of the terms: atol 1e-5 on values O(1); relative 1e-5 elsewhere.
CONV_TOL = {"rtol": 1e-5, "atol": 1e-5}


def rand(*shape, seed=0):
    return np.random.default_rng(seed).normal(size=shape).astype(np.float32)


# ---------------------------------------------------------------- numpy references (NHWC)
def same_pads(size, k, stride, dilation=1):
    """TF 'same': output ceil(size / stride), the odd pad at the end."""
    out = -(-size // stride)
    total = max((out - 1) * stride + (k - 1) * dilation + 1 - size, 0)
    return total // 2, total - total // 2


def taps(x, kh, kw, strides, padding, dilations, pad_value=0.0):
    """Yield (i, j, window) with window[n, oh, ow, c] = padded x at the tap (i, j)."""
    (sh, sw), (dh, dw) = strides, dilations
    if padding == "same":
        pads = [same_pads(x.shape[1], kh, sh, dh), same_pads(x.shape[2], kw, sw, dw)]
        x = np.pad(x, [(0, 0), *pads, (0, 0)], constant_values=pad_value)
    oh = (x.shape[1] - dh * (kh - 1) - 1) // sh + 1
    ow = (x.shape[2] - dw * (kw - 1) - 1) // sw + 1
    for i in range(kh):
        for j in range(kw):
            yield i, j, x[:, i * dh:i * dh + sh * (oh - 1) + 1:sh,
                          j * dw:j * dw + sw * (ow - 1) + 1:sw]


def np_conv2d(x, w, strides=(1, 1), padding="valid", dilations=(1, 1), groups=1):
    kh, kw, cg, cout = w.shape
    cog = cout // groups
    out = 0.0
    for i, j, win in taps(x.astype(np.float64), kh, kw, strides, padding, dilations):
        parts = [win[..., g * cg:(g + 1) * cg] @ w[i, j, :, g * cog:(g + 1) * cog]
                 for g in range(groups)]
        out = out + np.concatenate(parts, -1)
    return out


def np_depthwise(x, w, strides=(1, 1), padding="valid", dilations=(1, 1)):
    kh, kw, cin, mult = w.shape
    out = 0.0
    for i, j, win in taps(x.astype(np.float64), kh, kw, strides, padding, dilations):
        # output channel c * mult + m = input channel c times w[i, j, c, m]
        out = out + (win[..., :, None] * w[i, j]).reshape(win.shape[:3] + (cin * mult,))
    return out


def np_conv_transpose(x, w, strides, padding):
    """Scatter every input pixel through the kernel [KH, KW, Cout, Cin], then crop the
    'same' padding (what conv2d with these arguments would have added)."""
    n, h, wd, cin = x.shape
    kh, kw, cout, _ = w.shape
    sh, sw = strides
    full = np.zeros((n, h * sh + kh, wd * sw + kw, cout))  # room for 'valid' and 'same'
    for i in range(kh):
        for j in range(kw):
            full[:, i:i + sh * (h - 1) + 1:sh, j:j + sw * (wd - 1) + 1:sw] += x @ w[i, j].T
    if padding == "valid":
        return full[:, :(h - 1) * sh + kh, :(wd - 1) * sw + kw]
    top = same_pads(h * sh, kh, sh)[0]
    left = same_pads(wd * sw, kw, sw)[0]
    return full[:, top:top + h * sh, left:left + wd * sw]


def np_pool(x, pool, strides, padding, kind):
    """max: padded taps are -inf; avg: the mean of the taps inside the input (TF)."""
    if kind == "max":
        return np.max([w for _, _, w in taps(x, *pool, strides, padding, (1, 1), -np.inf)], 0)
    sums = sum(w for _, _, w in taps(x.astype(np.float64), *pool, strides, padding, (1, 1)))
    counts = sum(w for _, _, w in taps(np.ones_like(x), *pool, strides, padding, (1, 1)))
    return sums / counts


def to_first(x):
    return np.moveaxis(x, -1, 1)


def from_first(x):
    return np.moveaxis(x, 1, -1)


# ---------------------------------------------------------------- Conv2D
CONV2D_CASES = [  # (input shape NHWC, layer kwargs)
    ((2, 5, 7, 3), dict(filters=4, kernel_size=3)),
    ((2, 7, 6, 2), dict(filters=3, kernel_size=(3, 2), strides=(2, 3), padding="same")),
    ((1, 7, 7, 3), dict(filters=2, kernel_size=2, dilation_rate=2, padding="same")),
    ((2, 5, 5, 4), dict(filters=6, kernel_size=3, groups=2, padding="same")),
    ((2, 6, 5, 3), dict(filters=5, kernel_size=3, strides=2, data_format="channels_first")),
]


@pytest.mark.parametrize("shape, kwargs", CONV2D_CASES)
def test_conv2d_matches_numpy_and_gradients(shape, kwargs):
    kwargs = dict(kwargs)
    first = kwargs.get("data_format") == "channels_first"
    x = rand(*shape, seed=1)
    layer = layers.Conv2D(**kwargs, activation="tanh", bias_initializer="random_normal")
    got = layer(to_first(x) if first else x).numpy()
    k, b = layer.kernel.numpy(), layer.bias.numpy()
    want = np.tanh(np_conv2d(x, k, layer.strides, layer.padding, layer.dilation_rate,
                             layer.groups) + b)
    np.testing.assert_allclose(from_first(got) if first else got, want, **CONV_TOL)
    in_shape = (shape[0], shape[3], shape[1], shape[2]) if first else shape
    check_layer(lambda: layers.Conv2D(**kwargs), in_shape, **CONV_TOL)


def test_conv2d_without_bias_and_relu_activation():
    x = rand(2, 4, 5, 3, seed=2)
    layer = layers.Conv2D(3, 2, use_bias=False, activation="relu")
    got = layer(x).numpy()
    assert [w.name.split("/")[-1] for w in layer.weights] == ["kernel"]
    want = np.maximum(np_conv2d(x, layer.kernel.numpy()), 0)
    np.testing.assert_allclose(got, want, **CONV_TOL)


# ---------------------------------------------------------------- Conv1D
@pytest.mark.parametrize("kwargs", [
    dict(filters=3, kernel_size=3),
    dict(filters=2, kernel_size=2, strides=2, padding="same"),
    dict(filters=4, kernel_size=3, dilation_rate=2, padding="causal"),
    dict(filters=4, kernel_size=3, groups=2, padding="same"),
    dict(filters=3, kernel_size=2, data_format="channels_first"),
])
def test_conv1d_matches_numpy_and_gradients(kwargs):
    first = kwargs.get("data_format") == "channels_first"
    x = rand(2, 7, 4, seed=3)
    layer = layers.Conv1D(**kwargs, bias_initializer="random_normal")
    got = layer(to_first(x) if first else x).numpy()
    k, b = layer.kernel.numpy(), layer.bias.numpy()
    x2, padding = x[:, None], layer.padding
    if padding == "causal":  # pad the start so output t sees inputs up to t
        x2 = np.pad(x2, [(0, 0), (0, 0), (layer.dilation_rate[0] * (k.shape[0] - 1), 0),
                         (0, 0)])
        padding = "valid"
    want = np_conv2d(x2, k[None], (1, layer.strides[0]), padding,
                     (1, layer.dilation_rate[0]), layer.groups)[:, 0] + b
    np.testing.assert_allclose(from_first(got) if first else got, want, **CONV_TOL)
    in_shape = (2, 4, 7) if first else (2, 7, 4)
    check_layer(lambda: layers.Conv1D(**kwargs), in_shape, **CONV_TOL)


def test_causal_conv1d_does_not_look_ahead():
    layer = layers.Conv1D(2, 3, padding="causal", dilation_rate=2)
    x = rand(1, 9, 2, seed=4)
    changed = x.copy()
    changed[:, 6:] += 1.0  # only the future of t = 5 changes
    np.testing.assert_array_equal(layer(x).numpy()[:, :6], layer(changed).numpy()[:, :6])


# ---------------------------------------------------------------- depthwise / separable
@pytest.mark.parametrize("kwargs", [
    dict(kernel_size=3),
    dict(kernel_size=(2, 3), strides=2, padding="same", depth_multiplier=2),
    dict(kernel_size=2, dilation_rate=2, data_format="channels_first"),
])
def test_depthwise_conv2d_matches_numpy_and_gradients(kwargs):
    first = kwargs.get("data_format") == "channels_first"
    x = rand(2, 5, 6, 3, seed=5)
    layer = layers.DepthwiseConv2D(**kwargs, bias_initializer="random_normal")
    got = layer(to_first(x) if first else x).numpy()
    want = np_depthwise(x, layer.depthwise_kernel.numpy(), layer.strides, layer.padding,
                        layer.dilation_rate) + layer.bias.numpy()
    np.testing.assert_allclose(from_first(got) if first else got, want, **CONV_TOL)
    check_layer(lambda: layers.DepthwiseConv2D(**kwargs), (2, 3, 5, 6) if first else
                (2, 5, 6, 3), **CONV_TOL)


@pytest.mark.parametrize("kwargs", [
    dict(filters=4, kernel_size=3),
    dict(filters=3, kernel_size=2, strides=2, padding="same", depth_multiplier=2),
])
def test_separable_conv2d_matches_numpy_and_gradients(kwargs):
    x = rand(2, 5, 6, 3, seed=6)
    layer = layers.SeparableConv2D(**kwargs, bias_initializer="random_normal")
    got = layer(x).numpy()
    mid = np_depthwise(x, layer.depthwise_kernel.numpy(), layer.strides, layer.padding)
    want = np_conv2d(mid, layer.pointwise_kernel.numpy()) + layer.bias.numpy()
    np.testing.assert_allclose(got, want, **CONV_TOL)
    check_layer(lambda: layers.SeparableConv2D(**kwargs), (2, 5, 6, 3), **CONV_TOL)


# ---------------------------------------------------------------- Conv2DTranspose
@pytest.mark.parametrize("kwargs", [
    dict(filters=3, kernel_size=3),
    dict(filters=2, kernel_size=3, strides=2, padding="same"),
    dict(filters=2, kernel_size=(2, 3), strides=(2, 1)),
    dict(filters=3, kernel_size=1, strides=3, padding="same"),
    dict(filters=2, kernel_size=3, strides=2, data_format="channels_first"),
])
def test_conv2d_transpose_matches_numpy_and_gradients(kwargs):
    first = kwargs.get("data_format") == "channels_first"
    x = rand(2, 3, 4, 3, seed=7)
    layer = layers.Conv2DTranspose(**kwargs, bias_initializer="random_normal")
    got = layer(to_first(x) if first else x).numpy()
    want = np_conv_transpose(x.astype(np.float64), layer.kernel.numpy(), layer.strides,
                             layer.padding) + layer.bias.numpy()
    np.testing.assert_allclose(from_first(got) if first else got, want, **CONV_TOL)
    check_layer(lambda: layers.Conv2DTranspose(**kwargs), (2, 3, 3, 4) if first else
                (2, 3, 4, 3), **CONV_TOL)


# ---------------------------------------------------------------- pooling
@pytest.mark.parametrize("cls, kind", [(layers.MaxPooling2D, "max"),
                                       (layers.AveragePooling2D, "avg")])
@pytest.mark.parametrize("kwargs", [dict(), dict(pool_size=3, strides=2, padding="same"),
                                    dict(pool_size=(2, 3), strides=1),
                                    dict(pool_size=2, data_format="channels_first")])
def test_pooling2d_matches_numpy_and_gradients(cls, kind, kwargs):
    first = kwargs.get("data_format") == "channels_first"
    x = rand(2, 5, 7, 3, seed=8)
    layer = cls(**kwargs)
    got = layer(to_first(x) if first else x).numpy()
    want = np_pool(x, layer.pool_size, layer.strides, layer.padding, kind)
    np.testing.assert_allclose(from_first(got) if first else got, want, rtol=1e-6, atol=1e-6)
    # random normal inputs have no ties, so max pooling is differentiable at them
    check_layer(lambda: cls(**kwargs), (2, 3, 5, 7) if first else (2, 5, 7, 3))


@pytest.mark.parametrize("cls, kind", [(layers.MaxPooling1D, "max"),
                                       (layers.AveragePooling1D, "avg")])
@pytest.mark.parametrize("kwargs", [dict(), dict(pool_size=3, strides=2, padding="same"),
                                    dict(pool_size=2, data_format="channels_first")])
def test_pooling1d_matches_numpy_and_gradients(cls, kind, kwargs):
    first = kwargs.get("data_format") == "channels_first"
    x = rand(2, 7, 3, seed=9)
    layer = cls(**kwargs)
    got = layer(to_first(x) if first else x).numpy()
    want = np_pool(x[:, None], (1,) + layer.pool_size, (1,) + layer.strides, layer.padding,
                   kind)[:, 0]
    np.testing.assert_allclose(from_first(got) if first else got, want, rtol=1e-6, atol=1e-6)
    check_layer(lambda: cls(**kwargs), (2, 3, 7) if first else (2, 7, 3))


@pytest.mark.parametrize("cls, reduce, rank", [
    (layers.GlobalAveragePooling2D, np.mean, 2), (layers.GlobalMaxPooling2D, np.max, 2),
    (layers.GlobalAveragePooling1D, np.mean, 1), (layers.GlobalMaxPooling1D, np.max, 1)])
@pytest.mark.parametrize("data_format, keepdims", [(None, False), ("channels_first", True)])
def test_global_pooling_matches_numpy_and_gradients(cls, reduce, rank, data_format, keepdims):
    shape = (2, 5, 3, 3)[:rank + 1] + (3,)
    first = data_format == "channels_first"
    x = rand(*shape, seed=10)
    layer = cls(data_format=data_format, keepdims=keepdims)
    axes = tuple(range(2, 2 + rank)) if first else tuple(range(1, 1 + rank))
    got = layer(x).numpy()
    np.testing.assert_allclose(got, reduce(x, axis=axes, keepdims=keepdims), rtol=1e-6,
                               atol=1e-6)
    check_layer(lambda: cls(data_format=data_format, keepdims=keepdims), shape)


# ---------------------------------------------------------------- shapes, configs, errors
def test_symbolic_shapes_match_real_outputs():
    inputs = layers.Input((9, 8, 3))
    stack = [layers.Conv2D(4, 3, padding="same", strides=2), layers.DepthwiseConv2D(2),
             layers.SeparableConv2D(5, 2, padding="same"), layers.Conv2DTranspose(2, 3, 2),
             layers.MaxPooling2D(3, 2, padding="same"), layers.AveragePooling2D(2),
             layers.GlobalMaxPooling2D()]
    y = inputs
    for layer in stack:
        y = layer(y)
    model = gf.Model(inputs, y)
    out = model.predict(rand(2, 9, 8, 3), verbose=0)
    assert out.shape == (2,) + tuple(y.shape[1:])


@pytest.mark.parametrize("layer", [
    layers.Conv1D(3, 2, strides=2, padding="causal", groups=1, kernel_regularizer="l2"),
    layers.Conv2D(4, (3, 2), strides=(1, 2), padding="same", data_format="channels_first",
                  groups=2, activation="relu", use_bias=False, kernel_initializer="he_normal"),
    layers.DepthwiseConv2D(3, depth_multiplier=2, dilation_rate=2),
    layers.SeparableConv2D(3, 2, depth_multiplier=3, pointwise_regularizer="l1"),
    layers.Conv2DTranspose(2, 3, strides=2, padding="same", activation="sigmoid"),
    layers.MaxPooling1D(3, 1, padding="same"), layers.AveragePooling2D((2, 3)),
    layers.GlobalAveragePooling2D(data_format="channels_first", keepdims=True),
    layers.GlobalMaxPooling1D()])
def test_config_round_trip(layer):
    config = layer.get_config()
    clone = type(layer).from_config(config)
    assert clone.get_config() == config
    again = layers.deserialize(layers.serialize(layer))
    assert type(again) is type(layer) and again.get_config() == config


def test_model_with_conv_layers_saves_and_loads(tmp_path):
    gf.set_seed(1)
    model = gf.Sequential([layers.Input((6, 5, 2)), layers.Conv2D(3, 3, padding="same"),
                           layers.DepthwiseConv2D(2), layers.Conv2DTranspose(2, 2, 2),
                           layers.GlobalAveragePooling2D(), layers.Dense(2)])
    x = rand(3, 6, 5, 2, seed=11)
    path = str(tmp_path / "conv.glf")
    model.save(path)
    loaded = gf.models.load_model(path)
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


def test_bad_arguments_and_inputs_raise_clear_errors():
    with pytest.raises(ValueError, match=r"Conv2D 'c1': filters must be a positive int"):
        layers.Conv2D(0, 3, name="c1")
    with pytest.raises(ValueError, match=r"kernel_size must be an int >= 1 or 2 such ints"):
        layers.Conv2D(2, (3, 3, 3))
    with pytest.raises(ValueError, match="padding must be one of valid, same"):
        layers.Conv2D(2, 3, padding="full")
    with pytest.raises(ValueError, match="padding must be one of valid, same, causal"):
        layers.Conv1D(2, 3, padding="full")
    with pytest.raises(ValueError, match="cannot be combined with dilation_rate"):
        layers.Conv2D(2, 3, strides=2, dilation_rate=2)
    with pytest.raises(ValueError, match=r"filters \(3\) must be divisible by groups \(2\)"):
        layers.Conv2D(3, 3, groups=2)
    with pytest.raises(ValueError, match=r"'c2'.*input channels \(3\).*groups \(2\)"):
        layers.Conv2D(4, 3, groups=2, name="c2")(rand(1, 5, 5, 3))
    with pytest.raises(ValueError, match=r"Conv2D 'c3': expects 2-D inputs of rank 4, got "
                                         r"shape \[1, 5, 3\]"):
        layers.Conv2D(2, 3, name="c3")(rand(1, 5, 3))
    conv = layers.Conv2D(2, 3, name="c4")
    conv(rand(1, 5, 5, 3))
    with pytest.raises(ValueError, match=r"'c4'.*\[1, 5, 5, 4\].*size 3 on axis -1"):
        conv(rand(1, 5, 5, 4))
    with pytest.raises(ValueError, match=r"'c4'.*rank 4.*\[5, 5, 3\]"):
        conv(rand(5, 5, 3))
    with pytest.raises(ValueError, match=r"pool_size must be an int >= 1"):
        layers.MaxPooling2D(pool_size=0)
    with pytest.raises(ValueError, match=r"MaxPooling1D layer 'p1'.*rank 3.*\[2, 5, 5, 1\]"):
        layers.MaxPooling1D(name="p1")(rand(2, 5, 5, 1))
    with pytest.raises(ValueError, match=r"GlobalAveragePooling2D layer 'g1'.*rank 4"):
        layers.GlobalAveragePooling2D(name="g1")(rand(2, 5, 3))
    with pytest.raises(ValueError, match="dilation_rate > 1 is not supported"):
        layers.Conv2DTranspose(2, 3, dilation_rate=2)
    with pytest.raises(ValueError, match=r"'c5'.*channel axis of the input must be known"):
        layers.Conv2D(2, 3, name="c5").build((None, 5, 5, None))
