"""Queues, py_func, QueueRunner and Coordinator: blocking when full and when empty, closing
(with and without cancelling pending enqueues), several reader threads feeding one consumer,
RandomShuffleQueue's mixing. Every wait is bounded (a deadline or a thread join timeout), so
a broken queue fails the test instead of hanging it."""
import threading
import time

import numpy as np
import pytest

import glflow as gf
import glflow.compat.v1 as tf

WAIT = 10.0   # seconds a test waits at most for a thread it expects to finish


def joined(thread):
    thread.join(WAIT)
    return not thread.is_alive()


# --------------------------------------------------------------------------- eager queues

def test_eager_fifo_queue_runs_at_once():
    q = gf.FIFOQueue(4, [gf.float32, gf.int32], shapes=[[2], []])
    assert q.enqueue([[1.0, 2.0], 7]) is None
    q.enqueue_many([np.arange(6, dtype=np.float32).reshape(3, 2), [1, 2, 3]])
    assert int(q.size().numpy()) == 4
    x, y = q.dequeue()
    np.testing.assert_array_equal(x.numpy(), [1.0, 2.0])
    assert isinstance(y, gf.Tensor) and y.dtype == "int32" and y.numpy() == 7
    xs, ys = q.dequeue_many(3)
    np.testing.assert_array_equal(ys.numpy(), [1, 2, 3])
    assert xs.shape == [3, 2]


def test_eager_queue_refuses_bad_elements_and_ends_when_closed():
    q = gf.FIFOQueue(3, gf.int32, shapes=[[2]])
    with pytest.raises(gf.errors.InvalidArgumentError, match="float64 values"):
        q.enqueue([[0.5, 1.5]])
    with pytest.raises(gf.errors.InvalidArgumentError, match=r"shape \[3\]"):
        q.enqueue([[1, 2, 3]])
    q.enqueue([[1, 2]])
    q.close()
    with pytest.raises(gf.errors.CancelledError, match="is closed"):
        q.enqueue([[3, 4]])
    np.testing.assert_array_equal(q.dequeue().numpy(), [1, 2])
    with pytest.raises(gf.errors.OutOfRangeError,
                       match="is closed and has insufficient elements"):
        q.dequeue()


def test_dequeue_up_to_returns_the_rest_after_close():
    q = gf.FIFOQueue(10, gf.float32, shapes=[[]])
    q.enqueue_many([[1.0, 2.0, 3.0]])
    q.close()
    np.testing.assert_array_equal(q.dequeue_up_to(2).numpy(), [1.0, 2.0])
    np.testing.assert_array_equal(q.dequeue_up_to(2).numpy(), [3.0])
    with pytest.raises(gf.errors.OutOfRangeError):
        q.dequeue_up_to(2)


# --------------------------------------------------------------------------- blocking

def test_dequeue_blocks_until_an_element_arrives():
    q = gf.FIFOQueue(2, gf.float32, shapes=[[]])
    got = []
    reader = threading.Thread(target=lambda: got.append(float(q.dequeue().numpy())))
    reader.start()
    time.sleep(0.2)
    assert reader.is_alive() and not got      # waiting on the empty queue
    q.enqueue([5.0])
    assert joined(reader) and got == [5.0]


def test_enqueue_blocks_while_full_and_a_closed_empty_queue_ends_a_waiting_dequeue():
    q = gf.FIFOQueue(2, gf.float32, shapes=[[]])
    q.enqueue_many([[1.0, 2.0]])
    done = threading.Event()

    def writer():
        q.enqueue([3.0])
        done.set()
    t = threading.Thread(target=writer)
    t.start()
    assert not done.wait(0.2)                 # full: the enqueue waits
    assert float(q.dequeue().numpy()) == 1.0
    assert joined(t) and done.is_set()
    np.testing.assert_array_equal(q.dequeue_many(2).numpy(), [2.0, 3.0])
    errors = []

    def waiting_reader():
        try:
            q.dequeue()
        except gf.errors.OutOfRangeError as exc:
            errors.append(exc)
    t = threading.Thread(target=waiting_reader)
    t.start()
    time.sleep(0.1)
    q.close()
    assert joined(t) and len(errors) == 1


