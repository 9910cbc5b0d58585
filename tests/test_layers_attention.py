"""Attention and MultiHeadAttention against numpy formulas written here (per-head loops,
masked softmax written as exp() zeroed outside the mask and renormalised), gl vs cpu and
gradients of inputs and weights through check_op, masks, symbolic use and configs."""
import numpy as np
import pytest
from helpers import check_op, normal
from layer_checks import call_with

import glflow as gf
from glflow import layers

# sums of O(10) float32 products through a softmax: a few ulps apart between the backends
TOL = {"rtol": 1e-5, "atol": 1e-5}


def rand(*shape, seed=0):
    return np.random.default_rng(seed).normal(size=shape).astype(np.float32)


def np_masked_softmax(scores, keep):
    e = np.exp(scores - scores.max(-1, keepdims=True))
    if keep is not None:
        e = e * keep
    return e / e.sum(-1, keepdims=True)


def causal(tq, tk):
    return np.arange(tq)[:, None] >= np.arange(tk)[None, :]


def np_attention(q, v, k, mode="dot", scale=None, weight=None, value_mask=None,
                 query_mask=None, use_causal=False):
    q, v, k = (a.astype(np.float64) for a in (q, v, k))
    if mode == "dot":
        scores = q @ k.transpose(0, 2, 1) * (1.0 if scale is None else scale)
    else:
        pairs = q[:, :, None, :] + k[:, None, :, :]
        scores = weight * np.tanh((1.0 if scale is None else scale) * pairs).sum(-1)
    keep = np.ones(scores.shape, bool)
    if value_mask is not None:
        keep &= value_mask[:, None, :]
    if use_causal:
        keep &= causal(q.shape[1], k.shape[1])[None]
    weights = np_masked_softmax(scores, keep)
    out = weights @ v
    if query_mask is not None:
        out = out * query_mask[..., None]
    return out, weights


@pytest.mark.parametrize("mode, use_scale", [("dot", False), ("dot", True), ("concat", False),
                                             ("concat", True)])
def test_attention_matches_numpy_and_gradients(mode, use_scale):
    q, v, k = rand(2, 3, 4, seed=1), rand(2, 5, 6, seed=2), rand(2, 5, 4, seed=3)
    layer = layers.Attention(use_scale=use_scale, score_mode=mode)
    layer.build([(None, 3, 4), (None, 5, 6), (None, 5, 4)])
    rng = np.random.default_rng(4)
    params = {w.name.split("/")[-1]: rng.uniform(0.5, 1.5) for w in layer.weights}
    for w in layer.weights:
        w.assign(np.float32(params[w.name.split("/")[-1]]))
    out, scores = layer([q, v, k], return_attention_scores=True)
    want, want_scores = np_attention(q, v, k, mode, params.get("scale"),
                                     params.get("concat_score_weight"))
    np.testing.assert_allclose(out.numpy(), want, **TOL)
    np.testing.assert_allclose(scores.numpy(), want_scores, **TOL)
    weights = [normal(tuple(w.shape)) for w in layer.weights]
    check_op(lambda q_, v_, k_, *ws: call_with(layer, [q_, v_, k_], ws),
             [q, v, k] + weights, **TOL)


def test_attention_masks_and_causality():
    q, v = rand(2, 4, 3, seed=5), rand(2, 4, 3, seed=6)
    value_mask = np.array([[1, 1, 0, 1], [1, 0, 0, 0]], bool)
    query_mask = np.array([[1, 0, 1, 1], [1, 1, 1, 0]], bool)
    layer = layers.Attention()
    got = layer([q, v], mask=[query_mask, value_mask]).numpy()
    want, _ = np_attention(q, v, v, value_mask=value_mask, query_mask=query_mask)
    np.testing.assert_allclose(got, want, **TOL)
    got = layer([q, v], use_causal_mask=True, mask=[None, value_mask]).numpy()
    want, _ = np_attention(q, v, v, value_mask=value_mask, use_causal=True)
    np.testing.assert_allclose(got, want, **TOL)
    check_op(lambda q_, v_: layer([q_, v_], mask=[query_mask, value_mask],
                                  use_causal_mask=True), [q, v], **TOL)


def test_attention_reads_embedding_masks():
    ids = np.array([[3, 1, 0, 0], [2, 2, 4, 0]])
    inputs = gf.Input(shape=(None,), dtype="int32")
    embedded = layers.Embedding(5, 3, mask_zero=True)(inputs)
    model = gf.Model(inputs, layers.Attention()([embedded, embedded]))
    table = model.layers[1].embeddings.numpy()
    mask = ids != 0
    want, _ = np_attention(table[ids], table[ids], table[ids], value_mask=mask,
                           query_mask=mask)
    np.testing.assert_allclose(model.predict(ids), want, **TOL)


