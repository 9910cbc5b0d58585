"""3-D layers (composed from the 2-D ops) against numpy references written here: loops over
the kernel's taps in all three axes with TF's 'same' padding, gl vs cpu and gradients of the
input and every weight through check_layer, shapes and configs."""
import itertools

import numpy as np
import pytest
from helpers import check_op
from layer_checks import check_layer

from glflow import layers

# as in test_layers_conv.py: sums of up to KD*KH*KW*Cin (<= 36 here) O(1) products
TOL = {"rtol": 1e-5, "atol": 1e-5}


def rand(*shape, seed=0):
    return np.random.default_rng(seed).normal(size=shape).astype(np.float32)


def same_pads(size, k, stride, dilation=1):
    out = -(-size // stride)
    total = max((out - 1) * stride + (k - 1) * dilation + 1 - size, 0)
    return total // 2, total - total // 2


def taps3d(x, window, strides, padding, dilations=(1, 1, 1), pad_value=0.0):
    """Yield (tap index, view) with view[n, od, oh, ow, c] = padded x at that tap."""
    if padding == "same":
        pads = [same_pads(x.shape[1 + i], window[i], strides[i], dilations[i])
                for i in range(3)]
        x = np.pad(x, [(0, 0), *pads, (0, 0)], constant_values=pad_value)
    outs = [(x.shape[1 + i] - dilations[i] * (window[i] - 1) - 1) // strides[i] + 1
            for i in range(3)]
    for tap in itertools.product(*(range(k) for k in window)):
        index = [slice(None)] + [slice(t * d, t * d + s * (o - 1) + 1, s) for t, d, s, o in
                                 zip(tap, dilations, strides, outs)]
        yield tap, x[tuple(index)]


def np_conv3d(x, w, strides, padding, dilations, groups=1):
    cg, cout = w.shape[3], w.shape[4]
    cog = cout // groups
    out = 0.0
    for tap, view in taps3d(x.astype(np.float64), w.shape[:3], strides, padding, dilations):
        out = out + np.concatenate([view[..., g * cg:(g + 1) * cg] @ w[tap][:, g * cog:
                                                                             (g + 1) * cog]
                                    for g in range(groups)], -1)
    return out


def np_pool3d(x, pool, strides, padding, kind):
    if kind == "max":
        return np.max([v for _, v in taps3d(x, pool, strides, padding, pad_value=-np.inf)], 0)
    sums = sum(v for _, v in taps3d(x.astype(np.float64), pool, strides, padding))
    counts = sum(v for _, v in taps3d(np.ones_like(x), pool, strides, padding))
    return sums / counts


CONV3D_CASES = [  # (input shape NDHWC, layer kwargs)
    ((2, 4, 5, 4, 2), dict(filters=3, kernel_size=(2, 3, 2))),
    ((1, 5, 4, 6, 3), dict(filters=2, kernel_size=3, strides=(2, 1, 2), padding="same")),
    ((1, 5, 5, 4, 2), dict(filters=2, kernel_size=2, dilation_rate=2, padding="same")),
    ((2, 4, 4, 3, 4), dict(filters=4, kernel_size=(3, 2, 2), groups=2, padding="same")),
    ((1, 4, 5, 3, 2), dict(filters=3, kernel_size=2, data_format="channels_first")),
]


@pytest.mark.parametrize("shape, kwargs", CONV3D_CASES)
def test_conv3d_matches_numpy_and_gradients(shape, kwargs):
    first = kwargs.get("data_format") == "channels_first"
    x = rand(*shape, seed=1)
    layer = layers.Conv3D(**kwargs, activation="tanh", bias_initializer="random_normal")
    got = layer(np.moveaxis(x, -1, 1) if first else x).numpy()
    want = np.tanh(np_conv3d(x, layer.kernel.numpy(), layer.strides, layer.padding,
                             layer.dilation_rate, layer.groups) + layer.bias.numpy())
    np.testing.assert_allclose(np.moveaxis(got, 1, -1) if first else got, want, **TOL)
    in_shape = (shape[0], shape[4]) + shape[1:4] if first else shape
    check_layer(lambda: layers.Conv3D(**kwargs), in_shape, **TOL)


POOL3D_CASES = [
    (dict(pool_size=2), (2, 4, 5, 4, 3)),
    (dict(pool_size=3, strides=(2, 1, 2), padding="same"), (1, 5, 4, 5, 2)),
    (dict(pool_size=(2, 3, 2), padding="same", data_format="channels_first"), (2, 3, 5, 4, 3)),
]


@pytest.mark.parametrize("cls, kind", [(layers.MaxPooling3D, "max"),
                                       (layers.AveragePooling3D, "avg")])
@pytest.mark.parametrize("kwargs, shape", POOL3D_CASES)
def test_pooling3d_matches_numpy_and_gradients(cls, kind, kwargs, shape):
    first = kwargs.get("data_format") == "channels_first"
    x = rand(*shape, seed=2)  # NDHWC; distinct values, so max-pool windows have no ties
    layer = cls(**kwargs)
    got = layer(np.moveaxis(x, -1, 1) if first else x).numpy()
    want = np_pool3d(x, layer.pool_size, layer.strides, layer.padding, kind)
    np.testing.assert_allclose(np.moveaxis(got, 1, -1) if first else got, want, rtol=1e-6,
                               atol=1e-6)
    in_shape = (shape[0], shape[4]) + shape[1:4] if first else shape
    assert layer.compute_output_shape((None,) + in_shape[1:])[1:] == got.shape[1:]
    check_op(lambda v: cls(**kwargs)(v), [x if not first else np.moveaxis(x, -1, 1)])


@pytest.mark.parametrize("cls, reduce", [(layers.GlobalAveragePooling3D, np.mean),
                                         (layers.GlobalMaxPooling3D, np.max)])
def test_global_pooling3d(cls, reduce):
    x = rand(2, 3, 4, 2, 5, seed=3)
    np.testing.assert_allclose(cls()(x).numpy(), reduce(x, axis=(1, 2, 3)), rtol=1e-5)
    kept = cls(keepdims=True, data_format="channels_first")
    np.testing.assert_allclose(kept(x).numpy(), reduce(x, axis=(2, 3, 4), keepdims=True),
                               rtol=1e-5)
    assert kept.compute_output_shape((None, 3, 4, 2, 5)) == (None, 3, 1, 1, 1)
    check_op(lambda v: cls()(v), [x])


def test_volumetric_checks_and_aliases():
    with pytest.raises(ValueError, match="does not fit inputs of depth 2"):
        layers.Conv3D(2, 3)(rand(1, 2, 5, 5, 1))
    with pytest.raises(ValueError, match="must have rank 5"):
        layers.MaxPooling3D()(rand(1, 4, 4, 1))
    assert layers.MaxPool3D is layers.MaxPooling3D
    assert layers.AvgPool3D is layers.AveragePooling3D
    assert layers.Convolution3D is layers.Conv3D
    config = layers.Conv3D(4, (1, 2, 3), strides=2, padding="same").get_config()
    assert config["kernel_size"] == [1, 2, 3] and config["strides"] == [2, 2, 2]
