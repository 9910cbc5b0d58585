"""`gf.utils`: Keras's data helpers (keras.utils) for labels and sequences, on the host."""
from .categorical import to_categorical
from .seeding import set_random_seed
from .sequences import pad_sequences

__all__ = ["to_categorical", "pad_sequences", "set_random_seed"]
