"""Session, placeholder and feed semantics of the TF1 front end: nested fetches, feeds checked
before anything runs (shape, dtype, missing, keys that cannot be fed), static shapes with
None, uninitialised Variables, default sessions, per-signature compilation."""
import collections

import numpy as np
import pytest

import glflow as gf
import glflow.compat.v1 as tf

Pair = collections.namedtuple("Pair", "first second")


@pytest.fixture
def graph():
    g = tf.Graph()
    with g.as_default():
        yield g


def test_static_shapes_carry_none_and_are_refined(graph):
    x = tf.placeholder(tf.float32, [None, 784], name="x")
    w = tf.Variable(tf.zeros([784, 10]))
    logits = tf.matmul(x, w)
    assert x.shape == [None, 784] and x.get_shape().as_list() == [None, 784]
    assert logits.shape.as_list() == [None, 10] and logits.shape[1] == 10
    assert tf.reshape(x, [-1, 28, 28, 1]).shape == [None, 28, 28, 1]
    assert tf.reduce_sum(x).shape == [] and tf.reduce_mean(x, axis=0).shape == [784]
    assert tf.reshape(x, [64, 28, 28, 1]).shape.as_list()[1:] == [28, 28, 1]
    assert x.name == "x:0" and x.op.type == "Placeholder" and x.graph is graph
    scalar = tf.placeholder(tf.float32)
    assert scalar.shape.ndims is None and (scalar * 2.0).shape.ndims is None
    scalar.set_shape([3])
    assert scalar.shape == [3]
    with pytest.raises(ValueError, match="not compatible"):
        x.set_shape([None, 5])


def test_shape_errors_are_raised_while_the_graph_is_built(graph):
    x = tf.placeholder(tf.float32, [None, 3])
    with pytest.raises(ValueError, match="matmul"):
        tf.matmul(x, tf.zeros([4, 5]))
    with pytest.raises(ValueError, match="broadcast"):
        tf.zeros([2, 3]) + tf.zeros([4, 5])


def test_nested_fetches_keep_their_structure(graph):
    a = tf.constant(1.0)
    b = tf.placeholder(tf.int32, [2])
    c = b * 2
    noop = tf.no_op()
    with tf.Session() as sess:
        out = sess.run({"list": [a, (c, noop)], "pair": Pair(a, c),
                        "ordered": collections.OrderedDict(z=a, y=b)}, {b: [3, 4]})
    assert isinstance(out["list"], list) and isinstance(out["list"][1], tuple)
    assert out["list"][0] == 1.0 and out["list"][1][1] is None
    np.testing.assert_array_equal(out["list"][1][0], [6, 8])
    assert isinstance(out["pair"], Pair) and out["pair"].first == 1.0
    assert isinstance(out["ordered"], collections.OrderedDict)
    assert list(out["ordered"]) == ["z", "y"]
    assert isinstance(out["list"][0], np.float32)   # a rank-0 result is a numpy scalar


def test_fetch_and_feed_by_name(graph):
    x = tf.placeholder(tf.float32, [None], name="input")
    tf.identity(x * 3.0, name="tripled")
    with tf.Session() as sess:
        np.testing.assert_array_equal(sess.run("tripled:0", {"input:0": [1.0, 2.0]}),
                                      [3.0, 6.0])
        with pytest.raises(ValueError, match="cannot be interpreted"):
            sess.run("missing:0")


def test_missing_feed_names_the_placeholder(graph):
    x = tf.placeholder(tf.float32, [None, 784], name="images")
    y = tf.reduce_sum(x)
    with tf.Session() as sess:
        with pytest.raises(tf.errors.InvalidArgumentError,
                           match=r"must feed a value for placeholder tensor 'images' with "
                                 r"dtype float32 and shape \[\?,784\]"):
            sess.run(y)


