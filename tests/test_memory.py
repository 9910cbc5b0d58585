"""Memory: no growth over many ops (with and without tidy), tidy/keep/dispose semantics, the
texture pool's byte budget and empty_cache, program compile counts, and failed ops that must
leave everything as it was."""
import gc
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import glflow as gf
from glflow.runtime import counters, state
from glflow.backends.gl.texture_pool import PooledTexture, TexturePool

FLAT_KEYS = ("num_tensors", "num_bytes", "bytes_in_use", "num_textures", "num_programs",
             "num_compiles")


def four_ops(a, b, i):
    """Four ops of the kinds eager code mixes: broadcast, elementwise, reduction, matmul."""
    c = a * float(i % 3) + b
    d = gf.relu(c)
    e = gf.sum(d, axis=1)
    f = gf.matmul(d, gf.ones([5, 3]))
    return float(e.numpy()[0] + f.numpy()[0, 0])


def stats():
    gc.collect()
    m = gf.memory()
    return {k: m[k] for k in FLAT_KEYS}


def test_no_growth_over_1000_ops():
    a, b = gf.ones([17, 5]), gf.tensor([1.0, -2.0, 3.0, -4.0, 5.0])
    for i in range(10):  # warm-up: programs compiled, pool filled, scalar constants cached
        four_ops(a, b, i)
    before = stats()
    for i in range(250):
        four_ops(a, b, i)
    assert stats() == before


def test_no_growth_with_tidy_per_step():
    a, b = gf.ones([17, 5]), gf.tensor([1.0, -2.0, 3.0, -4.0, 5.0])
    for i in range(10):
        gf.tidy(lambda: four_ops(a, b, i))
    before = stats()
    for i in range(250):
        gf.tidy(lambda: four_ops(a, b, i))
    assert stats() == before


def test_tidy_around_a_loop_releases_everything_at_exit():
    a = gf.ones([9, 5])
    gf.tidy(lambda: [gf.exp(a * float(i)) for i in range(3)])
    before = stats()
    with gf.tidy():
        held = [gf.exp(a * float(i % 3)) for i in range(50)]
        assert gf.memory()["num_tensors"] >= before["num_tensors"] + 50
    assert all(t.is_disposed for t in held)
    del held
    after = stats()
    assert after["num_tensors"] == before["num_tensors"]
    assert after["bytes_in_use"] == before["bytes_in_use"]


# --------------------------------------------------------------------------- tidy semantics

def test_tidy_keeps_returned_tensors_and_disposes_the_rest():
    inner = []

    def body():
        x = gf.ones([3])
        y = x * 2.0
        inner.extend([x, y])
        return y
    y = gf.tidy(body)
    assert not y.is_disposed and y.numpy().tolist() == [2.0, 2.0, 2.0]
    assert inner[0].is_disposed


def test_tidy_keeps_tensors_nested_in_lists_dicts_tuples():
    made = {}

    def body():
        made["a"], made["b"], made["c"], made["tmp"] = (gf.ones([2]), gf.zeros([2]),
                                                        gf.fill([2], 3.0), gf.ones([4]))
        return {"list": [made["a"], (made["b"],)], "tuple": ({"deep": made["c"]},), "n": 1}
    out = gf.tidy(body)
    assert out["list"][0] is made["a"] and out["tuple"][0]["deep"] is made["c"]
    for name in ("a", "b", "c"):
        assert not made[name].is_disposed
    assert made["tmp"].is_disposed
    assert out["tuple"][0]["deep"].numpy().tolist() == [3.0, 3.0]


def test_nested_tidy():
    log = {}

    def inner():
        log["inner_tmp"] = gf.ones([2])
        log["inner_out"] = gf.ones([2]) * 5.0
        return log["inner_out"]

    def outer():
        r = gf.tidy(inner)
        assert log["inner_tmp"].is_disposed and not r.is_disposed
        log["outer_tmp"] = r + 1.0
        return r * 2.0
    result = gf.tidy(outer)
    # the inner result belonged to the outer scope, which did not return it
    assert log["inner_out"].is_disposed and log["outer_tmp"].is_disposed
    assert result.numpy().tolist() == [10.0, 10.0]


