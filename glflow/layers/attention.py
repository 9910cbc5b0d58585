"""Attention layers on [batch, steps, features] sequences: Attention (Luong-style dot or
Bahdanau-style concat scores) and MultiHeadAttention (Vaswani et al. 2017), in Keras's
weight layouts and call conventions.

Masks follow Keras: a value mask hides keys (their logits get MASKED_LOGIT before the
softmax), a query mask zeroes the outputs of masked queries, use_causal_mask lets query i
see keys <= i. Masks come as arguments or from the `_keras_mask` of the inputs (Embedding
with mask_zero, Masking).
"""
import math

import numpy as np

from .. import ops
from . import initializers, regularizers
from .advanced_activations import MASKED_LOGIT
from .base import Layer
from .node import is_symbolic
from .shapes import show

SCORE_MODES = ("dot", "concat")


def _rate(layer, value):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < 1:
        raise ValueError(f"{type(layer).__name__} {layer.name!r}: dropout must be a number in "
                         f"[0, 1), got {value!r}")
    return float(value)


def _sequence(layer, what, shape):
    if not isinstance(shape, tuple) or len(shape) != 3:
        got = show(shape) if isinstance(shape, tuple) else repr(shape)
        raise ValueError(f"{type(layer).__name__} {layer.name!r}: {what} must have shape "
                         f"[batch, steps, features] (rank 3), got {got}")
    return shape


def masked_softmax(scores, keep):
    """softmax over the last axis of scores, where `keep` (bool, broadcast against scores)
    is False the logit is pushed to MASKED_LOGIT."""
    if keep is not None:
        hidden = ops.sub(1.0, ops.cast(keep, "float32"))
        scores = ops.add(scores, ops.mul(hidden, MASKED_LOGIT))
    return ops.softmax(scores, -1)


def _and(a, b):
    if a is None:
        return b
    return a if b is None else ops.logical_and(a, b)


def causal_mask(query_steps, key_steps):
    """[1, Tq, Tk] bool: query i sees keys j <= i."""
    rows = np.arange(query_steps)[:, None] >= np.arange(key_steps)[None, :]
    return ops.tensor(rows[None])


