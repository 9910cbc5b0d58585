"""The numpy backend: the reference every GL kernel is checked against, and the fallback."""
from .backend import CPUBackend

__all__ = ["CPUBackend"]