def test_keep_survives_enclosing_scopes():
    kept = {}

    def body():
        kept["t"] = gf.keep(gf.ones([3]) * 4.0)
        kept["method"] = (gf.ones([1]) + 1.0).keep()
        gf.tidy(lambda: kept.setdefault("nested", gf.keep(gf.ones([2]))))
    gf.tidy(body)
    assert kept["t"].numpy().tolist() == [4.0, 4.0, 4.0]
    assert kept["method"].item() == 2.0 and not kept["nested"].is_disposed


def test_variables_are_not_disposed_by_tidy():
    v = gf.tidy(lambda: gf.variable(gf.ones([2])))
    w = {}
    gf.tidy(lambda: w.setdefault("v", gf.variable(gf.zeros([2]))))
    assert not v.is_disposed and not w["v"].is_disposed


def test_tidy_with_name_and_exception():
    assert gf.tidy("named", lambda: gf.ones([1]) * 3.0).item() == 3.0
    holder = []
    with pytest.raises(RuntimeError, match="boom"):
        with gf.tidy():
            holder.append(gf.ones([2]))
            raise RuntimeError("boom")
    assert holder[0].is_disposed
    assert state.thread.scopes == []


def test_tidy_without_a_function_is_a_type_error():
    # tidy(5) returned a scope object and ran nothing
    for args in [(5,), (np.ones(2),), ("name", 5), (5, lambda: None)]:
        with pytest.raises(TypeError, match="tidy: (expected a function|fn must be callable)"):
            gf.tidy(*args)
    assert state.thread.scopes == []
    with gf.tidy("named"):  # a name alone still scopes a block
        gf.ones([1])


# --------------------------------------------------------------------------- dispose

def test_use_after_dispose_is_a_clear_error():
    t = gf.tensor([[1.0, 2.0]])
    t.dispose()
    t.dispose()  # twice is harmless
    assert t.is_disposed
    for call, op in ((lambda: t + 1.0, "add"), (lambda: t.numpy(), "numpy"),
                     (lambda: gf.matmul(t, gf.ones([2, 2])), "matmul"),
                     (lambda: gf.sum(t), "sum")):
        with pytest.raises(ValueError, match=rf"{op}: tensor \d+ \(shape \[1, 2\]\) is disposed"):
            call()


def test_dispose_frees_the_texture_unless_shared():
    gc.collect()
    base = gf.memory()
    t = gf.ones([1000])
    view = gf.reshape(t, [10, 100])  # shares t's texture
    grown = gf.memory()["bytes_in_use"]
    assert grown > base["bytes_in_use"]
    t.dispose()
    assert view.numpy().sum() == 1000.0
    assert gf.memory()["bytes_in_use"] == grown
    gf.dispose([view, {"x": gf.ones([1])}])
    gc.collect()
    assert gf.memory()["bytes_in_use"] == base["bytes_in_use"]
    assert gf.memory()["num_tensors"] == base["num_tensors"]


def test_dropping_the_last_reference_frees_without_dispose():
    gc.collect()
    base = gf.memory()["bytes_in_use"]
    t = gf.ones([4096])
    assert gf.memory()["bytes_in_use"] > base
    del t
    assert gf.memory()["bytes_in_use"] == base


# --------------------------------------------------------------------------- the pool

def test_pool_budget_frees_textures_for_real(monkeypatch):
    backend = state.backend()
    pool = backend.pool
    deleted = []
    real_delete = PooledTexture.delete

    def counting_delete(self):
        deleted.append(self.nbytes)
        real_delete(self)
    monkeypatch.setattr(PooledTexture, "delete", counting_delete)
    monkeypatch.setattr(pool, "budget", 1 << 20)
    gf.empty_cache()
    deleted.clear()
    # distinct sizes (so no reuse): 16 tensors of >= 256 KiB each, 4 MiB+ in all, 1 MiB budget
    tensors = [gf.fill([65536 + 4096 * i], float(i)) for i in range(16)]
    created = gf.memory()["num_textures"]
    del tensors
    gc.collect()
    m = gf.memory()
    assert m["bytes_pooled"] <= pool.budget
    assert m["num_textures"] < created
    gf.ones([256]).numpy()  # the next GL section deletes the evicted textures (a tensor of
    # under 128 elements would make none: it stays on the host, backends/gl/host.py)
    assert sum(deleted) >= 3 << 20
    gf.empty_cache()
    m = gf.memory()
    assert m["bytes_pooled"] == 0
    assert pool._doomed == []
    live_textures = m["num_textures"]
    t = gf.ones([256])
    assert gf.memory()["num_textures"] == live_textures + 1  # a fresh texture, none pooled
    assert t.numpy().tolist() == [1.0] * 256