def test_close_with_cancel_pending_enqueues_fails_the_waiting_enqueue():
    g = tf.Graph()
    with g.as_default():
        q = tf.FIFOQueue(1, tf.float32, shapes=[[]])
        value = tf.placeholder(tf.float32, [])
        enqueue = q.enqueue([value])
        close_soft, close_hard = q.close(), q.close(cancel_pending_enqueues=True)
        size = q.size()
    with tf.Session(graph=g) as sess:
        sess.run(enqueue, {value: 1.0})
        outcome = []

        def writer():
            try:
                sess.run(enqueue, {value: 2.0})
                outcome.append("enqueued")
            except tf.errors.CancelledError:
                outcome.append("cancelled")
        t = threading.Thread(target=writer)
        t.start()
        time.sleep(0.2)
        sess.run(close_soft)                  # a plain close lets the pending enqueue wait on
        time.sleep(0.1)
        assert t.is_alive()
        sess.run(close_hard)
        assert joined(t) and outcome == ["cancelled"]
        assert sess.run(size) == 1


def test_a_run_waits_no_longer_than_its_timeout():
    g = tf.Graph()
    with g.as_default():
        q = tf.FIFOQueue(3, tf.float32, shapes=[[]])
        x = q.dequeue()
    with tf.Session(graph=g, config=tf.ConfigProto(operation_timeout_in_ms=5000)) as sess:
        start = time.monotonic()
        with pytest.raises(tf.errors.DeadlineExceededError, match="timed out"):
            sess.run(x, options=tf.RunOptions(timeout_in_ms=150))
        assert time.monotonic() - start < 4.0


# --------------------------------------------------------------------------- readers

def test_several_reader_threads_feed_one_consumer():
    """Four QueueRunner threads each read one shard through py_func; the consumer gets every
    row exactly once, then OutOfRangeError once the last reader has closed the queue."""
    rows = np.arange(80, dtype=np.float32).reshape(40, 2)
    shards = [iter(rows[i::4]) for i in range(4)]
    readers_seen = set()
    lock = threading.Lock()

    def reader(i):
        def read():
            with lock:
                readers_seen.add(threading.current_thread().name)
            return next(shards[i])     # StopIteration at the end: OutOfRangeError
        return read
    g = tf.Graph()
    with g.as_default():
        q = tf.FIFOQueue(6, tf.float32, shapes=[[2]])
        enqueues = [q.enqueue([tf.py_func(reader(i), [], tf.float32)]) for i in range(4)]
        tf.train.add_queue_runner(tf.train.QueueRunner(q, enqueues))
        batch = q.dequeue_up_to(3)
        total = tf.reduce_sum(batch, axis=0)
    seen = []
    with tf.Session(graph=g) as sess:
        coord = tf.train.Coordinator()
        threads = tf.train.start_queue_runners(sess, coord)
        try:
            while True:
                values, sums = sess.run([batch, total], options=tf.RunOptions(timeout_in_ms=10000))
                np.testing.assert_allclose(values.sum(axis=0), sums)
                seen.extend(map(tuple, values))
        except tf.errors.OutOfRangeError:
            pass
        coord.request_stop()
        coord.join(threads, stop_grace_period_secs=WAIT)
    assert sorted(seen) == sorted(map(tuple, rows))
    assert len(readers_seen) == 4
    assert not any(t.is_alive() for t in threads)


def test_a_stop_request_frees_readers_blocked_on_a_full_queue():
    g = tf.Graph()
    with g.as_default():
        q = tf.FIFOQueue(2, tf.float32, shapes=[[]])
        enqueue = q.enqueue([tf.constant(1.0)])
        qr = tf.train.QueueRunner(q, [enqueue] * 3)
    with tf.Session(graph=g) as sess:
        coord = tf.train.Coordinator()
        threads = qr.create_threads(sess, coord=coord, start=True)
        time.sleep(0.3)                       # the queue is full, the readers wait
        assert all(t.is_alive() for t in threads)
        coord.request_stop()
        coord.join(threads, stop_grace_period_secs=WAIT)
    assert not any(t.is_alive() for t in threads)


