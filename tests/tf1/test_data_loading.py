"""The four ways TF1 programs load data train one model to the same weights: feed_dict,
preloaded tensors (a Variable holding the data, batches gathered by index), queues (a
FIFOQueue filled by a reader thread) and gf.data (a one-shot iterator's get_next)."""
import numpy as np

import glflow as gf
import glflow.compat.v1 as tf

RNG = np.random.default_rng(11)
X = RNG.standard_normal((30, 4)).astype(np.float32)
Y = RNG.integers(0, 3, 30).astype(np.int32)
W0 = (0.1 * RNG.standard_normal((4, 3))).astype(np.float32)
BATCH, STEPS = 6, 5


def model(x, y):
    """The same model for every input path: softmax regression, plain gradient descent."""
    w = tf.Variable(W0)
    b = tf.Variable(tf.zeros([3]))
    loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(
        labels=y, logits=tf.matmul(x, w) + b))
    return w, b, loss, tf.train.GradientDescentOptimizer(0.5).minimize(loss)


def train(build, feed=lambda step: None, runners=False):
    g = tf.Graph()
    with g.as_default():
        x, y, extra = build()
        w, b, loss, step = model(x, y)
        init = tf.global_variables_initializer()
    losses = []
    with tf.Session(graph=g) as sess:
        sess.run(init)
        if extra is not None:
            sess.run(extra)
        coord = tf.train.Coordinator()
        threads = tf.train.start_queue_runners(sess, coord) if runners else []
        for i in range(STEPS):
            losses.append(sess.run([step, loss], feed(i),
                                   options=tf.RunOptions(timeout_in_ms=10000))[1])
        coord.request_stop()
        coord.join(threads, stop_grace_period_secs=10)
        return sess.run([w, b]) + [np.array(losses)]


def batch(i):
    return slice(i * BATCH, (i + 1) * BATCH)


def test_the_four_ways_of_loading_data_agree():
    placeholders = {}

    def fed():
        placeholders["x"] = tf.placeholder(tf.float32, [None, 4])
        placeholders["y"] = tf.placeholder(tf.int32, [None])
        return placeholders["x"], placeholders["y"], None
    by_feed = train(fed, lambda i: {placeholders["x"]: X[batch(i)],
                                    placeholders["y"]: Y[batch(i)]})

    def preloaded():
        data_x, data_y = tf.Variable(X, trainable=False), tf.constant(Y)
        placeholders["index"] = tf.placeholder(tf.int32, [None])
        return (tf.gather(data_x, placeholders["index"]),
                tf.gather(data_y, placeholders["index"]), None)
    by_preloading = train(preloaded,
                          lambda i: {placeholders["index"]: np.arange(30)[batch(i)]})

    def queued():
        q = tf.FIFOQueue(8, [tf.float32, tf.int32], shapes=[[4], []])
        rows = iter(range(30))

        def read():
            i = next(rows)
            return X[i], Y[i]
        tf.train.add_queue_runner(tf.train.QueueRunner(
            q, [q.enqueue(tf.py_func(read, [], [tf.float32, tf.int32]))]))
        x, y = q.dequeue_many(BATCH)
        return x, y, None
    by_queue = train(queued, runners=True)

    def from_dataset():
        dataset = gf.data.Dataset.from_tensor_slices((X, Y)).batch(BATCH)
        iterator = tf.data.make_initializable_iterator(dataset)
        x, y = iterator.get_next()
        assert x.shape.as_list() == [None, 4] and y.dtype == tf.int32
        return x, y, iterator.initializer
    by_dataset = train(from_dataset)

    for other in (by_preloading, by_queue, by_dataset):
        for got, want in zip(other, by_feed):
            np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7)
    assert np.abs(by_feed[0] - W0).max() > 0.05          # the steps trained something


def test_an_exhausted_iterator_raises_out_of_range():
    g = tf.Graph()
    with g.as_default():
        one_shot = tf.data.make_one_shot_iterator(gf.data.Dataset.from_tensor_slices(
            np.arange(3, dtype=np.float32)))
        value = one_shot.get_next() * 2.0
        restartable = tf.data.make_initializable_iterator(gf.data.Dataset.range(2))
        nxt = restartable.get_next()
    with tf.Session(graph=g) as sess:
        assert [sess.run(value) for _ in range(3)] == [0.0, 2.0, 4.0]
        try:
            sess.run(value)
            raise AssertionError("no OutOfRangeError")
        except tf.errors.OutOfRangeError:
            pass
        try:
            sess.run(nxt)
            raise AssertionError("an uninitialised iterator ran")
        except tf.errors.FailedPreconditionError:
            pass
        for _ in range(2):
            sess.run(restartable.initializer)
            assert [int(sess.run(nxt)) for _ in range(2)] == [0, 1]
