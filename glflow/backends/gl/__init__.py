"""The OpenGL backend: tensors in RGBA32F textures, kernels as fragment shaders."""
from .backend import GLBackend, GLData

__all__ = ["GLBackend", "GLData"]
