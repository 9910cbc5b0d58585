"""matmul's packed B and the direct conv's packed filters are kept with B's data
(GLData.derived, matmul.kept_pack_b): packed once while B lives, released with it, and never
kept for graph mode's planned buffers, which every run rewrites."""
import numpy as np
import pytest

import glflow as gf
from glflow.backends.gl import matmul
from glflow.runtime import state


@pytest.fixture
def packs(monkeypatch):
    """Counts pack_b draws."""
    calls = []
    real = matmul.pack_b

    def counting(*args):
        calls.append(args[3:])
        return real(*args)
    monkeypatch.setattr(matmul, "pack_b", counting)
    return calls


def _rand(shape, seed):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


def test_a_weight_is_packed_once_for_many_products(packs):
    w = gf.tensor(_rand((37, 19), 0))
    for seed in (1, 2, 3):
        x = _rand((5, 37), seed)
        np.testing.assert_allclose(gf.matmul(gf.tensor(x), w).numpy(), x @ w.numpy(),
                                   rtol=1e-5, atol=1e-5)
    assert len(packs) == 1
    gf.matmul(gf.tensor(_rand((5, 19), 4)), gf.transpose(w)).numpy()  # another view of w
    assert len(packs) == 2


def test_the_kept_texture_goes_with_the_weight():
    gf.matmul(gf.ones([3, 200]), gf.ones([200, 3])).numpy()  # programs and pool warm
    before = gf.memory()["bytes_in_use"]
    w = gf.tensor(_rand((200, 40), 5))
    x = gf.tensor(_rand((3, 200), 6))
    gf.matmul(x, w).dispose()
    assert gf.memory()["bytes_in_use"] > before
    data = w._storage.handle
    assert data.derived  # the packed copy, kept
    w.dispose()
    x.dispose()
    assert data.derived is None
    assert gf.memory()["bytes_in_use"] == before


def test_a_new_value_of_a_variable_is_packed_again(packs):
    v = gf.Variable(gf.tensor(_rand((16, 8), 7)))
    x = gf.tensor(_rand((4, 16), 8))
    first = gf.matmul(x, v).numpy()
    new = _rand((16, 8), 9)
    v.assign(gf.tensor(new))
    np.testing.assert_allclose(gf.matmul(x, v).numpy(), x.numpy() @ new, rtol=1e-5, atol=1e-5)
    assert not np.allclose(first, x.numpy() @ new)
    assert len(packs) == 2


def test_graph_mode_buffers_keep_nothing(packs):
    """B computed inside a compiled function sits in a planned buffer that the next call
    rewrites: a kept packing would give the first call's product again."""
    @gf.function
    def product(x, w):
        return gf.matmul(x, gf.relu(w) * 2.0)

    x = _rand((6, 12), 10)
    for seed in (11, 12, 13):
        w = _rand((12, 9), seed)
        want = x @ (np.maximum(w, 0) * 2)
        np.testing.assert_allclose(product(gf.tensor(x), gf.tensor(w)).numpy(), want,
                                   rtol=1e-5, atol=1e-5)


def test_conv_filters_are_packed_once(packs):
    f = gf.tensor(_rand((3, 3, 5, 8), 14))
    for seed in (15, 16):
        x = _rand((2, 9, 11, 5), seed)
        got = gf.conv2d(gf.tensor(x), f, 1, "same").numpy()
        state_cpu = gf.get_backend()
        gf.set_backend("cpu")
        try:
            want = gf.conv2d(gf.tensor(x), gf.tensor(f.numpy()), 1, "same").numpy()
        finally:
            gf.set_backend(state_cpu)
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
    assert len(packs) == 1
    assert state.backend().name == "gl"
