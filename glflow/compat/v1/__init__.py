"""TensorFlow 1's names over glflow: everything `glflow` exports, with TF1's meaning where it
differs from glflow's own (`argmax`/`argmin` default to axis 0, `range` infers int32 from
ints), TF1's namespaces (`nn`, `train`, `errors`, `data` with its iterator functions) and
`disable_v2_behavior`. The objects are glflow's own: `gf.compat.v1.Session is gf.Session`.

Programs written as

    import tensorflow.compat.v1 as tf
    tf.disable_v2_behavior()

run with `import glflow.compat.v1 as tf` instead (docs/tf1.md).
"""
from ... import *  # noqa: F401,F403 - the same objects as glflow's namespace
from ... import __all__ as _glflow_all
from ... import errors, nn, train  # noqa: F401
from ...tf1.spellings import argmax_v1 as argmax  # noqa: F401
from ...tf1.spellings import argmin_v1 as argmin  # noqa: F401
from ...tf1.spellings import range_v1 as range  # noqa: F401,A001
from . import datasets as data  # noqa: F401 - tf.compat.v1.data

__all__ = sorted(set(_glflow_all) | {"argmax", "argmin", "range", "data", "errors", "nn",
                                     "train"})
