"""The kernel registry: every kernel both backends implement, under one name.

A kernel is the unit of DESIGN.md: `shaders/<name>.glsl` (GL), a numpy function `<name>` in
`glflow/backends/cpu/` (CPU), and a shape rule plus gradient in `glflow/ops/`. The registry is
what the tests walk to prove that no kernel lacks a backend, a test or a gradient check.

Families:
- "unary" / "binary" / "ternary": elementwise, GLSL is one function `vec4 name(vec4 ...)`; the
  templates in `shaders/templates/` own main() and the index math, so kernels compose (fusion).
- "reduce": a combine function over one axis of an [outer, R, inner] view.
- "special": kernels with their own template (matmul, gather, ...).

Each `glflow/ops/<family>.py` registers the kernels it calls, next to the ops that use them.
"""
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Kernel:
    name: str
    family: str
    params: tuple = ()            # float uniforms passed after the tensor arguments
    differentiable: bool = True
    requires: tuple = field(default=())  # other kernels' GLSL this one calls


REGISTRY = {}


def register(name, family, params=(), differentiable=True, requires=()):
    if name in REGISTRY:
        raise ValueError(f"kernel {name!r} registered twice")
    REGISTRY[name] = Kernel(name, family, tuple(params), differentiable, tuple(requires))
    return REGISTRY[name]


def get(name):
    return REGISTRY[name]