def test_attention_symbolic_and_checks():
    q, v = gf.Input(shape=(3, 4)), gf.Input(shape=(5, 4))
    out, scores = layers.Attention()([q, v], return_attention_scores=True)
    assert out.shape == (None, 3, 4) and scores.shape == (None, 3, 5)
    with pytest.raises(ValueError, match="inputs must be \\[query, value\\]"):
        layers.Attention()(rand(2, 3, 4))
    with pytest.raises(ValueError, match="query and key need the same feature size"):
        layers.Attention()([rand(2, 3, 4), rand(2, 5, 6)])
    with pytest.raises(ValueError, match="score_mode must be 'dot' or 'concat'"):
        layers.Attention(score_mode="additive")
    with pytest.raises(TypeError, match="do not pass mask= in a functional model"):
        layers.Attention()([q, v], mask=[q, v])


def np_mha(query, value, key, weights, heads, key_dim, keep=None, use_causal=False):
    wq, bq, wk, bk, wv, bv, wo, bo = (w.astype(np.float64) for w in weights)
    tq, tk = query.shape[1], key.shape[1]
    if use_causal:
        c = causal(tq, tk)[None]
        keep = c if keep is None else keep & c
    outs, all_scores = 0.0, []
    for h in range(heads):
        qh = query @ wq[:, h] + bq[h]
        kh = key @ wk[:, h] + bk[h]
        vh = value @ wv[:, h] + bv[h]
        scores = np_masked_softmax(qh @ kh.transpose(0, 2, 1) / np.sqrt(key_dim), keep)
        all_scores.append(scores)
        outs = outs + (scores @ vh) @ wo[h]
    return outs + bo, np.stack(all_scores, 1)


def _random_weights(layer, seed):
    rng = np.random.default_rng(seed)
    values = [rng.normal(size=w.shape).astype(np.float32) * 0.5 for w in layer.weights]
    layer.set_weights(values)
    return values


@pytest.mark.parametrize("kwargs", [dict(num_heads=2, key_dim=3),
                                    dict(num_heads=3, key_dim=2, value_dim=4, output_shape=5)])
def test_multi_head_attention_matches_numpy_and_gradients(kwargs):
    query, value, key = rand(2, 3, 4, seed=7), rand(2, 5, 6, seed=8), rand(2, 5, 3, seed=9)
    layer = layers.MultiHeadAttention(**kwargs)
    layer(query, value, key)
    assert [w.shape for w in layer.weights][:2] == [[4, kwargs["num_heads"], kwargs["key_dim"]],
                                                   [kwargs["num_heads"], kwargs["key_dim"]]]
    weights = _random_weights(layer, 10)
    out, scores = layer(query, value, key, return_attention_scores=True)
    want, want_scores = np_mha(query, value, key, weights, kwargs["num_heads"],
                               kwargs["key_dim"])
    np.testing.assert_allclose(out.numpy(), want, **TOL)
    np.testing.assert_allclose(scores.numpy(), want_scores, **TOL)
    check_op(lambda q_, v_, k_, *ws: call_with(layer, [q_, v_, k_], ws),
             [query, value, key] + [normal(tuple(w.shape), 0.5) for w in layer.weights], **TOL)


def test_multi_head_attention_masks():
    x = rand(2, 4, 3, seed=11)
    layer = layers.MultiHeadAttention(num_heads=2, key_dim=2)
    layer(x, x)
    weights = _random_weights(layer, 12)
    mask = np.random.default_rng(13).random((2, 4, 4)) < 0.6
    mask[:, :, 0] = True
    got = layer(x, x, attention_mask=mask).numpy()
    np.testing.assert_allclose(got, np_mha(x, x, x, weights, 2, 2, keep=mask)[0],
                               **TOL)
    got = layer(x, x, attention_mask=mask, use_causal_mask=True).numpy()
    np.testing.assert_allclose(
        got, np_mha(x, x, x, weights, 2, 2, keep=mask, use_causal=True)[0], **TOL)
    check_op(lambda a: layer(a, a, attention_mask=mask, use_causal_mask=True), [x], **TOL)
    with pytest.raises(ValueError, match=r"attention_mask must have shape \[2, 4, 4\]"):
        layer(x, x, attention_mask=mask[:, :3])


def test_multi_head_attention_in_a_functional_model_saves_and_loads(tmp_path):
    query, value = gf.Input(shape=(3, 4)), gf.Input(shape=(5, 4))
    mask = gf.Input(shape=(3, 5), dtype="bool")
    attended = layers.MultiHeadAttention(num_heads=2, key_dim=3)(query, value,
                                                                 attention_mask=mask)
    model = gf.Model([query, value, mask], layers.GlobalAveragePooling1D()(attended))
    data = [rand(2, 3, 4, seed=14), rand(2, 5, 4, seed=15),
            np.random.default_rng(16).random((2, 3, 5)) < 0.7]
    data[2][..., 0] = True
    expected = model.predict(data)
    model.save(tmp_path / "mha.glflow")
    loaded = gf.models.load_model(tmp_path / "mha.glflow")
    np.testing.assert_allclose(loaded.predict(data), expected, rtol=1e-6)
    with pytest.raises(TypeError, match="call it as mha\\(query, value\\)"):
        layers.MultiHeadAttention(2, 3)(rand(2, 3, 4))
    with pytest.raises(ValueError, match="attention_axes=\\(1,\\) is not supported"):
        layers.MultiHeadAttention(2, 3, attention_axes=(1,))
    with pytest.raises(ValueError, match="num_heads must be a positive int"):
        layers.MultiHeadAttention(0, 3)
