"""The graph IR: values, nodes and graphs, as gf.function traces them and the passes rewrite them.

A `Graph` is a list of `Node`s in a topological order (the order they were traced in: every
node comes after the nodes whose values it reads), its `inputs` (INPUT nodes, fed at run time),
its `outputs` (Values) and its `updates` (Variable writes, in program order). A `Value` is one
output of one node: a shape and a dtype. Node kinds:

    INPUT     a graph input, fed at run time. `attrs["spec"]` is the TensorSpec it accepts
              (None dims allowed); its Value has the concrete shape this graph was traced for
    CONST     a captured concrete Tensor (`node.tensor`): a Python scalar, a closed-over tensor
    VARIABLE  a captured Variable (`node.tensor`), read by reference when the graph runs
    CALL      one primitive run: `node.prim` (glflow/ops/_primitive.py), `node.attrs`; the
              kernel is `prim.kernel`. An alias primitive (reshape) makes no data: its Value
              shares its input's storage
    HOST      a Python function on numpy values (`node.fn(*arrays) -> [arrays]`): index checks
              and scatter tables, random draws, an optimizer's per-step scalars. `stateful`:
              another run may give other values (never folded or merged); `effect`: it must
              run even when nothing reads its outputs

A CALL's attr may be a `HostRef` to a one-element HOST output: the kernel gets that value as
a float attr (a uniform) on every run, read on the host where the HOST node computed it
(a traced optimizer's learning rate into its fused update kernel).

Shapes are concrete in a traced graph: kernels choose programs and uniforms from sizes, and ops
compute attrs (matmul's m, k, n) from them, so a function is traced once per input shape; an
INPUT's spec says which shapes a caller may feed (TensorSpec([None, 784])).

Passes (glflow/graph/passes/) rewrite a graph in place through `replace_uses`, `remove` and
`insert_before`; `Graph.copy()` keeps the traced graph for `summary()` and `to_dot()`.
"""
import itertools
from math import prod

from ..runtime import dtypes
from . import dot
from .expression import expression_text

INPUT = "input"
CONST = "const"
VARIABLE = "variable"
CALL = "call"
HOST = "host"
KINDS = (INPUT, CONST, VARIABLE, CALL, HOST)

_ids = itertools.count(1)


class HostRef:
    """An attr whose value a HOST node computes on every run (see the module docstring)."""
    __slots__ = ("value",)

    def __init__(self, value):
        self.value = value

    def __repr__(self):
        return f"HostRef({self.value!r})"


def host_refs(node):
    """(attr name, HostRef) pairs of a node's attrs."""
    return [(k, v) for k, v in node.attrs.items() if isinstance(v, HostRef)]


class TensorSpec:
    """The shape and dtype a graph input accepts; None dims accept any size (TF's TensorSpec)."""
    __slots__ = ("shape", "dtype", "name")

    def __init__(self, shape, dtype="float32", name=None):
        if shape is not None:
            shape = tuple(None if d is None else int(d) for d in shape)
            if any(d is not None and d < 0 for d in shape):
                raise ValueError(f"TensorSpec: negative dimension in shape {list(shape)}")
        self.shape = shape          # None: any rank
        self.dtype = dtypes.normalize(dtype, "TensorSpec")
        self.name = name

    def accepts(self, shape, dtype):
        """Whether a tensor of this shape and dtype may be fed."""
        if dtype != self.dtype:
            return False
        if self.shape is None:
            return True
        return len(shape) == len(self.shape) and all(
            want is None or want == got for want, got in zip(self.shape, shape))

    def __eq__(self, other):
        return (isinstance(other, TensorSpec) and self.shape == other.shape
                and self.dtype == other.dtype)

    def __hash__(self):
        return hash((self.shape, self.dtype))

    def __repr__(self):
        shape = "None" if self.shape is None else list(self.shape)
        name = f", name={self.name!r}" if self.name else ""
        return f"TensorSpec({shape}, {self.dtype!r}{name})"


class Value:
    """One output of a node: what flows along an edge."""
    __slots__ = ("shape", "dtype", "node", "index", "id")

    def __init__(self, shape, dtype, node=None, index=0):
        self.shape = tuple(shape)
        self.dtype = dtype
        self.node = node
        self.index = index
        self.id = next(_ids)

    @property
    def size(self):
        return prod(self.shape)

    def __repr__(self):
        return f"%{self.id}"

    def describe(self):
        return f"%{self.id}: {self.dtype}{list(self.shape)}"


class Node:
    """One operation of the graph (see the module docstring for the kinds)."""
    __slots__ = ("kind", "prim", "inputs", "attrs", "outputs", "tensor", "fn", "name",
                 "stateful", "effect", "id")

    def __init__(self, kind, inputs=(), out_specs=(), prim=None, attrs=None, tensor=None,
                 fn=None, name=None, stateful=False, effect=False):
        if kind not in KINDS:
            raise ValueError(f"graph: unknown node kind {kind!r}")
        self.kind = kind
        self.prim = prim
        self.inputs = list(inputs)
        self.attrs = attrs if attrs is not None else {}
        self.outputs = [Value(shape, dtype, self, i) for i, (shape, dtype) in enumerate(out_specs)]
        self.tensor = tensor
        self.fn = fn
        self.name = name or (prim.name if prim is not None else kind)
        self.stateful = stateful
        self.effect = effect
        self.id = next(_ids)

    @property
    def output(self):
        return self.outputs[0]

    @property
    def kernel(self):
        """The kernel a CALL runs (None for the other kinds and for aliases)."""
        if self.kind != CALL or self.prim.alias:
            return None
        return self.prim.kernel

    @property
    def is_alias(self):
        return self.kind == CALL and self.prim.alias

    def kernel_attrs(self):
        """attrs without the ones kept for the gradient only (Primitive.hidden)."""
        hidden = getattr(self.prim, "hidden", ())
        if not hidden:
            return self.attrs
        return {k: v for k, v in self.attrs.items() if k not in hidden}

    def __repr__(self):
        return f"Node({self.name}: {self.inputs} -> {self.outputs})"

    def describe(self):
        """One line: outputs = name(inputs) {shown attrs}."""
        outs = ", ".join(v.describe() for v in self.outputs)
        ins = ", ".join(repr(v) for v in self.inputs)
        extra = ""
        if self.kind == CALL and self.prim.kernel == "fused":
            extra = " " + expression_text(self.attrs["expr"], self.attrs.get("params", ()))
        elif self.kind == CALL and self.prim.name == "fused_matmul":
            extra = (f" [bias={len(self.inputs) == 3}, activation="
                     f"{self.attrs['activation']}]")
        elif self.kind in (CONST, VARIABLE):
            extra = f" {getattr(self.tensor, 'name', '')}" if self.kind == VARIABLE else ""
        elif self.kind == HOST:
            extra = " (stateful)" if self.stateful else ""
        return f"{outs} = {self.name}({ins}){extra}"


