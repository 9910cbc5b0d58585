"""Weight initializers: callables `init(shape) -> Tensor`, by name or object, seedable.

A seeded initializer gives the same values on every call and every backend (numbers come from
glflow's host-side PCG64, see glflow/ops/random.py); unseeded ones draw from glflow's global
generator, so `gf.set_seed(n)` makes a whole model's initial weights reproducible.
"""
import math

import numpy as np

from .. import ops

# stddev of a unit normal truncated to [-2, 2]: divides it out so truncated draws keep the
# variance the scaling rule asks for
_TRUNCATED_STD = 0.87962566103423978


class Initializer:
    def __call__(self, shape):
        raise NotImplementedError

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class Zeros(Initializer):
    def __call__(self, shape):
        return ops.zeros(shape)


class Ones(Initializer):
    def __call__(self, shape):
        return ops.ones(shape)


class Constant(Initializer):
    def __init__(self, value=0.0):
        self.value = float(value)

    def __call__(self, shape):
        return ops.fill(shape, self.value, "float32")

    def get_config(self):
        return {"value": self.value}


class RandomUniform(Initializer):
    def __init__(self, minval=-0.05, maxval=0.05, seed=None):
        self.minval, self.maxval, self.seed = float(minval), float(maxval), seed

    def __call__(self, shape):
        return ops.random_uniform(shape, self.minval, self.maxval, seed=self.seed)

    def get_config(self):
        return {"minval": self.minval, "maxval": self.maxval, "seed": self.seed}


class RandomNormal(Initializer):
    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        self.mean, self.stddev, self.seed = float(mean), float(stddev), seed

    def __call__(self, shape):
        return ops.random_normal(shape, self.mean, self.stddev, seed=self.seed)

    def get_config(self):
        return {"mean": self.mean, "stddev": self.stddev, "seed": self.seed}


class TruncatedNormal(RandomNormal):
    """Normal values redrawn when further than two standard deviations from the mean."""

    def __call__(self, shape):
        return ops.truncated_normal(shape, self.mean, self.stddev, seed=self.seed)


def compute_fans(shape):
    """(fan_in, fan_out): dense kernels are [in, out]; conv kernels [..., in, out] multiply
    both by the receptive field size."""
    shape = tuple(shape)
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    receptive = int(np.prod(shape[:-2])) if len(shape) > 2 else 1
    return shape[-2] * receptive, shape[-1] * receptive


class VarianceScaling(Initializer):
    """Values with variance scale / n, n = fan_in, fan_out or their mean."""

    def __init__(self, scale=1.0, mode="fan_in", distribution="truncated_normal", seed=None):
        if scale <= 0:
            raise ValueError(f"VarianceScaling: scale must be > 0, got {scale}")
        if mode not in ("fan_in", "fan_out", "fan_avg"):
            raise ValueError("VarianceScaling: mode must be fan_in, fan_out or fan_avg, got "
                             f"{mode!r}")
        if distribution not in ("truncated_normal", "untruncated_normal", "uniform"):
            raise ValueError("VarianceScaling: distribution must be truncated_normal, "
                             f"untruncated_normal or uniform, got {distribution!r}")
        self.scale, self.mode, self.distribution, self.seed = float(scale), mode, distribution, seed

    def __call__(self, shape):
        fan_in, fan_out = compute_fans(shape)
        n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[self.mode]
        variance = self.scale / max(1.0, n)
        if self.distribution == "uniform":
            limit = math.sqrt(3.0 * variance)
            return ops.random_uniform(shape, -limit, limit, seed=self.seed)
        if self.distribution == "truncated_normal":
            return ops.truncated_normal(shape, 0.0, math.sqrt(variance) / _TRUNCATED_STD,
                                        seed=self.seed)
        return ops.random_normal(shape, 0.0, math.sqrt(variance), seed=self.seed)

    def get_config(self):
        return {"scale": self.scale, "mode": self.mode, "distribution": self.distribution,
                "seed": self.seed}


def _variance_scaling(class_name, scale, mode, distribution):
    class Named(VarianceScaling):
        def __init__(self, seed=None):
            super().__init__(scale, mode, distribution, seed)

        def get_config(self):
            return {"seed": self.seed}
    Named.__name__ = Named.__qualname__ = class_name
    return Named


