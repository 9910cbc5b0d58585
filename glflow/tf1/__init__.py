"""The TensorFlow 1 front end: graphs built op by op, run by a Session, fed through placeholders
and queues, on graph mode's IR (glflow/graph/).

    graph.py        Graph, Operation, GraphTensor; default graphs, name scopes, control
                    dependencies, collections, default sessions
    shapes.py       TensorShape: static shapes with None dims
    recording.py    how a public op call becomes an Operation (static shapes by trial traces)
    operators.py    Python operators on graph tensors and Variables
    variables.py    graph Variables, their per-session values, assign ops
    spellings.py    TF1 names glflow's ops lack (placeholder, reduce_*, group, ...)
    gradients.py    tf.gradients, stop_gradient
    runs.py         what Session.run does: needed ops, stages, segments compiled per signature
    session.py      Session, InteractiveSession, feeds and fetches
    queues.py       FIFOQueue, RandomShuffleQueue (graph and eager)
    py_func.py      py_func: Python code as an operation
    iterators.py    gf.data Datasets as TF1 iterators (get_next in a graph)

The error classes (tf.errors) are glflow/errors.py. docs/tf1.md is the user's guide;
docs/architecture.md ("TF1 front end") how it fits graph mode.
"""
from .. import errors
from . import operators  # noqa: F401 - operators: +, @, [], ... on graph tensors
from .gradients import gradients, stop_gradient
from .graph import (Graph, GraphKeys, GraphTensor, Operation, add_to_collection,
                    control_dependencies, disable_eager_execution, enable_eager_execution,
                    executing_eagerly, get_collection, get_default_graph, get_default_session,
                    name_scope, reset_default_graph)
from .session import ConfigProto, InteractiveSession, RunOptions, Session
from .shapes import TensorShape
from .variables import Variable

__all__ = ["errors", "gradients", "stop_gradient", "Graph", "GraphKeys", "GraphTensor",
           "Operation", "add_to_collection", "get_collection", "control_dependencies",
           "disable_eager_execution", "enable_eager_execution", "executing_eagerly",
           "get_default_graph", "get_default_session", "name_scope", "reset_default_graph",
           "ConfigProto", "InteractiveSession", "RunOptions", "Session", "TensorShape", "Variable"]
