"""TensorFlow's run-time error classes (`gf.errors`, as `tf.errors`): what a Session run, a queue
or a reader raises, so TF1 code that catches `tf.errors.OutOfRangeError` works unchanged.

Each is an OpError carrying the operation it came from (`op`, None when there is none) and a
message; InvalidArgumentError is also a ValueError and the precondition, range and cancellation
errors are also RuntimeErrors, so code that catches the Python built-ins sees them too."""


class OpError(Exception):
    """An operation failed while a graph ran (TensorFlow's tf.errors.OpError)."""

    def __init__(self, node_def=None, op=None, message=""):
        if message == "" and isinstance(node_def, str) and op is None:
            node_def, message = None, node_def  # Error("message"): the message alone
        Exception.__init__(self, message)
        self.node_def = node_def
        self.op = op
        self.message = message

    def __str__(self):
        return self.message


class CancelledError(OpError, RuntimeError):
    """An operation was cancelled (a closed queue's pending enqueue)."""


class UnknownError(OpError):
    """An error with no better class (a py_func raised)."""


class InvalidArgumentError(OpError, ValueError):
    """An operation got a bad argument (a missing feed, a label out of range)."""


class DeadlineExceededError(OpError, RuntimeError):
    """A run took longer than its timeout_in_ms."""


class NotFoundError(OpError):
    """Something named was not found (a checkpoint file)."""


class AlreadyExistsError(OpError):
    """Something to create exists already."""


class FailedPreconditionError(OpError, RuntimeError):
    """The system is not in the state the operation needs (an uninitialised
    Variable)."""


class OutOfRangeError(OpError, RuntimeError):
    """Iteration past the end: a closed, empty queue or an exhausted iterator."""


class UnimplementedError(OpError):
    """The operation is not implemented."""


class ResourceExhaustedError(OpError):
    """Out of memory or another resource."""


class AbortedError(OpError):
    """The operation was aborted."""


class InternalError(OpError):
    """An internal invariant broke."""


__all__ = ["OpError", "CancelledError", "UnknownError", "InvalidArgumentError",
           "DeadlineExceededError", "NotFoundError", "AlreadyExistsError",
           "FailedPreconditionError", "OutOfRangeError", "UnimplementedError",
           "ResourceExhaustedError", "AbortedError", "InternalError"]
