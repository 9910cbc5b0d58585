"""Elementwise fusion: a connected group of elementwise nodes becomes one `fused` kernel that
writes each of its outputs to a render target of its own.

An elementwise node (its kernel's registry pattern is ELEMENTWISE: arithmetic, math,
activations, comparisons, casts, fill, broadcast_to, and the views transposes and slices read
through) is placed in reverse graph order, after every node that reads it:
- read only inside one group: it joins that group and is computed there, never stored;
- read by several groups, or read by the others and also returned, assigned or read by
  another kernel: it joins all those groups, merged into one, whose outputs it is one of
  when something outside reads it. A group's outputs share one shape (a pass draws one
  grid), and a merge must leave no path from the group back into it through another kernel
  (`y * sum(y)` cannot compute y and the product in one pass);
- otherwise, when it is cheap (CHEAP, below) and read only by groups and reductions that could
  take it as a prologue (fuse_prologue.py), it is duplicated: each of them computes it for
  itself, as long as each keeps within DUPLICATE_BUDGET duplicated ops;
- otherwise it becomes an output of one of its readers' groups when it can (the others read
  the texture), else a kernel of its own.
A value read twice inside a group is one op computed once (a GLSL temporary). Each group of two
or more nodes becomes one CALL of the `fused` kernel (fused_program.py builds its program):
the GL backend composes the kernels' GLSL functions into one generated shader that reads each
distinct input once per texel and writes every output (glflow/backends/gl/elementwise.py),
the numpy backend evaluates the same program.

Inputs broadcast: every leaf is read broadcast to the group's output shape, and elementwise
kernels commute with broadcasting, so nodes of smaller shapes may join too. A leaf read
through a view (a transpose) keeps the view, widened to the output shape by zero strides.
Scalar constants become float uniforms (the `fill` kernel's function), not textures to read.

Bounds: MAX_INPUTS leaves (GL samplers; GL guarantees 16 units; a value read through several
views is a sampler per view, so leaves count as (value, view) pairs), MAX_OUTPUTS outputs (render
targets: GLSL ES 3.00 / WebGL2 guarantee 4, desktop GL 8) and MAX_OPS ops (the shader grows
with them, and so does its compile time: benchmarks/README.md, "Reading `graph`":
unrolled_steps).
"""
import heapq

from ...ops.arithmetic import FUSED
from ...runtime import registry
from .. import ir
from . import fused_program
from .simplify import constant_value

MAX_INPUTS = 12
MAX_OUTPUTS = 4
MAX_OPS = 512
# Recomputing these in each reader costs less than a pass that stores the value and reads it
# back, for chains of up to 16 of them; a chain of two transcendental kernels costs more
# (benchmarks/README.md, "Reading `graph`": duplicate_or_store). Those are stored.
CHEAP = frozenset({
    "add", "sub", "mul", "neg", "abs", "maximum", "minimum", "squared_difference", "square",
    "relu", "relu6", "step", "sign", "identity", "fill", "where", "clip_by_value",
    "leaky_relu", "equal", "not_equal", "greater", "greater_equal", "less", "less_equal",
    "logical_and", "logical_or", "logical_xor", "logical_not", "cast_bool", "cast_int"})
DUPLICATE_BUDGET = 8   # duplicated nodes one group computes, at most
# Reductions that can take an elementwise prologue (fuse_prologue.py).
PROLOGUE_REDUCTIONS = ("reduce_sum", "reduce_prod", "reduce_max", "reduce_min", "reduce_any",
                       "reduce_all")


def fusable(node):
    """An elementwise CALL with one output (a `fused` node of one output is one too)."""
    if node.kind != ir.CALL or node.prim.alias or len(node.outputs) != 1 or ir.host_refs(node):
        return False
    kernel = node.prim.kernel
    return kernel == "fused" or registry.get(kernel).pattern == registry.ELEMENTWISE


def takes_prologue(node):
    """A reduction that can compute its input from an elementwise prologue."""
    return (node.kind == ir.CALL and node.prim.kernel in PROLOGUE_REDUCTIONS
            and len(node.inputs) == 1 and "prologue" not in node.attrs
            and not ir.host_refs(node))


class _Group:
    """Nodes that become one fused kernel; `shape` is the shape of its outputs, `leaves` the
    values it reads from textures."""
    __slots__ = ("members", "shape", "ops", "duplicated", "leaves")

    def __init__(self, node):
        self.members = {node}
        self.shape = node.output.shape
        self.ops = fused_program.size(node)
        self.duplicated = 0
        self.leaves = _leaves(self.members)


def run(graph, backend=None):
    fusion = _Fusion(graph)
    fusion.place_all()
    return fusion.emit()


