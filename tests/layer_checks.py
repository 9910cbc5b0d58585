"""check_layer: check_op for layers, differentiating with respect to the input AND the weights.

    check_layer(lambda: layers.Conv2D(3, 2), (2, 5, 7, 3))

Each call of the checked function makes a fresh layer on the backend in use, builds it for the
input shape and runs `call` with its weight Variables swapped for the tensors check_op traces,
so gradients of the weights are compared gl vs cpu and against finite differences like any op
input. It also checks compute_output_shape against the shape the layer really returns.
"""
from helpers import check_op, normal


def call_with(layer, x, weights, **call_kwargs):
    """layer.call(x) with the attributes that hold its weights swapped for `weights` (same
    order as layer.weights)."""
    by_id = {id(w): t for w, t in zip(layer.weights, weights)}
    saved = {k: v for k, v in vars(layer).items() if id(v) in by_id}
    for k, v in saved.items():
        object.__setattr__(layer, k, by_id[id(v)])
    try:
        return layer.call(x, **call_kwargs)
    finally:
        for k, v in saved.items():
            object.__setattr__(layer, k, v)


def built(make, input_shape):
    layer = make()
    layer.build((None,) + tuple(input_shape[1:]))
    return layer


def check_layer(make, input_shape, weights=None, input_spec=None, call_kwargs=None, **tolerances):
    """check_op on x -> make()(x) with the weights as inputs; `weights` may give a Spec for
    each of the first k weights (default: normal of each weight's shape), and only those are
    swapped in (a BatchNormalization in training keeps its moving-statistics Variables,
    which it assigns). Returns the cpu output."""
    probe = built(make, input_shape)
    specs = [normal(tuple(w.shape)) for w in probe.weights] if weights is None else weights
    assert len(specs) <= len(probe.weights), "at most one spec per weight"
    call_kwargs = dict(call_kwargs or {})

    def fn(x, *ws):
        return call_with(built(make, input_shape), x, ws, **call_kwargs)

    (out,) = check_op(fn, [input_spec or normal(input_shape)] + list(specs), **tolerances)
    predicted = probe.compute_output_shape((input_shape[0],) + tuple(input_shape[1:]))
    assert tuple(predicted) == out.shape, (
        f"compute_output_shape {predicted} != real output shape {out.shape}")
    return out
