"""gf.function: trace a Python function once per input signature, optimise the graph, and
replay it compiled on every later call.

    @gf.function
    def block(x, w, b):
        h = gf.relu(x @ w + b)
        return gf.tanh(h * 0.5 + 1.0) * 2.0

    y = block(x, w, b)          # first call with these shapes: trace, optimise, compile, run
    y = block(x2, w, b)         # same signature: the compiled graph runs, no Python per op
    block.graph.summary()       # nodes before/after each pass, kernels, generated GLSL

Retracing rules (signature.py): tensor arguments count by shape and dtype, Variables and other
objects by identity, Python numbers, strings, bools and None by value. Python control flow runs
once while tracing (a loop is unrolled, an `if` on a Python value takes its branch); an `if` on
a tensor's value cannot be decided then and raises SymbolicValueError (use gf.where). Python
side effects (print, appending to a list) happen while tracing only. Variables are captured by
reference: their current values are read on every call and `assign` inside writes them. Random
ops draw new numbers on every call (a HOST node per draw, glflow/ops/_host.py), from the seeded
generator as eager calls do.

Gradients: a GradientTape used inside the function traces its backward pass into the same
graph. Called under an outer tape, the call is recorded as one operation whose gradient is a
second traced function (the forward recomputed under a tape, then its backward walk), so
`tape.gradient` through a compiled function is compiled too.
"""
import functools

from ..autodiff import GradientTape
from ..ops import _core
from ..ops._primitive import Call, record
from ..ops.arithmetic import add, mul
from ..ops.creation import zeros
from ..ops.reduction import sum as reduce_sum
from ..runtime import debug, dtypes, state
from . import ir, passes, signature
from .executor import Program
from .ir import TensorSpec
from .summary import summary_text
from .tracer import Tracer

_thread = state.thread


class Function:
    """A traced-and-compiled callable (see the module docstring). `optimize=False` skips the
    passes (the graph runs as traced: one kernel per primitive, still replayed)."""

    def __init__(self, fn, input_signature=None, name=None, optimize=True):
        if not callable(fn):
            raise TypeError(f"function: expected a callable, got {type(fn).__name__}")
        self.python_function = fn
        self.name = name or getattr(fn, "__name__", "function")
        self.input_signature = _check_signature(self.name, input_signature)
        self.optimize = bool(optimize)
        self._concrete = {}
        self._last = None
        self.trace_count = 0
        functools.update_wrapper(self, fn)

    def __get__(self, instance, owner):
        """Decorating a method: the instance is an argument (counted by identity)."""
        if instance is None:
            return self
        return functools.partial(self.__call__, instance)

    def __call__(self, *args, **kwargs):
        if _thread.tracer is not None:  # called while tracing another function: inline it
            return self.python_function(*args, **kwargs)
        concrete, sig = self._concrete_for(args, kwargs)
        return concrete.call(sig.tensors)

    def get_concrete_function(self, *args, **kwargs):
        """The ConcreteFunction for these arguments, traced now if it is not yet."""
        return self._concrete_for(args, kwargs)[0]

    def _concrete_for(self, args, kwargs):
        sig = signature.of_call(args, kwargs, self.name)
        concrete = self._concrete.get(sig.key)
        if concrete is None:
            if self.input_signature is not None:
                self._check_inputs(args)
            concrete = self._concrete[sig.key] = self._trace(args, kwargs, sig)
        self._last = concrete
        return concrete, sig

    @property
    def graph(self):
        """The optimised graph of the most recent call's signature."""
        if self._last is None:
            raise RuntimeError(f"function {self.name!r}: not traced yet; call it first")
        return self._last.graph

    def summary(self):
        return self.graph.summary()

    # ------------------------------------------------------------------ tracing
    def _trace(self, args, kwargs, sig):
        self.trace_count += 1
        if debug.level >= 1:
            shapes = ", ".join(f"{t.dtype}{t.shape}" for t in sig.tensors)
            print(f"[glflow] tracing {self.name}({shapes}) (trace #{self.trace_count})")
        template = signature.input_template((tuple(args), kwargs))
        backend = state.backend()
        tracer = Tracer(self.name, backend)
        # Outer tapes and tidy scopes are the caller's: the trace builds a graph for them to
        # run later, so it records on no outer tape and nothing it captures is disposed;
        # nor are the constants the passes make (fold's results), which the graph keeps.
        tapes, scopes = _thread.tapes, _thread.scopes
        _thread.tapes, _thread.scopes = [], []
        try:
            with tracer:
                specs = self._specs(sig.tensors)
                inputs = [tracer.input(spec, t._shape) for spec, t in zip(specs, sig.tensors)]
                call_args, call_kwargs = signature.fill_template(template, inputs)
                result = self.python_function(*call_args, **call_kwargs)
                out_template, outputs = signature.output_template(result)
                tracer.returns(outputs)
            traced = tracer.graph
            graph = traced.copy()
            log = passes.optimize(graph, backend, fuse=True) if self.optimize else []
        finally:
            _thread.tapes, _thread.scopes = tapes, scopes
        return ConcreteFunction(self, traced, graph, log, out_template, template, sig.keep)

    def _specs(self, tensors):
        if self.input_signature is not None and len(self.input_signature) == len(tensors):
            return self.input_signature
        return [TensorSpec(t._shape, t._dtype) for t in tensors]

    def _check_inputs(self, args):
        tensors = [a for a in args]
        if len(tensors) != len(self.input_signature):
            raise ValueError(f"function {self.name!r}: input_signature has "
                             f"{len(self.input_signature)} entries, the call passes "
                             f"{len(tensors)} positional arguments")
        for i, (spec, a) in enumerate(zip(self.input_signature, tensors)):
            t = _core.convert(a, self.name)
            if not spec.accepts(t._shape, t._dtype):
                raise ValueError(f"function {self.name!r}: argument {i} is {t.dtype}{t.shape}, "
                                 f"input_signature[{i}] accepts {spec}")


