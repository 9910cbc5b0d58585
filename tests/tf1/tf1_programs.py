"""TF1 programs, written once for `tf` = TensorFlow's tf.compat.v1 or glflow.compat.v1.

tests/data/generate/tf1_programs.py runs them with TensorFlow and records inputs and results
in tests/data/tf1/<program>.npz; tests/tf1/test_tf1_programs.py runs the same source with
glflow and compares. Every program takes the namespace `tf` and the recorded inputs (numpy
arrays, so initial weights are the same on both sides: no random op whose numbers would
differ) and returns {name: numpy array}. Nothing here imports TensorFlow or glflow.
"""
import threading

import numpy as np


def inputs(rng):
    """The inputs of every program, drawn once by the generator and stored with its results."""
    x = rng.standard_normal((40, 3)).astype(np.float32)
    images = rng.standard_normal((3, 7, 8, 4)).astype(np.float32)
    return {
        "linear_x": x,
        "linear_y": (x @ np.array([[1.5], [-2.0], [0.5]], np.float32) + 0.7
                     + 0.05 * rng.standard_normal((40, 1))).astype(np.float32),
        "linear_test": rng.standard_normal((5, 3)).astype(np.float32),
        "softmax_x": rng.standard_normal((52, 20)).astype(np.float32),
        "softmax_y": rng.integers(0, 5, 52).astype(np.int32),
        "softmax_w": (0.01 * rng.standard_normal((20, 5))).astype(np.float32),
        "opt_x": rng.standard_normal((16, 4)).astype(np.float32),
        "opt_y": rng.standard_normal((16, 2)).astype(np.float32),
        "opt_w": rng.standard_normal((4, 2)).astype(np.float32),
        "images": images,
        "filters": rng.standard_normal((3, 3, 4, 5)).astype(np.float32),
        "bias": rng.standard_normal(5).astype(np.float32),
        "logits": rng.standard_normal((6, 4)).astype(np.float32),
        "labels": rng.integers(0, 4, 6).astype(np.int32),
        "probs": rng.dirichlet(np.ones(4), 6).astype(np.float32),
        "binary": (rng.random((6, 4)) > 0.5).astype(np.float32),
        "ties": np.round(rng.standard_normal((2, 6, 6, 3))).astype(np.float32),
        "queue_x": rng.standard_normal((24, 3)).astype(np.float32),
        "queue_y": rng.standard_normal((24, 1)).astype(np.float32),
    }


def linear_regression(tf, d):
    """Least squares by gradient descent, fed the whole batch each step; predictions for a
    test batch of another size through Tensor.eval."""
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, [None, 3], name="x")
        y_ = tf.placeholder(tf.float32, [None, 1], name="y")
        w = tf.Variable(tf.zeros([3, 1]), name="w")
        b = tf.Variable(0.0, name="b")
        y = tf.matmul(x, w) + b
        loss = tf.reduce_mean(tf.square(y - y_))
        train = tf.train.GradientDescentOptimizer(0.1).minimize(loss)
        init = tf.global_variables_initializer()
    losses = []
    with tf.Session(graph=g) as sess:
        sess.run(init)
        for _ in range(60):
            _, value = sess.run([train, loss], feed_dict={x: d["linear_x"], y_: d["linear_y"]})
            losses.append(value)
        w_value, b_value = sess.run([w, b])
        test = y.eval(session=sess, feed_dict={x: d["linear_test"]})
    return {"losses": np.array(losses), "w": w_value, "b": np.array(b_value),
            "test": test}


def softmax_classifier(tf, d):
    """The issue's program: sparse softmax cross-entropy on mini-batches (the last one
    smaller), accuracy through argmax/equal/cast, logits through eval."""
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder("float32", [None, 20])
        y_ = tf.placeholder("int32", [None])
        w = tf.Variable(d["softmax_w"])
        b = tf.Variable(tf.zeros([5]))
        logits = tf.matmul(x, w) + b
        loss = tf.reduce_mean(
            tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y_, logits=logits))
        train = tf.train.GradientDescentOptimizer(0.5).minimize(loss)
        correct = tf.equal(tf.argmax(logits, 1, output_type=tf.int32), y_)
        accuracy = tf.reduce_mean(tf.cast(correct, tf.float32))
        init = tf.global_variables_initializer()
    xs, ys = d["softmax_x"], d["softmax_y"]
    losses = []
    with tf.Session(graph=g) as sess:
        sess.run(init)
        for epoch in range(3):
            for start in range(0, len(xs), 16):
                _, value = sess.run([train, loss], feed_dict={x: xs[start:start + 16],
                                                              y_: ys[start:start + 16]})
                losses.append(value)
        acc = sess.run(accuracy, {x: xs, y_: ys})
        out = logits.eval(session=sess, feed_dict={x: xs[:7]})
    return {"losses": np.array(losses), "accuracy": np.array(acc), "logits": out}


