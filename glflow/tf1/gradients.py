"""tf.gradients in a TF1 graph: one operation whose outputs are d(sum of ys)/d(xs).

Which xs the ys depend on is decided while the graph is built, from the graph's edges (TF's
rule): an x no y depends on, or an integer one, gets None instead of a tensor. When a run
needs the gradients, its segment is traced under one GradientTape watching the xs (runs.py),
so the backward walk becomes nodes of the same graph as the forward pass; the gradient
operation replays `tape.gradient`. xs may be graph tensors, graph Variables, or eager
Variables the graph captured (a Variable made outside any graph).
"""
from .. import ops
from ..autodiff import custom_grad
from ..runtime import dtypes
from ..runtime.dispatch import dispatchable
from ..tensor import Tensor
from .graph import GRAPH, GraphTensor, Operation, building_graph, get_default_graph
from .variables import as_graph_tensor


class GradientOp(Operation):
    def __init__(self, graph, ys, grad_ys, sources, name):
        inputs = list(ys) + [g for g in grad_ys if g is not None]
        variables = [s for s in sources if getattr(s, "_tf1_variable", False)]
        specs = [(s.shape, dtypes.FLOAT32) for s in sources]
        super().__init__(graph, "Gradients", name, inputs, variables, specs, GRAPH)
        self.ys = list(ys)
        self.grad_ys = list(grad_ys)
        self.gradient_sources = list(sources)

    def replay(self, ctx):
        xs = [ctx.value(s) for s in self.gradient_sources]
        total = [None] * len(xs)
        for y, dy in zip(self.ys, self.grad_ys):
            seed = None if dy is None else ctx.value(dy)
            for i, g in enumerate(ctx.tape.gradient(ctx.value(y), xs, seed)):
                if g is not None:
                    total[i] = g if total[i] is None else ops.add(total[i], g)
        return [ops.zeros_like(x) if g is None else g for g, x in zip(total, xs)]


def gradients(ys, xs, grad_ys=None, name="gradients", colocate_gradients_with_ops=False,
              gate_gradients=False, aggregation_method=None, stop_gradients=None):
    """d(sum of ys)/d(x) for each x of xs, as graph tensors; None where no y depends on x."""
    single = not isinstance(xs, (list, tuple))
    ys = list(ys) if isinstance(ys, (list, tuple)) else [ys]
    xs = [xs] if single else list(xs)
    if stop_gradients:
        raise NotImplementedError("gradients: stop_gradients is not supported; use "
                                  "gf.stop_gradient on the tensors instead")
    graph = _graph_of(ys + xs)
    ys = [as_graph_tensor(graph, y, None, "gradients") for y in ys]
    if grad_ys is None:
        grad_ys = [None] * len(ys)
    else:
        grad_ys = list(grad_ys) if isinstance(grad_ys, (list, tuple)) else [grad_ys]
        if len(grad_ys) != len(ys):
            raise ValueError(f"gradients: {len(grad_ys)} grad_ys for {len(ys)} ys")
        grad_ys = [None if g is None else as_graph_tensor(graph, g, dtypes.FLOAT32, "grad_ys")
                   for g in grad_ys]
    for x in xs:
        if not (isinstance(x, (GraphTensor, Tensor)) or getattr(x, "_tf1_variable", False)):
            raise TypeError(f"gradients: xs must be tensors or Variables, got "
                            f"{type(x).__name__}")
    reached = _reached(ys)
    sources = [x for x in xs if _differentiable(x) and _key(x) in reached]
    if not sources:
        return [None] * len(xs) if not single else [None]
    op = GradientOp(graph, ys, grad_ys, list(dict.fromkeys(sources)), name)
    found = dict(zip(op.gradient_sources, op.outputs))
    return [found.get(x) for x in xs]


def _graph_of(items):
    for x in items:
        if isinstance(x, GraphTensor) or getattr(x, "_tf1_variable", False):
            return x.graph
    return building_graph() or get_default_graph()


def _differentiable(x):
    return x.dtype == dtypes.FLOAT32


def _key(x):
    return id(x)


def _reached(ys):
    """ids of every float tensor and Variable the ys depend on through float edges: an
    integer or bool tensor (argmax, a comparison) carries no gradient, as in TensorFlow."""
    reached, seen = {id(y) for y in ys}, set()
    stack = [y.op for y in ys if _differentiable(y)]
    while stack:
        op = stack.pop()
        if op in seen:
            continue
        seen.add(op)
        for t in op.inputs:
            if _differentiable(t):
                reached.add(id(t))
                stack.append(t.op)
        reached.update(id(v) for v in list(op.variables) + list(op.captured)
                       if _differentiable(v))
    return reached


@dispatchable
def stop_gradient(input, name=None):  # noqa: A002 - TensorFlow's name
    """input's value, through which no gradient flows."""
    return _blocked(input)


@custom_grad
def _blocked(x):
    return ops.identity(x), lambda dy: [None]


__all__ = ["gradients", "stop_gradient", "GradientOp"]