class _Fusion:
    def __init__(self, graph):
        self.graph = graph
        self.users = graph.consumers()
        self.roots = set(graph.roots())
        self.order = {node: float(i) for i, node in enumerate(graph.nodes)}
        self.group_of = {}
        self.clones = []    # (clone, original): inserted before the original

    # ------------------------------------------------------------------ placing nodes
    def place_all(self):
        for node in reversed(list(self.graph.nodes)):
            if fusable(node):
                self.place(node)

    def place(self, node):
        out = node.output
        units = []        # the groups of the readers that read it directly
        reductions = []   # readers that could compute it in a prologue
        others = out in self.roots   # returned, assigned, read by another kernel or a view
        for reader in dict.fromkeys(self.users.get(out, ())):
            group = self.group_of.get(reader)
            if group is not None and not _viewed(reader, out):
                if group not in units:
                    units.append(group)
            elif takes_prologue(reader):
                reductions.append(reader)
            else:
                others = True
        outside = others or bool(reductions)
        if not units:
            self.start(node)
            return
        if self.join(node, units, outside):
            return
        if len(units) > 1:   # merge what can be merged, then place node among the rest
            units = self.merge(units)
            if len(units) == 1 and self.join(node, units, outside):
                return
        if not others and self.duplicate(node, units, reductions):
            return
        if not any(self.join(node, [g], True) for g in units):
            self.start(node)

    def start(self, node):
        self.group_of[node] = _Group(node)

    def join(self, node, units, outside):
        """Merge `units` (groups reading node) and node into one group, node an output of it
        when something outside reads it; False (nothing changed) when that breaks a rule."""
        shape = units[0].shape
        if any(g.shape != shape for g in units) or (outside and node.output.shape != shape):
            return False
        ops = sum(g.ops for g in units) + fused_program.size(node)
        target = units[0]
        if len(units) == 1 and not outside:
            # node read only here, directly: it leaves the leaves, its inputs join them (the
            # common case, kept linear in the group's size)
            leaves = (target.leaves - {(node.output, None)}) | _leaves([node])
            if ops > MAX_OPS or len(leaves) > MAX_INPUTS:
                return False
        else:
            members = set().union(*(g.members for g in units)) | {node}
            leaves = _leaves(members)
            if not self._fits(members, ops, leaves, check_paths=True):
                return False
        for g in units[1:]:
            self._absorb(target, g)
        target.members.add(node)
        target.ops = ops
        target.leaves = leaves
        self.group_of[node] = target
        return True

    def merge(self, units):
        """Units merged where they can be (same shape, within the limits, no path between
        them through another kernel): sibling groups that read one value run as one pass."""
        merged = []
        for g in units:
            for target in merged:
                members = target.members | g.members
                if target.shape == g.shape and self._fits(
                        members, target.ops + g.ops, _leaves(members), check_paths=True):
                    self._absorb(target, g)
                    target.leaves = _leaves(target.members)
                    break
            else:
                merged.append(g)
        return merged

    def _absorb(self, target, group):
        for m in group.members:
            self.group_of[m] = target
        target.members |= group.members
        target.ops += group.ops
        target.duplicated += group.duplicated

    def _fits(self, members, ops, leaves, check_paths):
        if ops > MAX_OPS or len(leaves) > MAX_INPUTS or _views_inside(members):
            return False
        if check_paths:
            return len(self._outputs(members)) <= MAX_OUTPUTS and self._convex(members)
        return True

    def duplicate(self, node, units, reductions):
        """Node computed by each group reading it and by each reduction's prologue: the
        first group takes node itself, every other reader a copy. False when node is not
        cheap or a group would exceed its budget or limits."""
        if node.prim.kernel not in CHEAP or len(units) + len(reductions) < 2:
            return False
        ops = fused_program.size(node)
        out = node.output
        added = []
        for g in units:
            leaves = (g.leaves - {(out, None)}) | _leaves([node])
            if (g.duplicated + 1 > DUPLICATE_BUDGET or g.ops + ops > MAX_OPS
                    or len(leaves) > MAX_INPUTS):
                return False
            added.append(leaves)
        first, rest = units[0], units[1:]
        for g, leaves in zip(units, added):
            g.ops += ops
            g.duplicated += 1
            g.leaves = leaves
        first.members.add(node)
        self.group_of[node] = first
        for g in rest:
            clone = self._clone(node, [r for r in self.users[out] if r in g.members])
            g.members.add(clone)
            self.group_of[clone] = g
        for reduction in reductions:
            clone = self._clone(node, [reduction])
            self.start(clone)
            self.group_of[clone].duplicated = 1
        return True

    def _clone(self, node, readers):
        """A copy of node read by `readers` instead of node."""
        clone = ir.Node(ir.CALL, node.inputs, [(node.output.shape, node.output.dtype)],
                        prim=node.prim, attrs=node.attrs, name=node.name)
        old, new = node.output, clone.output
        for reader in dict.fromkeys(readers):
            reader.inputs = [new if v is old else v for v in reader.inputs]
        self.users[old] = [r for r in self.users[old] if r not in readers]
        self.users[new] = list(readers)
        for v in node.inputs:
            self.users.setdefault(v, []).append(clone)
        # between node and the node before it, as node's inputs allow
        copies = sum(1 for _, original in self.clones if original is node)
        self.order[clone] = self.order[node] - 1.0 / (2 + copies)
        self.clones.append((clone, node))
        return clone

    def _outputs(self, members):
        """Members whose value is read outside `members`, returned or assigned."""
        return [m for m in members if m.output in self.roots or any(
            r not in members for r in self.users.get(m.output, ()))]

    def _convex(self, members):
        """No path leaves `members` and comes back through other kernels: then one pass
        cannot compute them all. Other groups count as the one kernel each will be: a path
        that reaches one of its members goes on from all of them (a kernel writes all its
        outputs after reading all its inputs), so two groups never wait on each other."""
        # (No cut-off by graph order: a group may hold nodes on both sides of any bound.)
        stack = [r for m in members for r in self.users.get(m.output, ()) if r not in members]
        seen, groups = set(), set()
        while stack:
            node = stack.pop()
            if node in members:
                return False
            if node in seen:
                continue
            seen.add(node)
            group = self.group_of.get(node)
            if group is None:
                sources = (node,)
            elif id(group) in groups:
                continue
            else:
                groups.add(id(group))
                sources = group.members
            for source in sources:
                for v in source.outputs:
                    stack.extend(self.users.get(v, ()))
        return True

    # ------------------------------------------------------------------ rewriting
    def emit(self):
        """Each group of two or more nodes becomes one fused node; returns how many."""
        graph = self.graph
        for clone, original in self.clones:
            graph.insert_before(original, clone)
        groups = {}
        for node, group in self.group_of.items():
            groups.setdefault(id(group), group)
        absorbed, made, fused = set(), {}, 0
        # producers first: a group reading another's output then sees the fused node's value
        for group in sorted(groups.values(),
                            key=lambda g: min(self.order[m] for m in g.members)):
            if len(group.members) == 1:
                continue  # a lone node: it already is one kernel
            members = sorted(group.members, key=self.order.__getitem__)
            stored = set(self._outputs(group.members))
            outputs = [m for m in members if m in stored]
            program, params, leaves = fused_program.build(members, outputs, group.shape)
            views = tuple(view for _, view in leaves)
            node = ir.Node(ir.CALL, [value for value, _ in leaves],
                           [(m.output.shape, m.output.dtype) for m in outputs], prim=FUSED,
                           attrs={"program": program, "params": params,
                                  "views": views if any(v is not None for v in views) else None},
                           name="fused")
            graph.nodes.append(node)  # placed by the sort below; replace_uses sees it
            for old, new in zip(outputs, node.outputs):
                graph.replace_uses(old.output, new)
            absorbed.update(members)
            made[node] = self.order[members[-1]]
            fused += 1
        if fused:
            keep = [n for n in graph.nodes if n not in absorbed]
            graph.nodes = _sorted(keep, {**self.order, **made})
        return fused


