"""set_random_seed: one call that makes a Keras-style program repeatable."""
import random

import numpy as np

from .. import ops


def set_random_seed(seed):
    """Seed Python's `random`, numpy's global generator and glflow's (`gf.set_seed`), as
    keras.utils.set_random_seed seeds Python, numpy and the backend."""
    if not isinstance(seed, int) or isinstance(seed, bool):
        raise TypeError(f"set_random_seed: seed must be an int, got {seed!r}")
    random.seed(seed)
    np.random.seed(seed)
    ops.set_seed(seed)
