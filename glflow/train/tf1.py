"""TensorFlow 1's optimizers (`tf.train.GradientDescentOptimizer` and friends), with TF1's update
rules, slot names and defaults, for TF1 graphs and eagerly.

In a TF1 graph, `minimize(loss)` = `compute_gradients` (one gradient operation over the
trainable Variables the loss reads: the graph's TRAINABLE_VARIABLES, and eager Variables the
graph captured) then `apply_gradients`, which makes the slot Variables (zeros, or TF's own
initial values: RMSProp's ones, Adagrad's 0.1) in the graph and returns one train operation.
Running it computes every update from the values read at that point of the run and writes
Variables and slots together (graph mode's Variable updates), then advances `global_step`.
The learning rate and the other hyperparameters may be numbers or graph tensors (a
placeholder, a decayed rate).

Eagerly, `minimize(loss_fn, var_list)` takes a function returning the loss (TF2's
tf.compat.v1 optimizers do the same) and updates at once.

The rules are TensorFlow's kernels (training_ops), in float32:
    GradientDescent  var -= lr * g
    Momentum         a = momentum * a + g; var -= lr * a  (nesterov: lr * (g + momentum * a))
    Adam             m += (g - m)(1 - b1); v += (g^2 - v)(1 - b2);
                     var -= lr sqrt(1 - b2^t) / (1 - b1^t) * m / (eps + sqrt(v))
                     (b1^t, b2^t: the Variables beta1_power, beta2_power)
    RMSProp          ms += (g^2 - ms)(1 - decay); mom = momentum mom + lr g / sqrt(ms + eps);
                     var -= mom  (centered: mg += (g - mg)(1 - decay), ms - mg^2 under the root)
    Adagrad          acc += g^2; var -= lr g / sqrt(acc)
"""
import numbers

from .. import ops
from ..autodiff import GradientTape, no_record
from ..runtime import dtypes
from ..runtime.dispatch import dispatchable
from ..tensor import Tensor
from ..tf1.gradients import gradients
from ..tf1.graph import (GRAPH, GraphKeys, GraphTensor, Operation, building_graph,
                         get_default_graph)
from ..tf1.variables import Variable as GraphVariable


def _in_graph(x):
    return isinstance(x, GraphTensor) or getattr(x, "_tf1_variable", False)


