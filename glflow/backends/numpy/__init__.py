"""The numpy backend ("cpu"): the reference every GL kernel is checked against, and the fallback."""
from .backend import NumpyBackend

__all__ = ["NumpyBackend"]