def test_wrong_feed_shape_and_dtype_are_refused(graph):
    x = tf.placeholder(tf.float32, [None, 4], name="x")
    labels = tf.placeholder(tf.int32, [None], name="labels")
    y = tf.reduce_sum(x)
    with tf.Session() as sess:
        with pytest.raises(ValueError, match=r"Cannot feed value of shape \(5, 3\) for Tensor "
                                             r"'x:0', which has shape \(\?, 4\)"):
            sess.run(y, {x: np.zeros((5, 3))})
        with pytest.raises(ValueError, match="Cannot feed value of shape"):
            sess.run(y, {x: np.zeros(4)})
        with pytest.raises(TypeError, match="float64 values cannot be fed to a int32"):
            sess.run(labels, {labels: [0.5, 1.5]})
        with pytest.raises(TypeError, match="string"):
            sess.run(y, {x: "abc"})
        # numbers of other widths convert as TensorFlow converts them
        assert sess.run(y, {x: np.ones((2, 4), np.float64)}) == 8.0
        np.testing.assert_array_equal(sess.run(labels, {labels: np.array([1, 2], np.int64)}),
                                      [1, 2])


def test_keys_that_cannot_be_fed(graph):
    x = tf.placeholder(tf.float32, [2])
    v = tf.Variable([1.0, 2.0])
    op = tf.no_op()
    other = tf.Graph()
    with other.as_default():
        foreign = tf.placeholder(tf.float32, [2])
    with tf.Session(graph=graph) as sess:
        with pytest.raises(TypeError, match="is a Variable"):
            sess.run(x, {v: [1.0, 2.0]})
        with pytest.raises(TypeError, match="is an operation"):
            sess.run(x, {op: 1.0})
        with pytest.raises(ValueError, match="another graph"):
            sess.run(x, {foreign: [1.0, 2.0]})
        with pytest.raises(TypeError, match="not a tensor of the graph"):
            sess.run(x, {3: [1.0, 2.0]})
        with pytest.raises(TypeError, match="cannot be a graph tensor"):
            sess.run(x, {x: x})
        with pytest.raises(ValueError, match="not an element of this session's graph"):
            sess.run(foreign)


def test_any_graph_tensor_may_be_fed_as_in_tensorflow(graph):
    x = tf.placeholder(tf.float32, [3])
    hidden = x * 2.0
    out = hidden + 1.0
    with tf.Session() as sess:
        # feeding `hidden` cuts the graph there: x need not be fed
        np.testing.assert_array_equal(sess.run(out, {hidden: [1.0, 2.0, 3.0]}), [2, 3, 4])
        np.testing.assert_array_equal(sess.run(hidden, {hidden: [5.0, 5.0, 5.0]}), [5, 5, 5])


def test_uninitialised_variable_fails_clearly_and_sessions_are_independent(graph):
    v = tf.Variable([1.0, 2.0], name="weights")
    bump = v.assign_add([1.0, 1.0])
    init = tf.global_variables_initializer()
    with tf.Session() as first, tf.Session() as second:
        with pytest.raises(tf.errors.FailedPreconditionError,
                           match="Attempting to use uninitialized value weights"):
            first.run(v * 2.0)
        with pytest.raises(tf.errors.FailedPreconditionError):
            first.run(v)
        first.run(init)
        first.run(bump)
        second.run(init)
        np.testing.assert_array_equal(first.run(v), [2.0, 3.0])
        np.testing.assert_array_equal(second.run(v), [1.0, 2.0])


def test_a_failed_run_writes_no_variable(graph):
    v = tf.Variable(1.0)
    labels = tf.placeholder(tf.int32, [2])
    logits = tf.constant([[0.0, 1.0], [1.0, 0.0]])
    loss = tf.reduce_sum(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels,
                                                                        logits=logits))
    with tf.control_dependencies([loss]):
        bump = v.assign_add(1.0)
    with tf.Session() as sess:
        sess.run(v.initializer)
        with pytest.raises(tf.errors.InvalidArgumentError,
                           match="label value of 7 which is outside the valid range"):
            sess.run(bump, {labels: [0, 7]})
        assert sess.run(v) == 1.0
        assert sess.run(bump, {labels: [0, 1]}) == 2.0


def test_eval_run_and_default_sessions(graph):
    x = tf.placeholder(tf.float32, [])
    y = x + 1.0
    v = tf.Variable(5.0)
    with pytest.raises(ValueError, match="no session"):
        y.eval(feed_dict={x: 1.0})
    sess = tf.Session()
    with sess.as_default():
        assert y.eval(feed_dict={x: 1.0}) == 2.0
        v.initializer.run()
        assert v.eval() == 5.0
    assert y.eval(session=sess, feed_dict={x: 2.0}) == 3.0
    sess.close()
    with pytest.raises(RuntimeError, match="closed Session"):
        sess.run(y, {x: 1.0})
    interactive = tf.InteractiveSession()
    assert y.eval(feed_dict={x: 4.0}) == 5.0
    interactive.close()
    assert tf.get_default_session() is None