def optimizers(tf, d):
    """Each TF1 optimizer for 5 steps on one regression: weights, slots and global steps."""
    results = {}
    makers = {
        "sgd": lambda lr: tf.train.GradientDescentOptimizer(lr),
        "momentum": lambda lr: tf.train.MomentumOptimizer(lr, 0.9),
        "nesterov": lambda lr: tf.train.MomentumOptimizer(lr, 0.9, use_nesterov=True),
        "adam": lambda lr: tf.train.AdamOptimizer(lr),
        "rmsprop": lambda lr: tf.train.RMSPropOptimizer(lr),
        "rmsprop_centered": lambda lr: tf.train.RMSPropOptimizer(lr, momentum=0.5,
                                                                 centered=True),
        "adagrad": lambda lr: tf.train.AdagradOptimizer(lr),
    }
    for name, make in makers.items():
        g = tf.Graph()
        with g.as_default():
            x = tf.constant(d["opt_x"])
            y_ = tf.constant(d["opt_y"])
            rate = tf.placeholder(tf.float32, [])
            w = tf.Variable(d["opt_w"])
            loss = tf.reduce_mean(tf.square(tf.tanh(tf.matmul(x, w)) - y_))
            step = tf.train.get_or_create_global_step()
            train = make(rate).minimize(loss, global_step=step)
            init = tf.global_variables_initializer()
        with tf.Session(graph=g) as sess:
            sess.run(init)
            for i in range(5):
                sess.run(train, {rate: 0.05 + 0.01 * i})
            results[f"{name}_w"], results[f"{name}_step"] = sess.run([w, step])
    return results


def nn_ops(tf, d):
    """tf.nn functions in a graph fed through placeholders with a None batch, and their
    gradients through tf.gradients."""
    g = tf.Graph()
    with g.as_default():
        images = tf.placeholder(tf.float32, [None, 7, 8, 4])
        ties = tf.placeholder(tf.float32, [None, 6, 6, 3])
        filters = tf.constant(d["filters"])
        bias = tf.constant(d["bias"])
        logits = tf.placeholder(tf.float32, [None, 4])
        labels = tf.placeholder(tf.int32, [None])
        probs = tf.placeholder(tf.float32, [None, 4])
        binary = tf.placeholder(tf.float32, [None, 4])
        conv_same = tf.nn.conv2d(images, filters, strides=[1, 2, 2, 1], padding="SAME")
        conv_valid = tf.nn.conv2d(images, filters, strides=[1, 1, 1, 1], padding="VALID",
                                  dilations=[1, 2, 2, 1])
        biased = tf.nn.bias_add(conv_same, bias)
        pool_max = tf.nn.max_pool(images, ksize=[1, 3, 3, 1], strides=[1, 2, 2, 1],
                                  padding="SAME")
        pool_avg = tf.nn.avg_pool(images, ksize=[1, 2, 3, 1], strides=[1, 2, 1, 1],
                                  padding="SAME")
        am_out, am_index = tf.nn.max_pool_with_argmax(images, ksize=[1, 2, 2, 1],
                                                      strides=[1, 2, 2, 1], padding="VALID")
        tie_out, tie_index = tf.nn.max_pool_with_argmax(
            ties, ksize=[1, 3, 3, 1], strides=[1, 2, 2, 1], padding="SAME",
            include_batch_in_index=True)
        outputs = {
            "conv_same": conv_same, "conv_valid": conv_valid, "bias_add": biased,
            "max_pool": pool_max, "avg_pool": pool_avg,
            "argmax_out": am_out, "argmax_index": tf.cast(am_index, tf.int32),
            "tie_out": tie_out, "tie_index": tf.cast(tie_index, tf.int32),
            "relu": tf.nn.relu(logits), "elu": tf.nn.elu(logits),
            "sigmoid": tf.nn.sigmoid(logits), "tanh": tf.nn.tanh(logits),
            "softmax": tf.nn.softmax(logits), "log_softmax": tf.nn.log_softmax(logits),
            "l2_loss": tf.nn.l2_loss(logits),
            "softmax_xent": tf.nn.softmax_cross_entropy_with_logits(labels=probs,
                                                                    logits=logits),
            "sparse_xent": tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels,
                                                                          logits=logits),
            "sigmoid_xent": tf.nn.sigmoid_cross_entropy_with_logits(labels=binary,
                                                                    logits=logits),
        }
        weights = {k: tf.constant(np.cos(np.arange(np.prod(v.shape.as_list()[1:])) + len(k))
                                  .reshape(v.shape.as_list()[1:]).astype(np.float32))
                   for k, v in outputs.items() if v.dtype == tf.float32 and v.shape.ndims}
        total = tf.add_n([tf.reduce_sum(outputs[k] * weights[k]) for k in sorted(weights)])
        grads = tf.gradients(total, [images, filters, bias, logits])
        outputs.update({"d_images": grads[0], "d_filters": grads[1], "d_bias": grads[2],
                        "d_logits": grads[3]})
    feed = {images: d["images"], ties: d["ties"], logits: d["logits"], labels: d["labels"],
            probs: d["probs"], binary: d["binary"]}
    with tf.Session(graph=g) as sess:
        return sess.run(outputs, feed)