def _check_signature(name, specs):
    if specs is None:
        return None
    specs = list(specs)
    for i, s in enumerate(specs):
        if not isinstance(s, TensorSpec):
            raise TypeError(f"function {name!r}: input_signature[{i}] must be a TensorSpec, "
                            f"got {type(s).__name__}")
    return specs


class ConcreteFunction:
    """One traced signature: the graph as traced, the optimised graph, and its programs."""

    def __init__(self, function, traced, graph, log, out_template, in_template, keep):
        self.function = function
        self.name = function.name
        self.traced_graph = traced
        self.graph = graph
        self.log = log
        self._out_template = out_template
        self._in_template = in_template
        self._keep = keep                 # objects the signature names by identity
        self._programs = {}               # backend -> Program
        self._backward = None
        self.variables = [n.tensor for n in traced.nodes if n.kind == ir.VARIABLE]
        graph.owner = self                # fn.graph.summary() tells the whole story

    def program(self, backend=None):
        b = backend or state.backend()
        prog = self._programs.get(b)
        if prog is None:
            prog = self._programs[b] = Program(self.graph, b)
        return prog

    def call(self, tensors):
        """Run on the signature's tensors; returns the function's result structure."""
        outputs = self.program().run(tensors)
        if _thread.tapes and not _thread.paused:
            self._record(tensors, outputs)
        return signature.fill_template(self._out_template, outputs)

    def summary(self, file=None):
        """Print (and return) the passes, the optimised graph, its kernels and their GLSL."""
        text = summary_text(self)
        print(text, file=file)
        return text

    # ------------------------------------------------------------------ gradients
    def _record(self, tensors, outputs):
        sources = list(tensors) + [v for v in self.variables if v.trainable]
        record(Call(_FunctionGradient(self, len(tensors)), sources, {}, outputs))

    def backward_function(self):
        """A gf.function computing the gradients of this one: (inputs, dys) -> one gradient
        per input and per captured trainable Variable (None where there is none)."""
        if self._backward is None:
            forward = self.function.python_function
            template = self._in_template
            trainable = [v for v in self.variables if v.trainable]

            def backward(xs, dys):
                with GradientTape() as tape:
                    tape.watch(*xs)
                    call_args, call_kwargs = signature.fill_template(template, xs)
                    _, outs = signature.output_template(forward(*call_args, **call_kwargs))
                    target = None
                    for out, dy in zip(outs, dys):
                        if out.dtype != dtypes.FLOAT32:
                            continue
                        term = reduce_sum(mul(out, dy))
                        target = term if target is None else add(target, term)
                if target is None:
                    return [None] * (len(xs) + len(trainable))
                return tape.gradient(target, list(xs) + trainable)
            self._backward = Function(backward, name=f"{self.name}_grad")
        return self._backward


class _FunctionGradient:
    """The primitive-like record of a compiled call on an outer tape."""
    __slots__ = ("concrete", "n_inputs", "name", "takes_needs", "unbroadcast")

    def __init__(self, concrete, n_inputs):
        self.concrete = concrete
        self.n_inputs = n_inputs
        self.name = f"function:{concrete.name}"
        self.takes_needs = False
        self.unbroadcast = False

    def grad(self, call, dy):
        dys = dy if isinstance(dy, list) else [dy]
        dys = [d if d is not None else zeros(o.shape) for d, o in zip(dys, call.outputs)]
        xs = list(call.inputs[:self.n_inputs])
        return self.concrete.backward_function()(xs, dys)


def function(fn=None, input_signature=None, name=None, optimize=True):
    """Decorator: `@gf.function` or `@gf.function(input_signature=[...])` (see module doc)."""
    if fn is None:
        return lambda f: Function(f, input_signature=input_signature, name=name,
                                  optimize=optimize)
    return Function(fn, input_signature=input_signature, name=name, optimize=optimize)