GlorotUniform = _variance_scaling("GlorotUniform", 1.0, "fan_avg", "uniform")
GlorotNormal = _variance_scaling("GlorotNormal", 1.0, "fan_avg", "truncated_normal")
HeUniform = _variance_scaling("HeUniform", 2.0, "fan_in", "uniform")
HeNormal = _variance_scaling("HeNormal", 2.0, "fan_in", "truncated_normal")
LecunUniform = _variance_scaling("LecunUniform", 1.0, "fan_in", "uniform")
LecunNormal = _variance_scaling("LecunNormal", 1.0, "fan_in", "truncated_normal")


class Orthogonal(Initializer):
    """gain * an orthogonal matrix (the Q of a QR decomposition of normal values, signs fixed
    so the distribution is uniform); tensors of rank > 2 are flattened to [prod(rest), last]."""

    def __init__(self, gain=1.0, seed=None):
        self.gain, self.seed = float(gain), seed

    def __call__(self, shape):
        shape = tuple(shape)
        if len(shape) < 2:
            raise ValueError(f"Orthogonal: needs a shape of rank >= 2, got {list(shape)}")
        rows, cols = int(np.prod(shape[:-1])), shape[-1]
        normal = ops.random_normal((max(rows, cols), min(rows, cols)), seed=self.seed)
        q, r = np.linalg.qr(normal.numpy().astype(np.float64))
        q = q * np.sign(np.diag(r))
        if rows < cols:
            q = q.T
        return ops.tensor((self.gain * q).reshape(shape).astype(np.float32))

    def get_config(self):
        return {"gain": self.gain, "seed": self.seed}


CLASSES = {c.__name__: c for c in (
    Zeros, Ones, Constant, RandomUniform, RandomNormal, TruncatedNormal, VarianceScaling,
    GlorotUniform, GlorotNormal, HeUniform, HeNormal, LecunUniform, LecunNormal, Orthogonal)}
ALIASES = {"zeros": Zeros, "ones": Ones, "constant": Constant, "random_uniform": RandomUniform,
           "random_normal": RandomNormal, "truncated_normal": TruncatedNormal,
           "variance_scaling": VarianceScaling, "glorot_uniform": GlorotUniform,
           "glorot_normal": GlorotNormal, "he_uniform": HeUniform, "he_normal": HeNormal,
           "lecun_uniform": LecunUniform, "lecun_normal": LecunNormal, "orthogonal": Orthogonal}

zeros, ones, constant = Zeros, Ones, Constant
glorot_uniform, glorot_normal = GlorotUniform, GlorotNormal
he_uniform, he_normal = HeUniform, HeNormal
lecun_uniform, lecun_normal = LecunUniform, LecunNormal
orthogonal = Orthogonal
random_uniform, random_normal, truncated_normal = RandomUniform, RandomNormal, TruncatedNormal


def get(identifier):
    """An initializer from a name ('he_normal'), a {'class_name', 'config'} dict, an instance
    or any callable shape -> tensor."""
    if isinstance(identifier, str):
        cls = ALIASES.get(identifier) or CLASSES.get(identifier)
        if cls is None:
            raise ValueError(f"initializers.get: unknown initializer {identifier!r}; known: "
                             f"{', '.join(sorted(ALIASES))}")
        return cls()
    if isinstance(identifier, dict):
        cls = CLASSES.get(identifier.get("class_name"))
        if cls is None:
            raise ValueError(f"initializers.get: unknown initializer class "
                             f"{identifier.get('class_name')!r}")
        return cls.from_config(identifier.get("config", {}))
    if callable(identifier):
        return identifier
    raise TypeError(f"initializers.get: expected a name, dict or callable, got {identifier!r}")


def serialize(initializer):
    if isinstance(initializer, Initializer):
        return {"class_name": type(initializer).__name__, "config": initializer.get_config()}
    raise TypeError(f"initializers.serialize: cannot serialize {initializer!r}; use a named "
                    "initializer or an Initializer subclass")