class _FakeTexture:
    """What TexturePool touches of a moderngl texture, without GL."""

    def __init__(self, size):
        self.size = size
        self.released = False

    def release(self):
        self.released = True


class _FakeContext:
    def texture(self, size, components, dtype):
        return _FakeTexture(size)


def _offline_pool(budget):
    return TexturePool(_FakeContext(), max_size=1 << 14, budget=budget)


def _held(pool, width):
    """A texture of `width` x 1 texels (width * 16 bytes) taken from the pool."""
    return pool.acquire(width, 1)


def test_pool_evicts_the_least_recently_released_size_first():
    # Removing move_to_end (so a size released again kept its old place) passed every test.
    pool = _offline_pool(budget=1 << 20)
    a1, a2, b, c = _held(pool, 64), _held(pool, 64), _held(pool, 128), _held(pool, 256)
    for pt in (a1, b, c, a2):  # size 64 released first, and again last: now the newest
        pool.release(pt)
    assert list(pool._free) == [(128, 1), (256, 1), (64, 1)]
    pool.budget = pool.pooled_bytes  # full: the next release evicts
    d = _held(pool, 32)
    pool.release(d)
    assert pool._doomed == [b]  # the 128 size was released longest ago
    assert list(pool._free) == [(256, 1), (64, 1), (32, 1)]
    pool.collect()
    assert b.tex.released and not a1.tex.released and not c.tex.released


def test_pool_keeps_exactly_its_budget_and_counts_what_it_does():
    # "at most `budget` bytes idle": a pool filled to exactly its budget keeps everything,
    # and its statistics count each acquire, reuse and release
    pool = _offline_pool(budget=3 * 64 * 16)
    assert pool.stats() == {"bytes_in_use": 0, "bytes_pooled": 0, "num_textures": 0,
                            "textures_created": 0, "textures_reused": 0,
                            "pool_budget_bytes": 3072}
    held = [_held(pool, 64) for _ in range(3)]
    assert pool.stats()["bytes_in_use"] == 3072 and pool.stats()["textures_created"] == 3
    for pt in held:
        pool.release(pt)
    assert pool.pooled_bytes == pool.budget and pool._doomed == []
    again = _held(pool, 64)
    assert again is held[-1]  # the last released comes back first
    stats = pool.stats()
    assert (stats["bytes_in_use"], stats["bytes_pooled"], stats["num_textures"],
            stats["textures_created"], stats["textures_reused"]) == (1024, 2048, 3, 3, 1)


def test_pool_budget_holds_when_releases_come_smallest_first():
    # Each release of a larger texture must evict as many older (smaller) ones as it takes,
    # oldest first, and a texture larger than the whole budget is not kept at all.
    budget = 3000
    pool = _offline_pool(budget)
    widths = [8, 16, 32, 64, 128, 256]  # 128 .. 4096 bytes
    held = [_held(pool, w) for w in widths]
    kept_after = []
    for pt in held:
        pool.release(pt)
        assert pool.pooled_bytes <= budget
        kept_after.append(sorted(p.width for stack in pool._free.values() for p in stack))
    # 128 + 256 + 512 + 1024 + 2048 bytes > 3000: the four older ones go for the 2048;
    # 4096 bytes > the budget: everything goes, itself too
    assert kept_after == [[8], [8, 16], [8, 16, 32], [8, 16, 32, 64], [128], []]
    assert [p.width for p in pool._doomed] == [8, 16, 32, 64, 128, 256]
    assert pool.pooled_bytes == 0 and pool.textures == 0
    pool.collect()
    assert all(p.tex.released for p in held)


