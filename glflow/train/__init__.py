"""`gf.train`: optimizers by their TensorFlow.js names (`gf.train.adam(0.01)`), returning
glflow optimizers (tfjs.py), and TensorFlow 1's training and input machinery: the TF1
optimizers (tf1.py), QueueRunner (queue_runner.py), Coordinator (coordinator.py) and Saver
(saver.py)."""
from .tfjs import adadelta, adagrad, adam, adamax, momentum, rmsprop, sgd

__all__ = ["sgd", "momentum", "adam", "adagrad", "adadelta", "adamax", "rmsprop"]

# TensorFlow 1's optimizers and input machinery (docs/tf1.md).
from .tf1 import (AdagradOptimizer, AdamOptimizer, GradientDescentOptimizer,  # noqa: E402
                  MomentumOptimizer, Optimizer, RMSPropOptimizer, create_global_step,
                  exponential_decay, get_global_step, get_or_create_global_step)

from .coordinator import Coordinator, LooperThread  # noqa: E402
from .queue_runner import QueueRunner, add_queue_runner, start_queue_runners  # noqa: E402
from .saver import Saver, latest_checkpoint  # noqa: E402

__all__ += ["Coordinator", "LooperThread", "QueueRunner", "add_queue_runner",
            "start_queue_runners", "Saver", "latest_checkpoint", "Optimizer",
            "GradientDescentOptimizer", "MomentumOptimizer", "AdamOptimizer", "RMSPropOptimizer",
            "AdagradOptimizer", "get_global_step", "get_or_create_global_step",
            "create_global_step", "exponential_decay"]