class Graph:
    """Nodes in topological order, plus the inputs fed, the outputs returned and the Variable
    writes made when the graph runs."""

    def __init__(self, name="graph"):
        self.name = name
        self.nodes = []
        self.inputs = []       # INPUT nodes, in feed order
        self.outputs = []      # Values returned by a run
        self.updates = []      # (Variable, Value): assignments, in program order
        self.owner = None      # the ConcreteFunction that compiled it, if any

    # ------------------------------------------------------------------ building
    def add(self, node):
        self.nodes.append(node)
        if node.kind == INPUT:
            self.inputs.append(node)
        return node

    def insert_before(self, anchor, node):
        self.nodes.insert(self.nodes.index(anchor), node)
        return node

    def remove(self, node):
        self.nodes.remove(node)

    def replace_uses(self, old, new):
        """Every reader of Value `old` (nodes, outputs, updates) reads `new` instead."""
        for node in self.nodes:
            if old in node.inputs:
                node.inputs = [new if v is old else v for v in node.inputs]
            for _, ref in host_refs(node):
                if ref.value is old:
                    ref.value = new
        self.outputs = [new if v is old else v for v in self.outputs]
        self.updates = [(var, new if v is old else v) for var, v in self.updates]

    # ------------------------------------------------------------------ queries
    def consumers(self):
        """{Value: [nodes reading it]} (a node reading a value twice is listed twice)."""
        users = {}
        for node in self.nodes:
            for v in node.inputs:
                users.setdefault(v, []).append(node)
        return users

    def roots(self):
        """Values something outside the node list needs: outputs and variable writes."""
        return list(self.outputs) + [v for _, v in self.updates]

    def kernel_nodes(self):
        """CALL nodes that launch a kernel (aliases launch none)."""
        return [n for n in self.nodes if n.kind == CALL and not n.prim.alias]

    def count(self, kind=None):
        return sum(1 for n in self.nodes if kind is None or n.kind == kind)

    def check(self):
        """Every input of every node is made by an earlier node (raises AssertionError)."""
        made = set()
        for node in self.nodes:
            for v in node.inputs + [ref.value for _, ref in host_refs(node)]:
                if v not in made:
                    raise AssertionError(f"graph {self.name}: {node.describe()} reads {v!r} "
                                         "before any node makes it")
            made.update(node.outputs)
        for v in self.roots():
            if v not in made:
                raise AssertionError(f"graph {self.name}: output {v!r} is made by no node")

    # ------------------------------------------------------------------ copies and text
    def copy(self):
        """A structural copy (new nodes and values; tensors, prims and fns shared)."""
        new = Graph(self.name)
        remap = {}
        for node in self.nodes:
            attrs = node.attrs
            if host_refs(node):
                attrs = {k: HostRef(remap[v.value]) if isinstance(v, HostRef) else v
                         for k, v in attrs.items()}
            clone = Node(node.kind, [remap[v] for v in node.inputs],
                         [(v.shape, v.dtype) for v in node.outputs], prim=node.prim,
                         attrs=attrs, tensor=node.tensor, fn=node.fn, name=node.name,
                         stateful=node.stateful, effect=node.effect)
            for old, v in zip(node.outputs, clone.outputs):
                remap[old] = v
            new.add(clone)
        new.outputs = [remap[v] for v in self.outputs]
        new.updates = [(var, remap[v]) for var, v in self.updates]
        return new

    def listing(self):
        """The nodes, one per line, then the outputs and variable writes."""
        lines = [f"  {node.describe()}" for node in self.nodes]
        lines.append(f"  return {', '.join(repr(v) for v in self.outputs) or 'nothing'}")
        for var, v in self.updates:
            lines.append(f"  {getattr(var, 'name', 'variable')} <- {v!r}")
        return "\n".join(lines)

    def summary(self, file=None):
        """Print (and return) what this graph is: a compiled function's graph tells its passes,
        kernels and generated GLSL (function.ConcreteFunction.summary), others list nodes."""
        if self.owner is not None:
            return self.owner.summary(file)
        text = f"graph {self.name!r}: {len(self.nodes)} nodes\n{self.listing()}"
        print(text, file=file)
        return text

    def to_dot(self):
        """The graph as Graphviz DOT text."""
        return dot.to_dot(self)

    def to_png(self, path):
        """Write a PNG (or, without Graphviz, DOT text at path's .dot twin); returns the path."""
        return dot.to_png(self, path)

    def __repr__(self):
        return (f"Graph({self.name!r}: {len(self.nodes)} nodes, "
                f"{len(self.kernel_nodes())} kernels)")