class Optimizer:
    """The TF1 optimizer protocol; subclasses give their slots and their update rule."""
    SLOTS = ()          # (slot name, initial value: a number)

    def __init__(self, use_locking=False, name="Optimizer"):
        self._name = name
        self._hyper = {}
        self._slots = {}         # slot name -> {variable: slot Variable}
        self._extras = {}        # graph (or None: eager) -> {name: Variable}

    def get_name(self):
        return self._name

    # ------------------------------------------------------------------ the TF1 API
    def minimize(self, loss, global_step=None, var_list=None, gate_gradients=1,
                 aggregation_method=None, colocate_gradients_with_ops=False, name=None,
                 grad_loss=None):
        """compute_gradients then apply_gradients; returns the train operation."""
        grads_and_vars = self.compute_gradients(loss, var_list, grad_loss=grad_loss)
        if not any(g is not None for g, _ in grads_and_vars):
            names = [getattr(v, "name", "?") for _, v in grads_and_vars]
            raise ValueError(f"No gradients provided for any variable, check your graph for "
                             f"ops that do not support gradients, between variables {names} "
                             f"and loss {loss!r}.")
        return self.apply_gradients(grads_and_vars, global_step=global_step, name=name)

    def compute_gradients(self, loss, var_list=None, gate_gradients=1,
                          aggregation_method=None, colocate_gradients_with_ops=False,
                          grad_loss=None):
        """[(gradient or None, variable)] for the variables of var_list (default: the
        trainable Variables the loss reads)."""
        if callable(loss) and not _in_graph(loss):
            return self._eager_gradients(loss, var_list, grad_loss)
        if not _in_graph(loss):
            raise TypeError(f"{type(self).__name__}.compute_gradients: loss must be a graph "
                            "tensor, or (eagerly) a function returning the loss")
        if var_list is None:
            var_list = _trainable_variables(loss)
        var_list = list(var_list)
        if not var_list:
            raise ValueError("No variables to optimize.")
        grads = gradients(loss, var_list, grad_ys=grad_loss)
        return list(zip(grads, var_list))

    def apply_gradients(self, grads_and_vars, global_step=None, name=None):
        """The operation (graph) or the step now (eager) updating each variable."""
        pairs = [(g, v) for g, v in grads_and_vars if g is not None]
        if not pairs:
            raise ValueError("No gradients provided for any variable: "
                             f"{[getattr(v, 'name', '?') for _, v in grads_and_vars]}")
        for g, v in pairs:
            gs, vs = list(getattr(g, "shape", [])), list(getattr(v, "shape", []))
            if len(gs) != len(vs) or any(a is not None and b is not None and a != b
                                         for a, b in zip(gs, vs)):
                raise ValueError(f"{type(self).__name__}.apply_gradients: gradient of shape "
                                 f"{gs} for variable {getattr(v, 'name', '?')} of shape {vs}")
        if any(_in_graph(g) or _in_graph(v) for g, v in pairs) or _in_graph(global_step):
            return self._graph_apply(pairs, global_step, name)
        self._eager_apply(pairs, global_step)
        return None

    def get_slot(self, var, name):
        return self._slots.get(name, {}).get(var)

    def get_slot_names(self):
        return [name for name, _ in self.SLOTS]

    def variables(self):
        slots = [s for table in self._slots.values() for s in table.values()]
        return slots + [v for extras in self._extras.values() for v in extras.values()]

    # ------------------------------------------------------------------ what subclasses give
    def _extra_variables(self):
        """{name: initial number}: variables the optimizer keeps besides slots (Adam's)."""
        return {}

    def _update(self, grad, var, slots, hyper, extras):
        """{"var" or slot name: new value} from the values of this step."""
        raise NotImplementedError

    def _finish(self, hyper, extras):
        """{extra name: new value} after every variable's update."""
        return {}

    # ------------------------------------------------------------------ graph mode
    def _graph_apply(self, pairs, global_step, name):
        graph = next(x.graph for pair in pairs for x in pair if _in_graph(x)) \
            if any(_in_graph(x) for pair in pairs for x in pair) else global_step.graph
        with graph.as_default(), graph.control_dependencies(None):
            slots = [{slot: self._slot(v, slot, value, graph) for slot, value in self.SLOTS}
                     for _, v in pairs]
            extras = self._extras.get(graph)
            if extras is None:
                extras = self._extras[graph] = {
                    k: GraphVariable(ops.fill([], float(value)), trainable=False,
                                     name=f"{self._name}/{k}")
                    for k, value in self._extra_variables().items()}
        return ApplyOp(graph, self, pairs, slots, extras, global_step,
                       name or self._name)

    def _slot(self, var, slot, value, graph):
        table = self._slots.setdefault(slot, {})
        made = table.get(var)
        if made is None:
            base = getattr(var, "op", None)
            base = base.name if base is not None else getattr(var, "name", "var")
            made = table[var] = GraphVariable(ops.fill(list(var.shape), float(value)),
                                              trainable=False, name=f"{base}/{self._name}")
        return made

    # ------------------------------------------------------------------ eagerly
    def _eager_gradients(self, loss_fn, var_list, grad_loss):
        with GradientTape(watch_accessed_variables=var_list is None) as tape:
            if var_list is not None:
                tape.watch(*var_list)
            loss = loss_fn()
        if var_list is None:
            var_list = tape.variables_used()
        var_list = list(var_list)
        if not var_list:
            raise ValueError("No variables to optimize.")
        return list(zip(tape.gradient(loss, var_list, grad_loss), var_list))

    def _eager_apply(self, pairs, global_step):
        extras = self._extras.get(None)
        if extras is None:
            extras = self._extras[None] = {k: ops.variable(ops.fill([], float(v)),
                                                           trainable=False)
                                           for k, v in self._extra_variables().items()}
        hyper = {k: v for k, v in self._hyper.items()}
        with no_record():
            updates = []
            for g, v in pairs:
                slots = {}
                for slot, value in self.SLOTS:
                    table = self._slots.setdefault(slot, {})
                    if v not in table:
                        table[v] = ops.variable(ops.fill(v.shape, float(value)),
                                                trainable=False)
                    slots[slot] = table[v]
                updates.append((v, slots, self._update(g, v, slots, hyper, extras)))
            for v, slots, new in updates:
                for key, value in new.items():
                    (v if key == "var" else slots[key]).assign(value)
            for key, value in self._finish(hyper, extras).items():
                extras[key].assign(value)
            if global_step is not None:
                global_step.assign_add(1)


