"""Optimizer: turns gradients into Variable updates.

apply_gradients(pairs) clips the gradients, applies decoupled weight decay, then each
subclass's `update(grad, value, slots, step)` returns the new value, computed with glflow ops
(on the GPU with the GL backend) without recording on any tape. Step-dependent scalars (the
learning rate, bias corrections) are computed on the host once per step and uploaded as one
scalar each, so a schedule never compiles a shader and never grows the constant cache.

Optimizers with a fused kernel (Adam/AdamW, SGD with momentum: glflow/ops/optimizer_updates.py)
override `update_variable` to write the variable and its slots in one pass per variable; the
scalars then travel as uniforms and nothing is uploaded. `fused = False` on an instance runs the
composed ops instead (the benchmark compares both; the tests check they agree).
"""
import numbers

import numpy as np

from .. import ops
from ..autodiff import GradientTape, no_record
from ..ops._host import HostScalar, host_call, init_scope, tracing
from ..tensor import Tensor, Variable
from . import schedules


class Optimizer:
    fused = True  # use a fused update kernel where the subclass has one

    def __init__(self, learning_rate=0.001, weight_decay=None, clipnorm=None, clipvalue=None,
                 global_clipnorm=None, name=None):
        self.name = name or type(self).__name__.lower()
        given = [k for k, v in (("clipnorm", clipnorm), ("clipvalue", clipvalue),
                                ("global_clipnorm", global_clipnorm)) if v is not None]
        if len(given) > 1:
            raise ValueError(f"{type(self).__name__}: set at most one of clipnorm, clipvalue and "
                             f"global_clipnorm, got {', '.join(given)}")
        for key, value in (("clipnorm", clipnorm), ("clipvalue", clipvalue),
                           ("global_clipnorm", global_clipnorm), ("weight_decay", weight_decay)):
            if value is not None and not (isinstance(value, numbers.Real) and value >= 0):
                raise ValueError(f"{type(self).__name__}: {key} must be a number >= 0, got "
                                 f"{value!r}")
        self.clipnorm, self.clipvalue, self.global_clipnorm = clipnorm, clipvalue, global_clipnorm
        self.weight_decay = weight_decay
        self._learning_rate = _check_rate(type(self).__name__, learning_rate)
        self.iterations = 0
        self._slots = {}        # id(variable) -> {slot name: Variable}
        self._slot_owners = []  # variables with slots, in the order first seen

    # ------------------------------------------------------------------ learning rate
    @property
    def learning_rate(self):
        """The rate the next step uses (a schedule evaluated at the step count)."""
        lr = self._learning_rate
        return float(lr(self.iterations)) if isinstance(lr, schedules.LearningRateSchedule) \
            else lr

    @learning_rate.setter
    def learning_rate(self, value):
        if isinstance(self._learning_rate, schedules.LearningRateSchedule):
            raise TypeError(f"{type(self).__name__}: the learning rate follows a "
                            f"{type(self._learning_rate).__name__} schedule and cannot be set")
        self._learning_rate = _check_rate(type(self).__name__, value)

    lr = learning_rate

    # ------------------------------------------------------------------ state
    def slot_names(self):
        return ()

    def slot_initial_value(self, name):
        return 0.0

    def build(self, var_list):
        """Create the slot variables (moments, accumulators) of every variable now."""
        for var in var_list:
            self._slots_of(var)

    def _slots_of(self, var):
        slots = self._slots.get(id(var))
        if slots is None:
            slots = {}
            for name in self.slot_names():
                init = self.slot_initial_value(name)
                with init_scope():  # made inside gf.function: a concrete initial value
                    slots[name] = Variable(ops.fill(var.shape, init, "float32"),
                                           trainable=False, name=f"{self.name}/{var.name}/{name}")
            self._slots[id(var)] = slots
            self._slot_owners.append(var)
        return slots

    def slots_for(self, var_list):
        """The slot variables of var_list, in its order (then by slot name), creating any
        missing ones as build does. Saving and loading use this with the model's trainable
        weights: `variables` follows first-gradient order and skips weights that never got
        a gradient, so it can differ between the saved and the reloaded optimizer."""
        return [self._slots_of(v)[n] for v in var_list for n in self.slot_names()]

    @property
    def variables(self):
        """Slot variables in a stable order (per variable in first-seen order, then by slot)."""
        return [self._slots[id(v)][n] for v in self._slot_owners for n in self.slot_names()]

    # ------------------------------------------------------------------ updating
    def apply_gradients(self, grads_and_vars):
        """Update each Variable from its gradient; pairs whose gradient is None are skipped."""
        pairs = [(g, v) for g, v in grads_and_vars if g is not None]
        for g, v in pairs:
            if not isinstance(v, Variable):
                raise TypeError(f"{type(self).__name__}.apply_gradients: expected Variables, got "
                                f"a {type(v).__name__}")
            if not isinstance(g, Tensor) or g.shape != v.shape:
                raise ValueError(f"{type(self).__name__}.apply_gradients: gradient of shape "
                                 f"{getattr(g, 'shape', None)} for variable {v.name!r} of "
                                 f"shape {v.shape}")
        if not pairs:
            return
        with no_record():
            grads = self._clip([g for g, _ in pairs])
            if tracing():
                scalars = self._traced_scalars()
            else:
                scalars = StepScalars(self._next_step())
            for g, (_, var) in zip(grads, pairs):
                var.assign(self.update_variable(g, var, self._slots_of(var), scalars))

    def _next_step(self):
        """Count the step and compute its host scalars (lr, lr_t, decay, ...) by name."""
        step = self.iterations + 1
        lr = self.learning_rate
        host = {k: float(x) for k, x in self.step_scalars(lr, step).items()}
        host["decay"] = 1.0 - lr * float(self.weight_decay) if self.weight_decay else 1.0
        self.iterations = step
        return host

    def _traced_scalars(self):
        """Inside gf.function: one HOST node counts the step and computes its scalars on every
        call of the compiled function (a schedule keeps following the step count)."""
        names = sorted(self.step_scalars(self.learning_rate, self.iterations + 1)) + ["decay"]

        def advance():
            host = self._next_step()
            return [np.float32(host[n]) for n in names]
        tensors = host_call(f"{self.name}/step", advance, [], [((), "float32")] * len(names),
                            stateful=True, effect=True)
        return StepScalars({n: HostScalar(t) for n, t in zip(names, tensors)},
                           dict(zip(names, tensors)), dynamic=True)

    def minimize(self, f, return_cost=False, var_list=None):
        """One step on the scalar loss f() (TF.js's `minimize(f, returnCost, varList)`).

        Without var_list every trainable Variable that f reads is trained, found through the
        gradient tape; with it, exactly those variables. Returns the loss when return_cost,
        else None. The Keras form `minimize(f, [w1, w2])` (the list second) is accepted too."""
        where = f"{type(self).__name__}.minimize"
        if isinstance(return_cost, (list, tuple)) and var_list is None:
            return_cost, var_list = False, return_cost
        if not callable(f):
            raise TypeError(f"{where}: f must be a function returning the loss, got "
                            f"{type(f).__name__}")
        if var_list is not None:
            var_list = list(var_list)
            for v in var_list:
                if not isinstance(v, Variable):
                    raise TypeError(f"{where}: var_list must hold Variables, got a "
                                    f"{type(v).__name__}")
        with GradientTape(watch_accessed_variables=var_list is None) as tape:
            if var_list is not None:
                tape.watch(*var_list)
            loss = f()
        if not isinstance(loss, Tensor) or loss.size != 1:
            shape = getattr(loss, "shape", None)
            raise ValueError(f"{where}: f must return a scalar tensor (the loss), got "
                             f"{type(loss).__name__}" + ("" if shape is None else
                                                         f" of shape {list(shape)}"))
        if var_list is None:
            var_list = tape.watched_variables()
            if not var_list:
                raise ValueError(f"{where}: the loss reads no trainable Variable; compute it "
                                 "from the variables inside f")
        grads = tape.gradient(loss, var_list)
        if all(g is None for g in grads):
            raise ValueError(f"{where}: the loss does not depend on any of the "
                             f"{len(var_list)} variables in var_list")
        self.apply_gradients(zip(grads, var_list))
        return loss if return_cost else None

    def step_scalars(self, lr, step):
        """Host-computed per-step values the update uses, by name."""
        return {"lr": lr}

    def update_variable(self, grad, var, slots, s):
        """The variable's new value: decoupled weight decay, then `update` (composed ops).
        Optimizers with a fused kernel override this."""
        value = var.read_value()
        if self.weight_decay:
            value = ops.mul(value, s["decay"])
        return self.update(grad, value, slots, s)

    def update(self, grad, value, slots, scalars):
        raise NotImplementedError

    def _clip(self, grads):
        if self.clipvalue is not None:
            c = float(self.clipvalue)
            return [ops.clip_by_value(g, -c, c) for g in grads]
        if self.clipnorm is not None:
            c = float(self.clipnorm)
            return [ops.mul(g, ops.div(c, ops.maximum(ops.sqrt(ops.sum(ops.square(g))), c)))
                    for g in grads]
        if self.global_clipnorm is not None:
            c = float(self.global_clipnorm)
            total = ops.add_n([ops.sum(ops.square(g)) for g in grads])
            scale = ops.div(c, ops.maximum(ops.sqrt(total), c))
            return [ops.mul(g, scale) for g in grads]
        return grads

    # ------------------------------------------------------------------ config
    def get_config(self):
        lr = self._learning_rate
        return {"name": self.name,
                "learning_rate": (schedules.serialize(lr)
                                  if isinstance(lr, schedules.LearningRateSchedule) else lr),
                "weight_decay": self.weight_decay, "clipnorm": self.clipnorm,
                "clipvalue": self.clipvalue, "global_clipnorm": self.global_clipnorm}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if isinstance(config.get("learning_rate"), dict):
            config["learning_rate"] = schedules.deserialize(config["learning_rate"])
        return cls(**config)


class StepScalars:
    """One step's host-computed scalars by name (lr, lr_t, decay = 1 - lr * weight_decay).
    `s[name]` is a scalar tensor, uploaded on first use (composed updates multiply by it);
    `s.value(name)` is the Python float (fused kernels take it as a uniform, no upload).
    In a traced function a HOST node computes them on every call (`dynamic`): `s[name]` is
    its symbolic output and `s.value(name)` a HostScalar the fused kernels take as well."""

    def __init__(self, values, tensors=None, dynamic=False):
        self._values = values
        self._tensors = tensors or {}
        self.dynamic = dynamic

    def __getitem__(self, name):
        t = self._tensors.get(name)
        if t is None:
            t = self._tensors[name] = ops.scalar(self._values[name])
        return t

    def value(self, name):
        return self._values[name]


def _check_rate(owner, value):
    if isinstance(value, schedules.LearningRateSchedule):
        return value
    if callable(value):
        raise TypeError(f"{owner}: learning_rate must be a number or a LearningRateSchedule, "
                        f"got {value!r}")
    if not isinstance(value, numbers.Real) or not value >= 0:
        raise ValueError(f"{owner}: learning_rate must be a number >= 0, got {value!r}")
    return float(value)
