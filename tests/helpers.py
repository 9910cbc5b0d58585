"""check_op: the one helper every op test uses.

    check_op(gf.add, [(3, 5), (5,)])                      # random normal inputs of these shapes
    check_op(gf.log, [positive((7,))], rtol=1e-5)         # inputs from a value domain
    check_op(lambda x: gf.sum(x, axis=1), [(4, 6)])

It runs `fn` on the cpu (numpy) and gl backends from the same seeded inputs and compares the
results; for differentiable ops it compares the gradients of sum(fn(x) * w) (w random, so the
whole vector-Jacobian product is tested, not only the sum) between the backends, and checks the
cpu gradient against central finite differences computed in float64.
On gl it turns host forwarding off (glflow/backends/gl/host.py), so every kernel really runs
as a shader; tests/test_host_forward.py checks the forwarded kernels against those shaders.
It also records which kernels ran, so the registry test can prove every kernel was checked:
forward values for every kernel that ran; gradients (and finite differences, credited by the
finite-difference check itself once it passed) only for kernels of ops on the path from a
watched input, in a case where that op saw more than 4 elements. A kernel that ran only on
constants, or only on a single texel, has not had its gradient checked.
"""
import contextlib

import numpy as np

import glflow as gf
from glflow.runtime import counters, dtypes, state

COVERAGE = {"gl": set(), "cpu": set(), "grad": set(), "finite_difference": set()}


class Spec:
    """How to make one input: shape + generator(rng, shape) -> numpy array."""

    def __init__(self, shape, make, differentiable=True):
        self.shape = tuple(shape)
        self.make = make
        self.differentiable = differentiable


def normal(shape, scale=1.0):
    return Spec(shape, lambda rng, s: (rng.standard_normal(s) * scale).astype(np.float32))


def uniform(shape, low, high):
    return Spec(shape, lambda rng, s: rng.uniform(low, high, s).astype(np.float32))


def positive(shape, low=0.1, high=3.0):
    return uniform(shape, low, high)


def away_from_zero(shape, low=0.2, high=3.0):
    def make(rng, s):
        mag = rng.uniform(low, high, s)
        return (mag * rng.choice([-1.0, 1.0], s)).astype(np.float32)
    return Spec(shape, make)


def integers(shape, low=-50, high=50):
    return Spec(shape, lambda rng, s: rng.integers(low, high, s).astype(np.int32), False)


def booleans(shape):
    return Spec(shape, lambda rng, s: rng.random(s) < 0.5, False)


def fixed(array, differentiable=None):
    array = np.asarray(array)
    diff = array.dtype.kind == "f" if differentiable is None else differentiable
    return Spec(array.shape, lambda rng, s: array.copy(), diff)


def make_inputs(specs, seed):
    rng = np.random.default_rng(seed)
    out = []
    for spec in specs:
        if not isinstance(spec, Spec):
            spec = fixed(spec) if isinstance(spec, np.ndarray) else normal(spec)
        out.append((spec, spec.make(rng, spec.shape)))
    return out


def _as_list(y):
    return list(y) if isinstance(y, (list, tuple)) else [y]


def _kernels_run(before):
    return {k for k, n in counters.kernel_counts.items() if n > before.get(k, 0)}


@contextlib.contextmanager
def on_backend(name):
    """The block on backend `name`; on gl with every kernel drawn (no host forwarding)."""
    previous = gf.get_backend()
    gf.set_backend(name)
    b = state.backend()
    forwarding = getattr(b, "host_forward", None)
    if forwarding is not None:
        b.host_forward = False
    try:
        yield b
    finally:
        if forwarding is not None:
            b.host_forward = forwarding
        gf.set_backend(previous)


def run_on(backend, fn, arrays):
    """fn on tensors made from arrays on `backend`; returns (numpy outputs, kernels run)."""
    with on_backend(backend):
        before = dict(counters.kernel_counts)
        ts = [gf.tensor(a) for a in arrays]
        ys = [y.numpy() for y in _as_list(fn(*ts))]
        return ys, _kernels_run(before)


def assert_close(got, want, rtol, atol, what):
    got, want = np.asarray(got), np.asarray(want)
    assert got.shape == want.shape, f"{what}: shape {got.shape} != {want.shape}"
    if want.dtype == np.bool_ or want.dtype.kind in "iu":
        np.testing.assert_array_equal(got, want, err_msg=what)
        return
    np.testing.assert_allclose(got.astype(np.float64), want.astype(np.float64), rtol=rtol,
                               atol=atol, equal_nan=True, err_msg=what)


# An op's gradient is credited to its kernels only when the op saw more than this many
# elements: one texel holds 4, and a kernel checked on a single texel has not shown that its
# gradient addresses elements right.
GRADIENT_CREDIT_MIN_SIZE = 4