def test_a_reader_error_reaches_coordinator_join():
    def broken():
        raise ValueError("disk on fire")
    g = tf.Graph()
    with g.as_default():
        q = tf.FIFOQueue(2, tf.float32)
        qr = tf.train.QueueRunner(q, [q.enqueue([tf.py_func(broken, [], tf.float32)])])
    with tf.Session(graph=g) as sess:
        coord = tf.train.Coordinator()
        threads = qr.create_threads(sess, coord=coord, start=True)
        assert coord.wait_for_stop(WAIT)
        with pytest.raises(tf.errors.UnknownError, match="ValueError: disk on fire"):
            coord.join(threads, stop_grace_period_secs=WAIT)
        assert isinstance(qr.exceptions_raised[0], tf.errors.UnknownError)


def test_coordinator_basics():
    coord = tf.train.Coordinator()
    assert not coord.should_stop() and not coord.wait_for_stop(0.01)
    with coord.stop_on_exception():
        raise tf.errors.OutOfRangeError(None, None, "end of data")   # a clean stop
    assert coord.should_stop()
    coord.join([], stop_grace_period_secs=1)
    coord.clear_stop()
    hung = threading.Thread(target=time.sleep, args=(1.0,), daemon=True)
    hung.start()
    coord.request_stop()
    with pytest.raises(RuntimeError, match="still running"):
        coord.join([hung], stop_grace_period_secs=0.05)


# --------------------------------------------------------------------------- shuffling

def shuffled(seed):
    g = tf.Graph()
    with g.as_default():
        q = tf.RandomShuffleQueue(capacity=20, min_after_dequeue=5, dtypes=[tf.int32],
                                  shapes=[[]], seed=seed)
        values = tf.placeholder(tf.int32, [None])
        fill = q.enqueue_many([values])
        take = q.dequeue_many(5)
        close = q.close()
        size = q.size()
    out = []
    with tf.Session(graph=g) as sess:
        sess.run(fill, {values: np.arange(20)})
        for _ in range(3):
            out.extend(sess.run(take))
        assert sess.run(size) == 5             # min_after_dequeue stay while it is open
        with pytest.raises(tf.errors.DeadlineExceededError):
            sess.run(take, options=tf.RunOptions(timeout_in_ms=100))
        sess.run(close)
        out.extend(sess.run(take))             # closed: the last ones come out
        with pytest.raises(tf.errors.OutOfRangeError):
            sess.run(take)
    return out


def test_random_shuffle_queue_mixes_with_a_seed():
    first, again, other = shuffled(7), shuffled(7), shuffled(8)
    assert sorted(first) == list(range(20))
    assert first == again and first != other
    assert first != list(range(20))


# --------------------------------------------------------------------------- py_func

def test_py_func_eagerly_in_graphs_and_refused_in_gf_function():
    def twice(a):
        return (a * 2).astype(np.float32), np.int32(a.size)
    doubled, count = gf.py_func(twice, [gf.tensor([1.0, 2.0])], [gf.float32, gf.int32])
    np.testing.assert_array_equal(doubled.numpy(), [2.0, 4.0])
    assert count.numpy() == 2
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, [None])
        y = tf.py_func(lambda a: a[::-1].copy(), [x], tf.float32)
        assert y.shape.ndims is None          # unknown until a run
        z = y * 10.0
    with tf.Session(graph=g) as sess:
        np.testing.assert_array_equal(sess.run(z, {x: [1.0, 2.0, 3.0]}), [30, 20, 10])
        with pytest.raises(tf.errors.InvalidArgumentError, match="returned 2 values"):
            sess.run(tf.py_func(lambda: (1.0, 2.0), [], tf.float32))

    @gf.function
    def traced(a):
        return gf.py_func(lambda v: v, [a], gf.float32)
    with pytest.raises(TypeError, match="inside gf.function"):
        traced(gf.ones([2]))
