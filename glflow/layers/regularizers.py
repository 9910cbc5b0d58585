"""Weight regularizers: `reg(weight) -> scalar penalty`, added to the training loss."""
from .. import ops


class Regularizer:
    def __call__(self, x):
        raise NotImplementedError

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class L1L2(Regularizer):
    """l1 * sum(|x|) + l2 * sum(x^2)."""

    def __init__(self, l1=0.0, l2=0.0):
        for name, v in (("l1", l1), ("l2", l2)):
            if v is None or float(v) < 0:
                raise ValueError(f"{type(self).__name__}: {name} must be >= 0, got {v!r}")
        self.l1, self.l2 = float(l1), float(l2)

    def __call__(self, x):
        penalty = None
        if self.l1:
            penalty = ops.mul(ops.sum(ops.abs(x)), self.l1)
        if self.l2:
            term = ops.mul(ops.sum(ops.square(x)), self.l2)
            penalty = term if penalty is None else ops.add(penalty, term)
        return penalty if penalty is not None else ops.zeros([])

    def get_config(self):
        return {"l1": self.l1, "l2": self.l2}


class L1(L1L2):
    def __init__(self, l1=0.01):
        super().__init__(l1=l1)

    def get_config(self):
        return {"l1": self.l1}


class L2(L1L2):
    def __init__(self, l2=0.01):
        super().__init__(l2=l2)

    def get_config(self):
        return {"l2": self.l2}


def l1(l1=0.01):
    return L1(l1)


def l2(l2=0.01):
    return L2(l2)


def l1_l2(l1=0.01, l2=0.01):
    return L1L2(l1, l2)


CLASSES = {"L1": L1, "L2": L2, "L1L2": L1L2}
NAMES = {"l1": l1, "l2": l2, "l1_l2": l1_l2}


def get(identifier):
    """None, a name ('l2'), a {'class_name', 'config'} dict, or a callable weight -> scalar."""
    if identifier is None:
        return None
    if isinstance(identifier, str):
        if identifier not in NAMES:
            raise ValueError(f"regularizers.get: unknown regularizer {identifier!r}; known: "
                             f"{', '.join(sorted(NAMES))}")
        return NAMES[identifier]()
    if isinstance(identifier, dict):
        cls = CLASSES.get(identifier.get("class_name"))
        if cls is None:
            raise ValueError(f"regularizers.get: unknown regularizer class "
                             f"{identifier.get('class_name')!r}")
        return cls.from_config(identifier.get("config", {}))
    if callable(identifier):
        return identifier
    raise TypeError(f"regularizers.get: expected a name, dict or callable, got {identifier!r}")


def serialize(regularizer):
    if regularizer is None:
        return None
    if isinstance(regularizer, Regularizer):
        return {"class_name": type(regularizer).__name__, "config": regularizer.get_config()}
    raise TypeError(f"regularizers.serialize: cannot serialize {regularizer!r}")