def _viewed(reader, value):
    """Whether `reader` reads `value` through a view (a transpose): such an input stays a leaf."""
    views = reader.attrs.get("views") if reader.attrs else None
    return views is not None and any(
        v is value and views[i] is not None for i, v in enumerate(reader.inputs))


def _views_inside(members):
    """Whether a member reads another's value through a view: it would read the texture the
    same pass writes."""
    for m in members:
        views = m.attrs.get("views") if m.attrs else None
        if views is not None and any(
                view is not None and v.node in members for v, view in zip(m.inputs, views)):
            return True
    return False


def _leaves(members):
    """(value, view) pairs the members read from textures, one sampler each: values made
    outside them (scalar constants become uniforms), or read through a view (view None when
    read directly)."""
    leaves = set()
    for m in members:
        views = m.attrs.get("views") if m.attrs else None
        for i, v in enumerate(m.inputs):
            view = views[i] if views is not None else None
            if (view is not None or v.node not in members) and constant_value(v) is None:
                leaves.add((v, view))
    return leaves


def _sorted(nodes, rank):
    """`nodes` in a topological order, each as early as its rank allows (stable: the order
    they had, fused nodes where their last member was)."""
    made_by = {v: n for n in nodes for v in n.outputs}
    needs = {n: {made_by[v] for v in _reads(n) if v in made_by} for n in nodes}
    readers = {}
    for n, deps in needs.items():
        for d in deps:
            readers.setdefault(d, []).append(n)
    waiting = {n: len(deps) for n, deps in needs.items()}
    ready = [(rank[n], n.id, n) for n in nodes if waiting[n] == 0]
    heapq.heapify(ready)
    out = []
    while ready:
        _, _, n = heapq.heappop(ready)
        out.append(n)
        for r in readers.get(n, ()):
            waiting[r] -= 1
            if waiting[r] == 0:
                heapq.heappush(ready, (rank[r], r.id, r))
    assert len(out) == len(nodes), "elementwise fusion made a cycle"
    return out


def _reads(node):
    return list(node.inputs) + [ref.value for _, ref in ir.host_refs(node)]