class ApplyOp(Operation):
    """One optimizer step on every (gradient, variable) pair: the train operation."""

    def __init__(self, graph, optimizer, pairs, slots, extras, global_step, name):
        hyper_inputs = [h for h in optimizer._hyper.values() if isinstance(h, GraphTensor)]
        grads = [g for g, _ in pairs]
        for g in grads:
            if not isinstance(g, GraphTensor):
                raise TypeError(f"{type(optimizer).__name__}.apply_gradients: in a graph the "
                                "gradients must be graph tensors")
        variables = [v for _, v in pairs if _in_graph(v)]
        variables += [s for table in slots for s in table.values()] + list(extras.values())
        variables += [h for h in optimizer._hyper.values() if _in_graph(h)
                      and not isinstance(h, GraphTensor)]
        if global_step is not None:
            variables.append(global_step)
        super().__init__(graph, type(optimizer).__name__, name, grads + hyper_inputs,
                         variables, [], GRAPH)
        self.optimizer = optimizer
        self.pairs = pairs
        self.slots = slots
        self.extras = extras
        self.global_step = global_step
        self.captured = [v for _, v in pairs if not _in_graph(v)]

    def replay(self, ctx):
        opt = self.optimizer
        hyper = {k: ctx.value(h) if _in_graph(h) else h for k, h in opt._hyper.items()}
        extras = {k: ctx.variable(v) for k, v in self.extras.items()}
        with no_record():
            updates = []
            for (g, v), table in zip(self.pairs, self.slots):
                var = ctx.variable(v)
                slots = {k: ctx.variable(s) for k, s in table.items()}
                new = opt._update(ctx.value(g), var, slots, hyper, extras)
                updates.append((var, slots, new))
            for var, slots, new in updates:
                for key, value in new.items():
                    (var if key == "var" else slots[key]).assign(value)
            for key, value in opt._finish(hyper, extras).items():
                extras[key].assign(value)
            if self.global_step is not None:
                step = ctx.variable(self.global_step)
                step.assign(ops.add(step, ops.cast(1, step.dtype)))
        return []


class GradientDescentOptimizer(Optimizer):
    def __init__(self, learning_rate, use_locking=False, name="GradientDescent"):
        super().__init__(use_locking, name)
        self._hyper = {"lr": learning_rate}

    def _update(self, grad, var, slots, hyper, extras):
        return {"var": ops.sub(var, ops.mul(hyper["lr"], grad))}


class MomentumOptimizer(Optimizer):
    SLOTS = (("momentum", 0.0),)

    def __init__(self, learning_rate, momentum, use_locking=False, name="Momentum",
                 use_nesterov=False):
        super().__init__(use_locking, name)
        self._hyper = {"lr": learning_rate, "momentum": momentum}
        self._nesterov = bool(use_nesterov)

    def _update(self, grad, var, slots, hyper, extras):
        lr, momentum = hyper["lr"], hyper["momentum"]
        accum = ops.add(ops.mul(slots["momentum"], momentum), grad)
        if self._nesterov:
            step = ops.add(ops.mul(grad, lr), ops.mul(ops.mul(accum, momentum), lr))
        else:
            step = ops.mul(accum, lr)
        return {"momentum": accum, "var": ops.sub(var, step)}


class AdamOptimizer(Optimizer):
    SLOTS = (("m", 0.0), ("v", 0.0))

    def __init__(self, learning_rate=0.001, beta1=0.9, beta2=0.999, epsilon=1e-08,
                 use_locking=False, name="Adam"):
        super().__init__(use_locking, name)
        self._hyper = {"lr": learning_rate, "beta1": beta1, "beta2": beta2, "epsilon": epsilon}

    def _extra_variables(self):
        return {"beta1_power": self._hyper["beta1"], "beta2_power": self._hyper["beta2"]}

    def _update(self, grad, var, slots, hyper, extras):
        b1, b2, eps = hyper["beta1"], hyper["beta2"], hyper["epsilon"]
        lr_t = ops.div(ops.mul(hyper["lr"], ops.sqrt(ops.sub(1.0, extras["beta2_power"]))),
                       ops.sub(1.0, extras["beta1_power"]))
        m = ops.add(slots["m"], ops.mul(ops.sub(grad, slots["m"]), ops.sub(1.0, b1)))
        v = ops.add(slots["v"], ops.mul(ops.sub(ops.square(grad), slots["v"]),
                                        ops.sub(1.0, b2)))
        step = ops.div(ops.mul(lr_t, m), ops.add(ops.sqrt(v), eps))
        return {"m": m, "v": v, "var": ops.sub(var, step)}

    def _finish(self, hyper, extras):
        return {"beta1_power": ops.mul(extras["beta1_power"], hyper["beta1"]),
                "beta2_power": ops.mul(extras["beta2_power"], hyper["beta2"])}