def control_dependencies(tf, d):
    """assign_add under control dependencies, reads ordered by them, group and assign's value."""
    g = tf.Graph()
    with g.as_default():
        v = tf.Variable(0.0)
        counter = tf.Variable(0, dtype=tf.int32)
        inc = tf.assign_add(v, 1.5)
        with tf.control_dependencies([inc]):
            after = tf.identity(v)
            doubled = v.read_value() * 2.0
        tick = counter.assign_add(1)
        both = tf.group(inc, tick)
        with tf.control_dependencies([both]):
            nothing = tf.no_op()
        reset = tf.assign(v, 10.0)
        init = tf.global_variables_initializer()
    seen = []
    with tf.Session(graph=g) as sess:
        sess.run(init)
        for _ in range(3):
            seen.append(sess.run([after, doubled]))
        sess.run(nothing)
        sess.run(both)
        value_after_group = sess.run(v)
        reset_value = sess.run(reset)
        count = sess.run(counter)
    return {"seen": np.array(seen), "after_group": np.array(value_after_group),
            "reset": np.array(reset_value), "count": np.array(count)}


def queue_training(tf, d):
    """A reader thread (QueueRunner) feeds a FIFOQueue through py_func; training reads batches
    with dequeue_many until the queue closes (OutOfRangeError, after the reader's StopIteration
    ended its thread). One reader keeps the order, so the result is deterministic."""
    g = tf.Graph()
    data_x, data_y = d["queue_x"], d["queue_y"]
    position = {"next": 0}
    lock = threading.Lock()

    def read():
        with lock:
            i = position["next"]
            position["next"] += 1
        if i >= len(data_x):
            raise StopIteration  # py_func's way of saying OutOfRange
        return data_x[i], data_y[i]

    with g.as_default():
        queue = tf.FIFOQueue(capacity=5, dtypes=[tf.float32, tf.float32],
                             shapes=[[3], [1]])
        row_x, row_y = tf.py_func(read, [], [tf.float32, tf.float32])
        enqueue = queue.enqueue([row_x, row_y])
        tf.train.add_queue_runner(tf.train.QueueRunner(queue, [enqueue]))
        x, y_ = queue.dequeue_many(4)
        w = tf.Variable(np.ones((3, 1), np.float32))
        loss = tf.reduce_mean(tf.square(tf.matmul(x, w) - y_))
        train = tf.train.MomentumOptimizer(0.1, 0.5).minimize(loss)
        init = tf.global_variables_initializer()
    losses = []
    with tf.Session(graph=g) as sess:
        sess.run(init)
        coord = tf.train.Coordinator()
        threads = tf.train.start_queue_runners(sess, coord)
        try:
            while True:
                _, value = sess.run([train, loss],
                                    options=tf.RunOptions(timeout_in_ms=20000))
                losses.append(value)
        except tf.errors.OutOfRangeError:
            pass
        finally:
            coord.request_stop()
        coord.join(threads, stop_grace_period_secs=10)
        w_value = sess.run(w)
    return {"losses": np.array(losses), "w": w_value}


PROGRAMS = {f.__name__: f for f in (linear_regression, softmax_classifier, optimizers, nn_ops,
                                    control_dependencies, queue_training)}
