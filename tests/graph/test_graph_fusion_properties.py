"""Fused equals unfused: hypothesis draws elementwise expressions over broadcasting inputs and
scalar constants; the compiled function (one fused kernel) must give what the same ops give
one kernel at a time, eagerly, on both backends. Derandomized: the same examples every run.

Tolerance. numpy (cpu): exact, since the fused tree converts every intermediate to its dtype
as an unfused kernel's output is. GL: every kernel computes in float32 either way, but inside
one shader the compiler may contract a * b + c into a fused multiply-add (GLSL allows it
without `precise`; llvmpipe does it), which rounds once instead of twice: an error of half an
ulp of the product per contraction, carried on by what follows. Bounded here by 1e-6 of the
largest magnitude any intermediate value reaches (`scale`), over at most 15 operations.
"""
import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import glflow as gf

from graph_checks import backend

SETTINGS = settings(max_examples=30, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow])
UNARY = ("neg", "abs", "tanh", "sigmoid", "relu", "sin", "square", "exp")
BINARY = ("add", "sub", "mul", "maximum", "minimum")
SHAPES = hnp.mutually_broadcastable_shapes(num_shapes=3, min_dims=0, max_dims=3, min_side=1,
                                           max_side=5)


def expressions(depth):
    leaf = st.one_of(st.tuples(st.just("in"), st.integers(0, 2)),
                     st.tuples(st.just("const"), st.floats(-2.0, 2.0, width=32)))
    if depth == 0:
        return leaf
    sub = expressions(depth - 1)
    return st.one_of(leaf,
                     st.tuples(st.just("unary"), st.sampled_from(UNARY), sub),
                     st.tuples(st.just("binary"), st.sampled_from(BINARY), sub, sub))


def evaluate(expr, xs, seen):
    """Build the expression with glflow ops on tensors xs; `seen` collects magnitudes."""
    kind = expr[0]
    if kind == "in":
        out = xs[expr[1]]
    elif kind == "const":
        return expr[1]
    elif kind == "unary":
        a = evaluate(expr[2], xs, seen)
        out = getattr(gf, expr[1])(a if isinstance(a, gf.Tensor) else gf.tensor(np.float32(a)))
    else:
        a, b = evaluate(expr[2], xs, seen), evaluate(expr[3], xs, seen)
        if not isinstance(a, gf.Tensor) and not isinstance(b, gf.Tensor):
            a = gf.tensor(np.float32(a))
        out = getattr(gf, expr[1])(a, b)
    if seen is not None and not out._symbolic:
        seen.append(float(np.max(np.abs(out.numpy()), initial=0.0)))
    return out


@st.composite
def cases(draw):
    shapes = draw(SHAPES).input_shapes
    arrays = [draw(hnp.arrays(np.float32, s, elements=st.floats(-2.0, 2.0, width=32)))
              for s in shapes]
    expr = draw(expressions(4).filter(lambda e: e[0] not in ("in", "const")))
    return expr, arrays


def check(name, expr, arrays):
    with backend(name):
        xs = [gf.tensor(a) for a in arrays]
        seen = []
        want = evaluate(expr, xs, seen)
        f = gf.function(lambda *ts: evaluate(expr, ts, None))
        got = f(*xs)
        assert len(f.graph.kernel_nodes()) <= 1
        assert got.shape == want.shape and got.dtype == want.dtype
        if name == "cpu":
            np.testing.assert_array_equal(got.numpy(), want.numpy())
        else:
            scale = max([1.0] + [s for s in seen if np.isfinite(s)])
            np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-6, atol=1e-6 * scale)


@SETTINGS
@given(cases())
def test_fused_equals_unfused_cpu(case):
    check("cpu", *case)


@SETTINGS
@given(cases())
def test_fused_equals_unfused_gl(case):
    check("gl", *case)
