"""Numpy twins of the logic kernels (shaders/<name>.glsl): bool in, bool out, and where."""
import numpy as np


def logical_not(x):
    return np.logical_not(x)


def logical_and(a, b):
    return np.logical_and(a, b)


def logical_or(a, b):
    return np.logical_or(a, b)


def logical_xor(a, b):
    return np.logical_xor(a, b)


def where(condition, a, b):
    return np.where(np.asarray(condition) != 0, a, b)