def test_pool_reuses_textures_of_the_same_bucket():
    gf.ones([5000]).numpy()
    created = gf.memory()["textures_created"]
    for size in (5000, 4999, 4900):  # same width and row bucket
        gf.ones([size]).numpy()
    assert gf.memory()["textures_created"] == created


# --------------------------------------------------------------------------- compiles

def test_new_shapes_compile_nothing_new(monkeypatch):
    # every op drawn: small shapes would otherwise run on the host (backends/gl/host.py)
    monkeypatch.setattr(state.backend(), "host_forward", False)

    def ops(n, m):
        a, b = gf.ones([n, m]), gf.ones([m])
        outs = [a + b, a * a, gf.exp(a), gf.sum(a, axis=1), gf.mean(a, axis=0),
                gf.matmul(a, gf.ones([m, 3])), gf.transpose(a) + 1.0, gf.sum(a)]
        return [o.numpy() for o in outs]
    ops(6, 10)
    before = gf.memory()["num_compiles"]
    for n, m in ((7, 14), (33, 6), (129, 10), (2, 2)):
        ops(n, m)
    assert gf.memory()["num_compiles"] == before


def test_no_program_is_compiled_twice_in_a_process():
    """In a fresh process (the LRU cache is far from full there), every compile adds a
    distinct program: compiles == programs, after a broad mix of ops over many shapes."""
    script = textwrap.dedent("""
        import glflow as gf
        for n in (1, 3, 5, 17, 64, 129):
            a = gf.random_normal([n, 6], seed=n)
            for t in (a + 1.0, a * a, gf.relu(a), gf.sum(a, 0), gf.mean(a, 1), gf.max(a),
                      gf.matmul(a, gf.ones([6, 2])), gf.transpose(a), a[1:], gf.argmax(a, 1),
                      gf.softmax(a), gf.cumsum(a, 1), a > 0.5, gf.concat([a, a], 0)):
                t.numpy()
        m = gf.memory()
        print(m["num_compiles"], m["num_programs"])
    """)
    env = dict(os.environ, GLFLOW_BACKEND="gl")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         env=env, timeout=120, check=True).stdout.split()
    compiles, programs = int(out[0]), int(out[1])
    assert compiles > 10
    assert compiles == programs


# --------------------------------------------------------------------------- failed ops

@pytest.mark.parametrize("bad", [
    lambda a: gf.add(a, gf.ones([4])),
    lambda a: gf.matmul(a, gf.ones([5, 2])),
    lambda a: gf.sum(a, axis=3),
    lambda a: gf.reshape(a, [7]),
    lambda a: gf.tensor([[1, 2], [3]]),
    lambda a: gf.fill([1 << 20, 1 << 20], 1.0),
])
def test_a_failed_op_leaves_existing_tensors_intact(bad):
    values = np.arange(6, dtype=np.float32).reshape(2, 3)
    a = gf.tensor(values)
    keep_b = a * 2.0
    gc.collect()
    before = stats()
    with pytest.raises((ValueError, TypeError, MemoryError)):
        bad(a)
    gc.collect()
    assert stats() == before
    np.testing.assert_array_equal(a.numpy(), values)
    np.testing.assert_array_equal((a + keep_b).numpy(), values * 3)


def test_matmul_framebuffers_never_outlive_their_textures():
    """Framebuffers cached over several textures (matmul's render targets) are dropped when
    the pool deletes one of those textures, so an over-budget pool frees memory for real."""
    gf.set_backend("gl")
    backend = gf.runtime.state.backend()
    pool, cache = backend.pool, backend.mrt_framebuffers
    budget = pool.budget
    pool.budget = 0  # every released texture is deleted at the next GL section
    try:
        rng = np.random.default_rng(3)
        for n in (9, 33, 70):
            a = gf.tensor(rng.standard_normal((n, n)).astype(np.float32))
            gf.matmul(a, a).numpy()
            del a
        with backend.gl:
            pool.collect()  # delete what the releases queued
        assert not pool._doomed
        # every product's block textures went back to a zero-budget pool, so were deleted:
        # no framebuffer may still hold one of them
        assert not cache._fbos
    finally:
        pool.budget = budget