def test_with_session_makes_its_graph_the_default():
    g = tf.Graph()
    with g.as_default():
        x = tf.placeholder(tf.float32, [2])
    with tf.Session(graph=g) as sess:
        doubled = x * 2.0            # TF1: ops made inside the block join the session's graph
        assert tf.get_default_graph() is g
        np.testing.assert_array_equal(sess.run(doubled, {x: [1.0, 2.0]}), [2.0, 4.0])


def test_each_fed_shape_compiles_once(graph):
    x = tf.placeholder(tf.float32, [None, 3])
    y = tf.reduce_sum(tf.tanh(x) * 2.0, axis=1)
    with tf.Session() as sess:
        for n in (4, 4, 7, 4, 7):
            np.testing.assert_allclose(sess.run(y, {x: np.ones((n, 3))}),
                                       np.full(n, 6 * np.tanh(1.0)), rtol=1e-6)
        (plan,) = sess._plans.values()
        (segment,) = [s for kind, s in plan.stages]
        assert len(segment._compiled) == 2


def test_placeholder_with_default(graph):
    x = tf.placeholder_with_default(tf.constant([1.0, 2.0]), [None])
    y = x * 10.0
    with tf.Session() as sess:
        np.testing.assert_array_equal(sess.run(y), [10.0, 20.0])
        np.testing.assert_array_equal(sess.run(y, {x: [3.0, 4.0, 5.0]}), [30, 40, 50])


def test_names_scopes_collections_and_get_by_name(graph):
    with tf.name_scope("layer"):
        w = tf.Variable(tf.ones([2]), name="w")
        y = tf.multiply(w, 2.0, name="scaled")
    again = tf.Variable(tf.ones([2]), name="w")
    assert w.name == "layer/w:0" and again.name == "w:0" and y.name == "layer/scaled:0"
    assert graph.get_tensor_by_name("layer/scaled:0") is y
    assert graph.get_operation_by_name("layer/w") is w.op
    assert tf.global_variables() == [w, again] and tf.trainable_variables() == [w, again]
    frozen = tf.Variable(0, trainable=False)
    assert frozen not in tf.trainable_variables() and frozen in tf.global_variables()
    graph.finalize()
    with pytest.raises(RuntimeError, match="finalized"):
        tf.constant(1.0)


def test_eager_ops_are_untouched_outside_graphs():
    """Outside a graph block glflow runs eagerly, and tf.* spellings run eagerly too."""
    assert isinstance(gf.reduce_sum(gf.ones([2, 2])), gf.Tensor)
    assert gf.reduce_sum(gf.ones([2, 3]), axis=1, keepdims=True).shape == [2, 1]
    assert gf.matmul(gf.ones([1, 2]), gf.ones([2, 1]), name="ignored").numpy() == 2.0
    assert gf.argmax(gf.tensor([[1.0, 5.0], [7.0, 2.0]]), 1, output_type=gf.int64).numpy() \
        .tolist() == [1, 0]
    assert tf.argmax(gf.tensor([[1.0, 5.0], [7.0, 2.0]])).numpy().tolist() == [1, 0]
    assert tf.range(3).dtype == "int32" and gf.range(3).dtype == "float32"
    assert isinstance(gf.Variable(1.0), gf.Tensor)


def test_graph_of_a_top_level_script_with_eager_variables():
    """A TF1 script without a graph block: placeholders join the default graph, Variables made
    of eager values are eager, and minimize trains them through the graph."""
    tf.reset_default_graph()
    x = tf.placeholder(tf.float32, [None, 1])
    w = tf.Variable([[0.0]])
    loss = tf.reduce_mean(tf.square(tf.matmul(x, w) - 3.0 * x))
    train = tf.train.GradientDescentOptimizer(0.2).minimize(loss)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for _ in range(30):
            sess.run(train, {x: [[1.0], [2.0]]})
    assert isinstance(w, gf.Variable)
    np.testing.assert_allclose(w.numpy(), [[3.0]], rtol=1e-4)
    tf.reset_default_graph()