class RMSPropOptimizer(Optimizer):
    def __init__(self, learning_rate, decay=0.9, momentum=0.0, epsilon=1e-10,
                 use_locking=False, centered=False, name="RMSProp"):
        super().__init__(use_locking, name)
        self._hyper = {"lr": learning_rate, "decay": decay, "momentum": momentum,
                       "epsilon": epsilon}
        self._centered = bool(centered)
        self.SLOTS = (("rms", 1.0), ("momentum", 0.0)) + ((("mg", 0.0),) if centered else ())

    def _update(self, grad, var, slots, hyper, extras):
        decay, eps = hyper["decay"], hyper["epsilon"]
        keep = ops.sub(1.0, decay)
        ms = ops.add(slots["rms"], ops.mul(ops.sub(ops.square(grad), slots["rms"]), keep))
        new = {"rms": ms}
        denom = ms
        if self._centered:
            mg = ops.add(slots["mg"], ops.mul(ops.sub(grad, slots["mg"]), keep))
            new["mg"] = mg
            denom = ops.sub(ms, ops.square(mg))
        mom = ops.add(ops.mul(slots["momentum"], hyper["momentum"]),
                      ops.div(ops.mul(grad, hyper["lr"]), ops.sqrt(ops.add(denom, eps))))
        new["momentum"] = mom
        new["var"] = ops.sub(var, mom)
        return new


class AdagradOptimizer(Optimizer):
    def __init__(self, learning_rate, initial_accumulator_value=0.1, use_locking=False,
                 name="Adagrad"):
        if not initial_accumulator_value > 0:
            raise ValueError(f"AdagradOptimizer: initial_accumulator_value must be positive, "
                             f"got {initial_accumulator_value!r}")
        super().__init__(use_locking, name)
        self._hyper = {"lr": learning_rate}
        self.SLOTS = (("accumulator", float(initial_accumulator_value)),)

    def _update(self, grad, var, slots, hyper, extras):
        acc = ops.add(slots["accumulator"], ops.square(grad))
        return {"accumulator": acc,
                "var": ops.sub(var, ops.mul(ops.mul(grad, hyper["lr"]), ops.rsqrt(acc)))}


# --------------------------------------------------------------------------- global step

def get_global_step(graph=None):
    """The graph's global step Variable, or None."""
    graph = graph or building_graph() or get_default_graph()
    steps = graph.get_collection(GraphKeys.GLOBAL_STEP)
    return steps[0] if steps else None


def get_or_create_global_step(graph=None):
    """The global step (an int32 Variable counting train steps), made on first use."""
    graph = graph or building_graph() or get_default_graph()
    step = get_global_step(graph)
    if step is None:
        with graph.as_default(), graph.control_dependencies(None):
            step = GraphVariable(0, trainable=False, name="global_step",
                                 collections=[GraphKeys.GLOBAL_VARIABLES,
                                              GraphKeys.GLOBAL_STEP])
    return step


create_global_step = get_or_create_global_step


@dispatchable
def exponential_decay(learning_rate, global_step, decay_steps, decay_rate, staircase=False,
                      name=None):
    """learning_rate * decay_rate ^ (global_step / decay_steps) (floored when staircase)."""
    if not isinstance(decay_steps, numbers.Number) or decay_steps <= 0:
        raise ValueError(f"exponential_decay: decay_steps must be a positive number, got "
                         f"{decay_steps!r}")
    step = ops.cast(global_step, dtypes.FLOAT32)
    p = ops.div(step, float(decay_steps))
    if staircase:
        p = ops.floor(p)
    return ops.mul(learning_rate, ops.pow(float(decay_rate), p))


def _trainable_variables(loss):
    """The graph's trainable Variables and the trainable eager Variables the loss reads."""
    graph = loss.graph
    found = list(graph.get_collection(GraphKeys.TRAINABLE_VARIABLES))
    seen, stack = set(), [loss.op]
    eager = []
    while stack:
        op = stack.pop()
        if op in seen:
            continue
        seen.add(op)
        stack.extend(t.op for t in op.inputs)
        eager.extend(v for v in op.captured if isinstance(v, Tensor) and v.trainable)
    found.extend(dict.fromkeys(eager))
    return found


__all__ = ["Optimizer", "GradientDescentOptimizer", "MomentumOptimizer", "AdamOptimizer",
           "RMSPropOptimizer", "AdagradOptimizer", "get_global_step",
           "get_or_create_global_step", "create_global_step", "exponential_decay"]