class _Attending(Layer):
    """Dropout of the attention weights, shared by both layers."""

    _output_shape_kwargs = ("return_attention_scores",)

    def __init__(self, dropout=0.0, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.dropout = _rate(self, dropout)
        self.seed = seed
        self._rng = None if seed is None else np.random.default_rng(seed)

    def _dropped(self, weights, training):
        if not training or self.dropout == 0.0:
            return weights
        seed = None if self._rng is None else int(self._rng.integers(2 ** 31 - 1))
        return ops.dropout(weights, self.dropout, seed=seed)

    def get_config(self):
        config = super().get_config()
        config.update(dropout=self.dropout, seed=self.seed)
        return config


class Attention(_Attending):
    """Dot-product attention: Attention()([query, value]) or ([query, value, key]); the key
    defaults to the value.
        scores = query @ key^T               (score_mode="dot", times `scale` if use_scale)
        scores = sum(tanh(query_i + key_j))  (score_mode="concat", times concat_score_weight;
                                              tanh(scale * (...)) if use_scale)
        output = softmax(scores) @ value
    call(inputs, mask=[query_mask, value_mask], return_attention_scores=False,
    use_causal_mask=False); with return_attention_scores it returns [output, weights]."""

    def __init__(self, use_scale=False, score_mode="dot", dropout=0.0, seed=None, **kwargs):
        super().__init__(dropout=dropout, seed=seed, **kwargs)
        if score_mode not in SCORE_MODES:
            raise ValueError(f"Attention {self.name!r}: score_mode must be 'dot' or 'concat', "
                             f"got {score_mode!r}")
        self.use_scale = bool(use_scale)
        self.score_mode = score_mode

    def __call__(self, inputs, *args, **kwargs):
        if is_symbolic(kwargs.get("mask")):
            raise TypeError(f"Attention {self.name!r}: masks of symbolic inputs come from the "
                            "inputs themselves (Embedding(mask_zero=True), Masking); do not "
                            "pass mask= in a functional model")
        return super().__call__(inputs, *args, **kwargs)

    def _parts(self, inputs):
        # one tensor's shape is a tuple of sizes; several inputs' shapes come as a list
        several = isinstance(inputs, list) or (isinstance(inputs, tuple) and not any(
            isinstance(d, int) or d is None for d in inputs))
        if not several or len(inputs) not in (2, 3):
            raise ValueError(f"Attention {self.name!r}: inputs must be [query, value] or "
                             f"[query, value, key], got "
                             + (f"{len(inputs)} inputs" if several else "one input"))
        query, value = inputs[0], inputs[1]
        return query, value, inputs[2] if len(inputs) == 3 else value

    def build(self, input_shape):
        query, value, key = (_sequence(self, what, s) for what, s in
                             zip(("query", "value", "key"), self._parts(input_shape)))
        if key[1] is not None and value[1] is not None and key[1] != value[1]:
            raise ValueError(f"Attention {self.name!r}: key and value need the same number of "
                             f"steps, got {show(key)} and {show(value)}")
        if query[2] != key[2]:
            raise ValueError(f"Attention {self.name!r}: query and key need the same feature "
                             f"size, got {show(query)} and {show(key)}")
        self.scale = self.add_weight("scale", (), "ones") if self.use_scale else None
        self.concat_score_weight = (self.add_weight("concat_score_weight", (), "ones")
                                    if self.score_mode == "concat" else None)

    def _scores(self, query, key):
        if self.score_mode == "dot":
            scores = ops.matmul(query, key, transpose_b=True)
            return scores if self.scale is None else ops.mul(scores, self.scale)
        pairs = ops.add(ops.expand_dims(query, 2), ops.expand_dims(key, 1))  # [B, Tq, Tv, D]
        if self.scale is not None:
            pairs = ops.mul(pairs, self.scale)
        return ops.mul(ops.sum(ops.tanh(pairs), axis=-1), self.concat_score_weight)

    def call(self, inputs, mask=None, training=False, return_attention_scores=False,
             use_causal_mask=False):
        query, value, key = (t if t.dtype == "float32" else ops.cast(t, "float32")
                             for t in self._parts(inputs))
        query_mask, value_mask = (mask if mask is not None else
                                  [getattr(inputs[0], "_keras_mask", None),
                                   getattr(inputs[1], "_keras_mask", None)])
        keep = None
        if value_mask is not None:
            keep = ops.expand_dims(ops.cast(value_mask, "bool"), 1)  # [B, 1, Tv]
        if use_causal_mask:
            keep = _and(keep, causal_mask(query.shape[1], key.shape[1]))
        weights = masked_softmax(self._scores(query, key), keep)
        output = ops.matmul(self._dropped(weights, training), value)
        if query_mask is not None:
            output = ops.mul(output, ops.expand_dims(ops.cast(query_mask, "float32"), -1))
        return [output, weights] if return_attention_scores else output

    def compute_output_shape(self, input_shape, return_attention_scores=False):
        query, value, key = self._parts(input_shape)
        output = (query[0], query[1], value[2])
        return [output, (query[0], query[1], key[1])] if return_attention_scores else output

    def get_config(self):
        config = super().get_config()
        config.update(use_scale=self.use_scale, score_mode=self.score_mode)
        return config


class MultiHeadAttention(_Attending):
    """Multi-head attention: mha(query, value) or mha(query, value, key), on [batch, steps,
    features] tensors. Each head projects query and key to key_dim and value to value_dim,
    attends with softmax(q k^T / sqrt(key_dim)), and the heads' outputs are projected back to
    output_shape (default: query's features). Keras's weight layout:
        query/key kernels [features, num_heads, key_dim], biases [num_heads, key_dim]
        value kernel [features, num_heads, value_dim], bias [num_heads, value_dim]
        output kernel [num_heads, value_dim, output_shape], bias [output_shape]
    attention_mask: [batch, Tq, Tk] bool (True = may attend). With
    return_attention_scores=True it returns [output, weights of shape [batch, heads, Tq, Tk]].
    Attention runs over the steps axis only (attention_axes other than None are refused)."""

    def __init__(self, num_heads, key_dim, value_dim=None, dropout=0.0, use_bias=True,
                 output_shape=None, attention_axes=None, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 seed=None, **kwargs):
        super().__init__(dropout=dropout, seed=seed, **kwargs)
        for arg, value in (("num_heads", num_heads), ("key_dim", key_dim),
                           ("value_dim", key_dim if value_dim is None else value_dim)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"MultiHeadAttention {self.name!r}: {arg} must be a positive "
                                 f"int, got {value!r}")
        if attention_axes is not None:
            raise ValueError(f"MultiHeadAttention {self.name!r}: attention_axes="
                             f"{attention_axes!r} is not supported; glflow attends over the "
                             "steps axis of [batch, steps, features] inputs (attention_axes="
                             "None)")
        if output_shape is not None and not isinstance(output_shape, int):
            shape = tuple(output_shape)
            if len(shape) != 1:
                raise ValueError(f"MultiHeadAttention {self.name!r}: output_shape must be an "
                                 f"int (the output features), got {output_shape!r}")
            output_shape = shape[0]
        self.num_heads, self.key_dim = num_heads, key_dim
        self.value_dim = key_dim if value_dim is None else value_dim
        self.use_bias = bool(use_bias)
        self._output_dim = output_shape
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)

    def __call__(self, query, value=None, key=None, attention_mask=None, **kwargs):
        """mha(query, value, key=None, attention_mask=None, ...): the tensors travel as one
        input list [query, value, key (or value)] (+ [attention_mask]), so a functional graph
        records them all."""
        if isinstance(query, (list, tuple)) and value is None:  # the layer's own list form
            return super().__call__(query, **kwargs)
        if value is None:
            raise TypeError(f"MultiHeadAttention {self.name!r}: call it as mha(query, value) "
                            "or mha(query, value, key)")
        inputs = [query, value, value if key is None else key]
        if attention_mask is not None:
            if is_symbolic(inputs) and not is_symbolic(attention_mask):
                raise TypeError(f"MultiHeadAttention {self.name!r}: on symbolic inputs the "
                                "attention_mask must be symbolic too (an Input)")
            inputs.append(attention_mask)
        return super().__call__(inputs, **kwargs)

    def build(self, input_shape):
        if not isinstance(input_shape, list) or len(input_shape) not in (3, 4):
            raise ValueError(f"MultiHeadAttention {self.name!r}: expects [query, value, key"
                             f"(, attention_mask)] inputs, got shapes {input_shape}")
        query, value, key = (_sequence(self, what, s) for what, s in
                             zip(("query", "value", "key"), input_shape[:3]))
        if any(s[2] is None for s in (query, value, key)):
            raise ValueError(f"MultiHeadAttention {self.name!r}: the feature axes must be "
                             f"known, got {show(query)}, {show(value)}, {show(key)}")
        heads = self.num_heads
        out = self._output_dim or query[2]
        for name, features, width in (("query", query[2], self.key_dim),
                                      ("key", key[2], self.key_dim),
                                      ("value", value[2], self.value_dim)):
            setattr(self, f"{name}_kernel", self.add_weight(
                f"{name}_kernel", (features, heads, width), self.kernel_initializer,
                self.kernel_regularizer))
            setattr(self, f"{name}_bias", self.add_weight(
                f"{name}_bias", (heads, width), self.bias_initializer, self.bias_regularizer)
                if self.use_bias else None)
        self.output_kernel = self.add_weight("output_kernel", (heads, self.value_dim, out),
                                             self.kernel_initializer, self.kernel_regularizer)
        self.output_bias = (self.add_weight("output_bias", (out,), self.bias_initializer,
                                            self.bias_regularizer) if self.use_bias else None)

    def _heads(self, x, kernel, bias):
        """[B, T, D] -> [B, heads, T, width] through one matmul with kernel [D, H, width]."""
        batch, steps, features = x.shape
        _, heads, width = kernel.shape
        y = ops.matmul(ops.reshape(x, [batch * steps, features]),
                       ops.reshape(kernel, [features, heads * width]))
        if bias is not None:
            y = ops.add(y, ops.reshape(bias, [heads * width]))
        return ops.transpose(ops.reshape(y, [batch, steps, heads, width]), [0, 2, 1, 3])

    def call(self, inputs, training=False, return_attention_scores=False,
             use_causal_mask=False):
        query, value, key = (t if t.dtype == "float32" else ops.cast(t, "float32")
                             for t in inputs[:3])
        batch, q_steps, _ = query.shape
        k_steps = key.shape[1]
        keep = self._keep_mask(inputs, batch, q_steps, k_steps, use_causal_mask)
        q = ops.mul(self._heads(query, self.query_kernel, self.query_bias),
                    1.0 / math.sqrt(self.key_dim))
        k = self._heads(key, self.key_kernel, self.key_bias)
        v = self._heads(value, self.value_kernel, self.value_bias)
        weights = masked_softmax(ops.matmul(q, k, transpose_b=True), keep)  # [B, H, Tq, Tk]
        heads = ops.matmul(self._dropped(weights, training), v)            # [B, H, Tq, Dv]
        merged = ops.reshape(ops.transpose(heads, [0, 2, 1, 3]),
                             [batch * q_steps, self.num_heads * self.value_dim])
        out = self.output_kernel.shape[-1]
        y = ops.matmul(merged, ops.reshape(self.output_kernel,
                                           [self.num_heads * self.value_dim, out]))
        if self.output_bias is not None:
            y = ops.add(y, self.output_bias)
        y = ops.reshape(y, [batch, q_steps, out])
        return [y, weights] if return_attention_scores else y

    def _keep_mask(self, inputs, batch, q_steps, k_steps, use_causal_mask):
        """[B, 1, Tq, Tk] bool (or None): attention_mask, the inputs' own masks and the
        causal mask, combined."""
        keep = None
        if len(inputs) == 4:
            mask = ops.cast(inputs[3], "bool")
            if tuple(mask.shape) not in ((batch, q_steps, k_steps), (1, q_steps, k_steps)):
                raise ValueError(f"MultiHeadAttention {self.name!r}: attention_mask must have "
                                 f"shape [{batch}, {q_steps}, {k_steps}] (batch, query steps, "
                                 f"key steps), got {show(mask.shape)}")
            keep = mask
        query_mask = getattr(inputs[0], "_keras_mask", None)
        value_mask = getattr(inputs[1], "_keras_mask", None)
        if query_mask is not None:
            keep = _and(keep, ops.expand_dims(query_mask, -1))
        if value_mask is not None:
            keep = _and(keep, ops.expand_dims(value_mask, 1))
        if use_causal_mask:
            keep = _and(keep, causal_mask(q_steps, k_steps))
        return None if keep is None else ops.expand_dims(keep, 1)

    def compute_output_shape(self, input_shape, return_attention_scores=False):
        query, _, key = input_shape[:3]
        output = (query[0], query[1], self._output_dim or query[2])
        if return_attention_scores:
            return [output, (query[0], self.num_heads, query[1], key[1])]
        return output

    def get_config(self):
        config = super().get_config()
        config.update(num_heads=self.num_heads, key_dim=self.key_dim,
                      value_dim=self.value_dim, use_bias=self.use_bias,
                      output_shape=self._output_dim,
                      kernel_initializer=initializers.serialize(self.kernel_initializer),
                      bias_initializer=initializers.serialize(self.bias_initializer),
                      kernel_regularizer=regularizers.serialize(self.kernel_regularizer),
                      bias_regularizer=regularizers.serialize(self.bias_regularizer))
        return config