def test_gradients_with_none_for_unconnected_and_stop_gradient(graph):
    x = tf.placeholder(tf.float32, [2])
    v = tf.Variable([1.0, 2.0])
    k = tf.placeholder(tf.int32, [2])
    y = tf.reduce_sum(x * v) + tf.reduce_sum(tf.stop_gradient(x * x))
    dx, dv, dk, dz = tf.gradients(y, [x, v, k, tf.constant(1.0)])
    assert dk is None and dz is None
    with tf.Session() as sess:
        sess.run(v.initializer)
        gx, gv = sess.run([dx, dv], {x: [3.0, 4.0]})
    np.testing.assert_array_equal(gx, [1.0, 2.0])
    np.testing.assert_array_equal(gv, [3.0, 4.0])


def test_minimize_without_gradients_is_an_error(graph):
    v = tf.Variable(1.0)
    loss = tf.cast(tf.argmax(tf.stack([v, 2.0 * v])), tf.float32)
    with pytest.raises(ValueError, match="No gradients provided"):
        tf.train.GradientDescentOptimizer(0.1).minimize(loss)
    with pytest.raises(ValueError, match="No variables to optimize"):
        tf.train.GradientDescentOptimizer(0.1).minimize(tf.constant(1.0) * 2.0, var_list=[])


def test_results_equal_eager_glflow_on_both_backends():
    rng = np.random.default_rng(3)
    a = rng.standard_normal((5, 3)).astype(np.float32)
    b = rng.standard_normal((3, 4)).astype(np.float32)
    for backend in ("cpu", "gl"):
        gf.set_backend(backend)
        eager = gf.nn.softmax(gf.matmul(a, b) * 0.5 + 1.0).numpy()
        g = tf.Graph()
        with g.as_default():
            x = tf.placeholder(tf.float32, [None, 3])
            y = tf.nn.softmax(tf.matmul(x, b) * 0.5 + 1.0)
        with tf.Session(graph=g) as sess:
            np.testing.assert_allclose(sess.run(y, {x: a}), eager, rtol=1e-6, atol=1e-7)


def test_variables_initializer_and_assigning_eager_variables_from_a_graph():
    eager = gf.Variable([0.0, 0.0])                           # made outside any graph
    g = tf.Graph()
    with g.as_default():
        a, b = tf.Variable(1.0), tf.Variable(2.0)
        x = tf.placeholder(tf.float32, [2])
        write = tf.assign(eager, x * 2.0)
        nothing = tf.variables_initializer([])
    assert nothing.type == "NoOp" and isinstance(eager, gf.Tensor)
    with tf.Session(graph=g) as sess:
        sess.run(tf.variables_initializer([a]))
        assert sess.run(a) == 1.0
        with pytest.raises(tf.errors.FailedPreconditionError):
            sess.run(b)
        np.testing.assert_array_equal(sess.run(write, {x: [1.0, 2.0]}), [2.0, 4.0])
    np.testing.assert_array_equal(eager.numpy(), [2.0, 4.0])


def test_disable_eager_execution_records_everything_into_the_default_graph():
    tf.reset_default_graph()
    tf.disable_eager_execution()
    try:
        c = tf.constant([1.0, 2.0])
        assert isinstance(c, tf.GraphTensor) and not tf.executing_eagerly()
        v = tf.Variable(tf.ones([2]))
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            np.testing.assert_array_equal(sess.run(c + v), [2.0, 3.0])
    finally:
        tf.enable_eager_execution()
        tf.reset_default_graph()
    assert tf.executing_eagerly() and isinstance(tf.constant(1.0), gf.Tensor)


def test_an_op_on_an_eager_variable_inside_a_graph_reads_it_on_every_run():
    w = gf.Variable([1.0, 2.0])
    g = tf.Graph()
    with g.as_default():
        total = tf.reduce_sum(w)                     # no graph input, but a Variable
    with tf.Session(graph=g) as sess:
        assert sess.run(total) == 3.0
        w.assign([5.0, 5.0])
        assert sess.run(total) == 10.0
