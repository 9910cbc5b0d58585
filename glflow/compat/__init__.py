"""`gf.compat.v1`: TensorFlow 1's namespace (tf.compat.v1), so `import glflow.compat.v1 as tf`
runs TF1 programs written for `import tensorflow.compat.v1 as tf`."""
from . import v1

__all__ = ["v1"]
