"""A custom op with its own gradient (gf.custom_grad), like tf.custom_gradient.

log(1 + exp(x)) written naively overflows for large x and its composed gradient turns into
inf / inf = nan; a custom op computes the value stably and supplies the exact gradient,
sigmoid(x), written with glflow ops so it runs on the GPU too.

    glflow run examples/custom_op.py
"""
import numpy as np

import glflow as gf


@gf.custom_grad
def softplus(x):
    # max(x, 0) + log(1 + exp(-|x|)): never overflows
    value = gf.add(gf.maximum(x, 0.0), gf.log(gf.add(gf.exp(gf.neg(gf.abs(x))), 1.0)))

    def grad(dy):
        return gf.mul(dy, gf.sigmoid(x))
    return value, grad


x = gf.tensor([-100.0, -2.0, 0.0, 2.0, 100.0])
naive = gf.grad(lambda t: gf.log(gf.add(gf.exp(t), 1.0)).sum())(x)
value, dx = gf.value_and_grad(lambda t: softplus(t).sum())(x)

print("softplus(x)         =", softplus(x).numpy())
print("naive gradient      =", naive.numpy(), "(exp overflows at x = 100)")
print("custom gradient     =", dx.numpy())
expected = 1.0 / (1.0 + np.exp(-x.numpy().astype(np.float64)))
print("matches sigmoid(x):", bool(np.allclose(dx.numpy(), expected, rtol=1e-5, atol=1e-7)))
