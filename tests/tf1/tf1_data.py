"""Reading the TensorFlow recordings of tests/data/tf1/ (made by
tests/data/generate/tf1_programs.py)."""
import os

import numpy as np

DATA = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "data", "tf1")


def recorded(name):
    """(inputs, results) of one program, as {name: numpy array}."""
    with np.load(os.path.join(DATA, f"{name}.npz")) as f:
        inputs = {k[3:]: f[k] for k in f.files if k.startswith("in/")}
        results = {k[4:]: f[k] for k in f.files if k.startswith("out/")}
    return inputs, results
