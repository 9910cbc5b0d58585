"""Backends: `gl` (fragment shaders through headless OpenGL) and `cpu` (numpy, the oracle)."""
