"""`gf.train`: optimizers by their TensorFlow.js names (`gf.train.adam(0.01)`), returning
glflow optimizers. A package, so the TF1 front end's `GradientDescentOptimizer` and friends
can join it as a module of their own."""
from .tfjs import adadelta, adagrad, adam, adamax, momentum, rmsprop, sgd

__all__ = ["sgd", "momentum", "adam", "adagrad", "adadelta", "adamax", "rmsprop"]