class PathTape(gf.GradientTape):
    """A GradientTape that also collects `path_kernels`: the kernels of recorded primitive
    calls that depend on a watched input, have a gradient, and saw more than 4 elements. A
    custom_grad call has no kernel (its gradient is the caller's), and the calls inside its
    function are not recorded, so their kernels get no credit there."""

    def __init__(self):
        super().__init__()
        self.path_kernels = set()

    def add(self, call):
        on_path = any(self._depends(t) for t in call.inputs)
        super().add(call)
        kernel = getattr(call.prim, "kernel", None)
        largest = max((t.size for t in list(call.inputs) + list(call.outputs)), default=0)
        if (on_path and kernel is not None and call.prim.grad is not None
                and largest > GRADIENT_CREDIT_MIN_SIZE):
            self.path_kernels.add(kernel)


def _gradients(backend, fn, arrays, wrt, weights):
    """(gradients of sum(fn(x) * w) for the inputs in wrt, the tape's path kernels)."""
    with on_backend(backend):
        ts = [gf.tensor(a) for a in arrays]
        with PathTape() as tape:
            tape.watch(*[ts[i] for i in wrt])
            ys = _as_list(fn(*ts))
            total = None
            for y, w in zip(ys, weights):
                term = gf.sum(gf.mul(y, gf.tensor(w)))
                total = term if total is None else gf.add(total, term)
        grads = tape.gradient(total, [ts[i] for i in wrt])
        out = [np.zeros(arrays[i].shape) if g is None else g.numpy() for g, i in zip(grads, wrt)]
        return out, tape.path_kernels


def _objective64(fn, arrays, weights):
    """sum(fn(x) * w) on the cpu backend in float64."""
    ys, _ = run_on("cpu", fn, arrays)
    return sum(float(np.sum(y.astype(np.float64) * w)) for y, w in zip(ys, weights))


def finite_difference_check(fn, arrays, wrt, weights, analytic, eps=1e-6, rtol=1e-4, atol=1e-6,
                            seed=0, kernels=()):
    """Central differences in float64; per coordinate for small inputs, else along 4 random
    directions (checks the projection of the whole gradient). Once every direction agrees,
    `kernels` (the analytic gradient's path kernels) are credited as checked."""
    rng = np.random.default_rng(seed)
    arrays64 = [a.astype(np.float64) if a.dtype.kind == "f" else a for a in arrays]
    with dtypes.float64_reference():
        for i, g in zip(wrt, analytic):
            x = arrays64[i]
            if x.size <= 24:
                directions = [np.eye(x.size)[j].reshape(x.shape) for j in range(x.size)]
            else:
                directions = [rng.standard_normal(x.shape) for _ in range(4)]
            for v in directions:
                plus = list(arrays64)
                minus = list(arrays64)
                plus[i] = x + eps * v
                minus[i] = x - eps * v
                numeric = (_objective64(fn, plus, weights) - _objective64(fn, minus, weights)) / (2 * eps)
                exact = float(np.sum(np.asarray(g, np.float64) * v))
                assert abs(numeric - exact) <= atol + rtol * max(abs(numeric), abs(exact)), (
                    f"gradient of input {i} vs finite differences: analytic {exact}, "
                    f"numeric {numeric}")
    COVERAGE["finite_difference"].update(kernels)


def check_op(fn, inputs, *, seed=0, rtol=1e-5, atol=1e-6, grad=True, grad_rtol=1e-4,
             grad_atol=1e-5, fd_rtol=1e-4, fd_atol=1e-6, fd_eps=1e-6, wrt=None):
    """Compare fn on cpu and gl (values, gradients) and the cpu gradient with finite
    differences. Tolerances are per op: set them at the call site with a reason."""
    specs_arrays = make_inputs(inputs, seed)
    arrays = [a for _, a in specs_arrays]
    cpu, cpu_kernels = run_on("cpu", fn, arrays)
    gl, gl_kernels = run_on("gl", fn, arrays)
    assert len(cpu) == len(gl)
    for k, (c, g) in enumerate(zip(cpu, gl)):
        assert_close(g, c, rtol, atol, f"output {k}: gl vs cpu")
    COVERAGE["cpu"].update(k for b, k in cpu_kernels if b == "cpu")
    COVERAGE["gl"].update(k for b, k in gl_kernels if b == "gl")
    if not grad:
        return cpu
    if wrt is None:
        wrt = [i for i, (spec, a) in enumerate(specs_arrays)
               if spec.differentiable and a.dtype.kind == "f"]
    if not wrt:
        return cpu
    rng = np.random.default_rng(seed + 1)
    weights = [rng.standard_normal(c.shape) for c in cpu]
    grads_cpu, cpu_path = _gradients("cpu", fn, arrays, wrt,
                                     [w.astype(np.float32) for w in weights])
    grads_gl, gl_path = _gradients("gl", fn, arrays, wrt, [w.astype(np.float32) for w in weights])
    for i, gc, gg in zip(wrt, grads_cpu, grads_gl):
        assert_close(gg, gc, grad_rtol, grad_atol, f"gradient of input {i}: gl vs cpu")
    COVERAGE["grad"].update(cpu_path & gl_path)
    with dtypes.float64_reference():
        grads64, path64 = _gradients("cpu", fn, [a.astype(np.float64) if a.dtype.kind == "f"
                                                 else a for a in arrays], wrt, weights)
    finite_difference_check(fn, arrays, wrt, weights, grads64, eps=fd_eps, rtol=fd_rtol,
                            atol=fd_atol, seed=seed, kernels=path64)
    return cpu
