"""Control flow: If, Loop and Scan run their subgraphs (each a Plan of its own, built by
convert.py) from Python, so a traced call unrolls them. An If whose condition is constant is
inlined at load time instead. A condition or trip count computed on the GPU is read back:
which branch to take, and whether to go on, is a host decision."""
import numpy as np

from .. import ops
from ..tensor import Tensor


class ControlStep:
    """A node with subgraphs. `run(values, run_body)` gets the values in scope and a function
    running a sub-plan: run_body(plan, feeds) -> its outputs."""
    __slots__ = ("node", "inputs", "outputs", "bodies", "attrs")

    def __init__(self, node, bodies, attrs):
        self.node = node
        self.inputs = list(node.input)
        self.outputs = list(node.output)
        self.bodies = bodies  # {attribute name: Plan}
        self.attrs = attrs


def host_scalar(value):
    """A scalar the control flow decides on: read back from the GPU when computed there."""
    array = value.numpy() if isinstance(value, Tensor) else np.asarray(value)
    return array.reshape(-1)[0].item()


def as_tensor(value):
    return value if isinstance(value, Tensor) else ops.convert(
        np.asarray(value, np.float32) if np.asarray(value).dtype.kind == "f" else value, "onnx")


class IfStep(ControlStep):
    def run(self, values, run_body):
        branch = "then_branch" if host_scalar(values[self.inputs[0]]) else "else_branch"
        return run_body(self.bodies[branch], {})


class LoopStep(ControlStep):
    def run(self, values, run_body):
        body = self.bodies["body"]
        names = [p.name for p in body.inputs]
        trips = host_scalar(values[self.inputs[0]]) if self.inputs[0] else None
        go_on = bool(host_scalar(values[self.inputs[1]])) if len(self.inputs) > 1 and \
            self.inputs[1] else True
        carried = [values[n] for n in self.inputs[2:]]
        k = len(carried)
        scans = [[] for _ in range(len(body.outputs) - 1 - k)]
        i = 0
        while go_on and (trips is None or i < trips):
            feeds = dict(zip(names, [np.array(i, np.int64), np.array(go_on)] + carried))
            outs = run_body(body, feeds)
            go_on = bool(host_scalar(outs[0]))
            carried = list(outs[1:1 + k])
            for acc, value in zip(scans, outs[1 + k:]):
                acc.append(as_tensor(value))
            i += 1
        return carried + [ops.stack(acc, 0) if acc else _empty(p)
                          for acc, p in zip(scans, body.outputs[1 + k:])]


def _empty(port):
    shape = [0] + [d if isinstance(d, int) else 0 for d in (port.shape or [])]
    return ops.zeros(shape)


class ScanStep(ControlStep):
    def run(self, values, run_body):
        body = self.bodies["body"]
        n_scan = self.attrs["num_scan_inputs"]
        inputs = [values[n] for n in self.inputs]
        states, xs = inputs[:len(inputs) - n_scan], [as_tensor(x) for x in inputs[-n_scan:]]
        in_axes = list(self.attrs.get("scan_input_axes") or [0] * n_scan)
        in_dirs = list(self.attrs.get("scan_input_directions") or [0] * n_scan)
        axes = [a + x.rank if a < 0 else a for a, x in zip(in_axes, xs)]
        length = xs[0].shape[axes[0]]
        names = [p.name for p in body.inputs]
        k = len(states)
        scans = [[] for _ in range(len(body.outputs) - k)]
        for t in range(length):
            slices = [ops.getitem(x, _at(x.rank, a, length - 1 - t if d else t))
                      for x, a, d in zip(xs, axes, in_dirs)]
            outs = run_body(body, dict(zip(names, states + slices)))
            states = list(outs[:k])
            for acc, value in zip(scans, outs[k:]):
                acc.append(as_tensor(value))
        out_axes = list(self.attrs.get("scan_output_axes") or [0] * len(scans))
        out_dirs = list(self.attrs.get("scan_output_directions") or [0] * len(scans))
        stacked = []
        for acc, a, d in zip(scans, out_axes, out_dirs):
            acc = acc[::-1] if d else acc
            rank = acc[0].rank + 1
            stacked.append(ops.stack(acc, a + rank if a < 0 else a))
        return states + stacked


def _at(rank, axis, index):
    """The getitem key of one position along an axis (the axis dropped)."""
    key = [slice(None)] * rank
    key[axis] = index
    return tuple(key)


class SequenceMapStep(ControlStep):
    """The body once per position of the input sequences (tensor inputs given whole each
    time); each body output collected into a sequence."""

    def run(self, values, run_body):
        body = self.bodies["body"]
        args = [values[n] for n in self.inputs if n]
        length = len(args[0])
        outs = [[] for _ in body.outputs]
        for i in range(length):
            feeds = {p.name: (a[i] if isinstance(a, list) else a)
                     for p, a in zip(body.inputs, args)}
            for acc, value in zip(outs, run_body(body, feeds)):
                acc.append(as_tensor(value))
        return outs


STEPS = {"If": IfStep, "Loop": LoopStep, "Scan": ScanStep, "SequenceMap": SequenceMapStep}
