"""The kernel registry: every kernel both backends implement, under one name.

A kernel is the unit of docs/architecture.md: its shape rule and gradient in
`glflow/ops/<family>.py` (where it is defined as a primitive), its numpy twin in
`glflow/backends/numpy/<family>.py`, its GL side in `glflow/backends/gl/<family>.py` or, for an
elementwise kernel, one GLSL function in `shaders/<family>/<name>.glsl`. The tests walk the
registry to prove that no kernel lacks a backend, a test or a gradient check.

`pattern` says how graph mode may fuse a kernel (the op patterns of TVM's Relay):
- ELEMENTWISE: one output element from the same element of each (broadcast) input; the GLSL is
  a function `vec4 k_<name>(vec4 ...)` and fusion composes such functions;
- REDUCE: combines along axes; may absorb an elementwise prologue;
- OUTPUT_FUSABLE: matmul and conv, which take an elementwise epilogue;
- INJECTIVE: data movement (gather, pad, concat), each output element read from one place;
- OPAQUE: everything else (scans, sorting, fused optimizer updates).
"""
from dataclasses import dataclass

ELEMENTWISE = "elementwise"
REDUCE = "reduce"
OUTPUT_FUSABLE = "output_fusable"
INJECTIVE = "injective"
OPAQUE = "opaque"
PATTERNS = (ELEMENTWISE, REDUCE, OUTPUT_FUSABLE, INJECTIVE, OPAQUE)


@dataclass(frozen=True)
class Kernel:
    name: str
    family: str                 # ops/<family>.py, backends/*/<family>.py, shaders/<family>/
    pattern: str
    params: tuple = ()          # elementwise: float attrs passed as uniforms, in this order
    differentiable: bool = True
    requires: tuple = ()        # elementwise: kernels whose GLSL functions this one calls


REGISTRY = {}


def register(name, family, pattern, params=(), differentiable=True, requires=()):
    if name in REGISTRY:
        raise ValueError(f"kernel {name!r} registered twice")
    if pattern not in PATTERNS:
        raise ValueError(f"kernel {name!r}: unknown pattern {pattern!r}")
    kernel = Kernel(name, family, pattern, tuple(params), differentiable, tuple(requires))
    REGISTRY[name] = kernel
    return kernel


def get(name):
    try:
        return REGISTRY[name]
    except KeyError:
        raise KeyError(f"no kernel {name!r} is registered") from None


def elementwise_names():
    return [k.name for k in REGISTRY.values() if k.pattern == ELEMENTWISE]
