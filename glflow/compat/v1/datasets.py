"""tf.compat.v1.data: gf.data's Dataset and the TF1 iterator functions."""
from ...data import Dataset
from ...tf1.iterators import Iterator, make_initializable_iterator, make_one_shot_iterator

__all__ = ["Dataset", "Iterator", "make_one_shot_iterator", "make_initializable_iterator"]
