"""QueueRunner: reader threads that keep a queue filled (TensorFlow's tf.train.QueueRunner).

    qr = gf.train.QueueRunner(queue, [enqueue_op] * 4)     # four reader threads
    gf.train.add_queue_runner(qr)
    threads = gf.train.start_queue_runners(sess, coord)

Each thread runs its enqueue operation in the session until the coordinator stops, the queue
is closed (CancelledError) or its input ends (OutOfRangeError, from a py_func or an inner
queue). When the last thread ends that way the runner closes the queue, so the consumer's
dequeue raises OutOfRangeError after the remaining elements. A stop request closes the queue
with cancel_pending_enqueues, which frees threads blocked on a full queue. Any other error
is reported to the coordinator (`coord.join()` raises it)."""
import threading

from .. import errors
from ..tf1.graph import GraphKeys, building_graph, get_default_graph, get_default_session


class QueueRunner:
    def __init__(self, queue=None, enqueue_ops=None, close_op=None, cancel_op=None,
                 queue_closed_exception_types=None):
        if queue is None or not enqueue_ops:
            raise ValueError("QueueRunner: a queue and a list of enqueue operations are needed")
        self.queue = queue
        self.enqueue_ops = list(enqueue_ops)
        self.close_op = close_op if close_op is not None else queue.close()
        self.cancel_op = cancel_op if cancel_op is not None else \
            queue.close(cancel_pending_enqueues=True)
        self._closed_types = tuple(queue_closed_exception_types or
                                   (errors.OutOfRangeError, errors.CancelledError))
        self._lock = threading.Lock()
        self._running = 0
        self.exceptions_raised = []

    @property
    def name(self):
        return self.queue.name

    def create_threads(self, sess, coord=None, daemon=False, start=False):
        """One thread per enqueue operation (plus, with a coordinator, one that cancels the
        queue's pending enqueues on a stop request); started when `start`."""
        with self._lock:
            self._running = len(self.enqueue_ops)
            self.exceptions_raised = []
        threads = [threading.Thread(target=self._run, args=(sess, op, coord), daemon=daemon,
                                    name=f"QueueRunner {self.name} #{i}")
                   for i, op in enumerate(self.enqueue_ops)]
        if coord is not None:
            threads.append(threading.Thread(target=self._close_on_stop, args=(sess, coord),
                                            daemon=True, name=f"QueueRunner {self.name} stop"))
        for t in threads:
            if coord is not None:
                coord.register_thread(t)
            if start:
                t.start()
        return threads

    def _run(self, sess, enqueue_op, coord):
        last = False
        try:
            while coord is None or not coord.should_stop():
                try:
                    sess.run(enqueue_op)
                except self._closed_types:
                    with self._lock:
                        self._running -= 1
                        last = self._running == 0
                    if last:
                        self._close(sess, self.close_op, coord)
                    return
        except Exception as exc:  # reported to the coordinator, as TF's runner does
            with self._lock:
                self.exceptions_raised.append(exc)
            if coord is None:
                raise
            coord.request_stop(exc)

    def _close_on_stop(self, sess, coord):
        coord.wait_for_stop()
        self._close(sess, self.cancel_op, coord)

    def _close(self, sess, op, coord):
        try:
            if not sess.closed:
                sess.run(op)
        except Exception as exc:  # closing a session's queue late is harmless
            if coord is not None and not isinstance(exc, RuntimeError):
                coord.request_stop(exc)


def add_queue_runner(qr, collection=GraphKeys.QUEUE_RUNNERS):
    (building_graph() or get_default_graph()).add_to_collection(collection, qr)


def start_queue_runners(sess=None, coord=None, daemon=True, start=True,
                        collection=GraphKeys.QUEUE_RUNNERS):
    """Start the threads of every QueueRunner of the session's graph; returns them."""
    sess = sess or get_default_session()
    if sess is None:
        raise ValueError("start_queue_runners: no session given and no default session")
    threads = []
    for qr in sess.graph.get_collection(collection):
        threads.extend(qr.create_threads(sess, coord=coord, daemon=daemon, start=start))
    return threads


__all__ = ["QueueRunner", "add_queue_runner", "start_queue_runners"]
