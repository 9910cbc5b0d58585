"""Ops from several Python threads at once: the one GL context is serialised and made current
per section, so every thread must get its own correct results (checked against numpy)."""
import sys
import threading

import numpy as np

import glflow as gf

THREADS = 4
OPS_PER_THREAD = 50


def worker(index, barrier, failures):
    rng = np.random.default_rng(100 + index)
    try:
        barrier.wait()  # start together so the threads really interleave
        for step in range(OPS_PER_THREAD):
            # shapes differ per thread and step, so programs, pool buckets and uniforms are
            # shared and switched between threads all the time
            rows, cols = 3 + index + step % 5, 4 + (step * 7 + index) % 9
            x = rng.standard_normal((rows, cols)).astype(np.float32)
            w = rng.standard_normal((cols, 3)).astype(np.float32)
            kind = step % 5
            if kind == 0:
                got = (gf.tensor(x) * 2.0 + 1.0).numpy()
                want = x * 2.0 + 1.0
            elif kind == 1:
                got = gf.sum(gf.tensor(x), axis=1).numpy()
                want = x.astype(np.float64).sum(axis=1)
            elif kind == 2:
                got = gf.matmul(gf.tensor(x), gf.tensor(w)).numpy()
                want = x.astype(np.float64) @ w
            elif kind == 3:
                got = gf.relu(gf.tensor(x) - gf.tensor(x[0])).numpy()
                want = np.maximum(x - x[0], 0.0)
            else:
                got = gf.grad(lambda t: gf.sum(t * t))(gf.tensor(x)).numpy()
                want = 2.0 * x
            np.testing.assert_allclose(got, want, rtol=1e-5, atol=3e-5,
                                       err_msg=f"thread {index} step {step}")
    except BaseException as exc:  # reported by the main thread
        failures.append(exc)


def test_ops_from_several_threads_give_correct_results():
    gf.set_backend("gl")
    gf.ones([1]).numpy()  # create the context before the threads race for it
    barrier = threading.Barrier(THREADS)
    failures = []
    threads = [threading.Thread(target=worker, args=(i, barrier, failures))
               for i in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a thread hung (GL context deadlock?)"
    assert not failures, failures[0]


def test_context_is_released_between_sections():
    """A thread that used GL must not leave the context current: another thread (here, a
    fresh one after the first has finished) must still be able to run ops."""
    gf.set_backend("gl")
    results = []
    for value in (1.0, 2.0, 3.0):
        t = threading.Thread(target=lambda v=value: results.append((gf.ones([5]) * v).numpy()))
        t.start()
        t.join(timeout=60)
    assert [r.tolist() for r in results] == [[1.0] * 5, [2.0] * 5, [3.0] * 5]
    assert (gf.ones([2]) + 1.0).numpy().tolist() == [2.0, 2.0]


def test_tidy_and_tapes_belong_to_their_thread():
    """A tidy scope or gradient tape open in one thread must not capture (and dispose, or hide)
    another thread's tensors. Switching threads every microsecond makes them interleave."""
    gf.set_backend("gl")
    gf.ones([1]).numpy()
    failures = []

    def steps(index):
        rng = np.random.default_rng(index)
        try:
            for _ in range(100):
                x = rng.standard_normal((5, 3)).astype(np.float32)
                got = gf.tidy(lambda: gf.sum(gf.tensor(x) * 2.0, axis=1)).numpy()
                np.testing.assert_allclose(got, x.astype(np.float64).sum(1) * 2, rtol=1e-5,
                                           atol=1e-5)
                got = gf.grad(lambda t: gf.sum(t * t * 3.0))(gf.tensor(x)).numpy()
                np.testing.assert_allclose(got, 6.0 * x, rtol=1e-5, atol=1e-5)
        except BaseException as exc:
            failures.append(exc)
    previous = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        threads = [threading.Thread(target=steps, args=(i,)) for i in range(THREADS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
    finally:
        sys.setswitchinterval(previous)
    assert not failures, failures[0]
