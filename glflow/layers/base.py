"""Layer: the Keras lifecycle on glflow ops.

    config in __init__  ->  weights in build(input_shape)  ->  call(inputs)  ->  get_config()

`__call__` builds the layer on first use, checks the input shape against `input_spec`, passes
the `training` flag down to nested layers, and on symbolic inputs (KerasTensors from `Input`)
records a graph node instead of computing. Conv, pooling, recurrent and normalisation layers
slot in by subclassing Layer and following the same four methods.
"""
import functools
import inspect
import numbers
import re
import threading
import weakref

import numpy as np

from .. import ops
from ..autodiff import no_record
from ..ops._host import init_scope
from ..tensor import tidy
from ..tensor import Tensor, Variable
from . import initializers, regularizers, serialization
from .node import KerasTensor, Node, flatten, is_symbolic, map_structure
from .shapes import first_shape, map_shapes, shape_of, show

_names = {}
_context = threading.local()
# One lock for every first-call build: builds are rare, and a model's build builds its
# sublayers inside it (re-entrant).
_build_lock = threading.RLock()


def unique_name(base):
    """`dense`, `dense_1`, `dense_2`, ... like Keras."""
    count = _names.get(base, 0)
    _names[base] = count + 1
    return base if count == 0 else f"{base}_{count}"


def clear_session():
    """Restart automatic layer names (dense, dense_1, ...) from scratch."""
    _names.clear()


def snake_case(name):
    """Keras' default layer names: Conv2D -> conv2d, Conv2DTranspose -> conv2d_transpose,
    SimpleRNN -> simple_rnn (a word starts at a capital after a lowercase letter, or at the
    last capital of an acronym or a "2D" that a lowercase letter follows)."""
    return re.sub(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Z0-9])(?=[A-Z][a-z])", "_", name).lower()


def to_tensors(x, where):
    """Arrays and numbers in a nested structure as float32 tensors (ints kept as int32)."""
    leaves = flatten(x)
    if isinstance(x, (list, tuple)) and leaves and all(
            isinstance(v, numbers.Number) for v in leaves):
        x = np.asarray(x)  # nested lists of numbers are one array, not many scalars

    def convert(v):
        if isinstance(v, Tensor):
            return v
        if v is None:
            return None
        array = np.asarray(v)
        if array.dtype == np.float64:
            array = array.astype(np.float32)
        return ops.convert(array, where)
    return map_structure(convert, x)


class _CallContext:
    """Outermost-call bookkeeping: the `training` flag nested layers inherit."""

    def __init__(self, training):
        self.training = training


def _call_losses():
    """This thread's losses from its last outermost call, by layer. Keras keeps them in the
    call context for the same reason: as layer attributes, a thread calling the model while
    another trained replaced the trainer's activity penalties with its own (146 of 150 steps
    reported a wrong loss). Weak keys: a dead layer's entry goes with it."""
    table = getattr(_context, "losses", None)
    if table is None:
        table = _context.losses = weakref.WeakKeyDictionary()
    return table


class Layer:
    """Base class of every layer and model."""

    # call keywords that change the output structure (Attention's return_attention_scores):
    # a symbolic call passes them on to compute_output_shape
    _output_shape_kwargs = ()

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if cls.__module__.startswith("glflow."):
            serialization.register_builtin(cls)
        if "build" in cls.__dict__:
            cls.build = _marking_built(cls.__dict__["build"])

    def __init__(self, trainable=True, name=None, dtype=None, input_shape=None,
                 batch_input_shape=None, batch_size=None, input_dim=None, activity_regularizer=None,
                 **kwargs):
        if kwargs:
            raise TypeError(f"{type(self).__name__}: unexpected keyword argument(s) "
                            f"{', '.join(sorted(kwargs))}")
        object.__setattr__(self, "_sublayers", [])
        self.name = name or unique_name(snake_case(type(self).__name__))
        if not isinstance(self.name, str) or not self.name or "/" in self.name:
            raise ValueError(f"{type(self).__name__}: name must be a non-empty string without "
                             f"'/', got {self.name!r}")
        self._trainable = bool(trainable)
        self.dtype = "float32" if dtype is None else str(dtype)
        if self.dtype != "float32":
            raise ValueError(f"{type(self).__name__} {self.name!r}: layers compute in float32, "
                             f"got dtype {dtype!r}")
        if input_dim is not None and input_shape is None:
            input_shape = (int(input_dim),)
        if batch_input_shape is None and input_shape is not None:
            batch_input_shape = (batch_size,) + tuple(input_shape)
        self._batch_input_shape = (None if batch_input_shape is None
                                   else tuple(batch_input_shape))
        self.activity_regularizer = regularizers.get(activity_regularizer)
        self.built = False
        self.input_spec = None
        self._weight_records = []     # (variable, trainable, regularizer)
        self._inbound_nodes = []
        self._build_input_shape = None
        self._call_takes_training = "training" in inspect.signature(self.call).parameters

    # ------------------------------------------------------------------ tracking
    def __setattr__(self, key, value):
        if isinstance(value, Layer) and value is not self:
            self._track(value)
        elif isinstance(value, (list, tuple)):
            for v in value:
                if isinstance(v, Layer) and v is not self:
                    self._track(v)
        object.__setattr__(self, key, value)

    def _track(self, layer):
        if "_sublayers" not in self.__dict__:
            raise RuntimeError(f"{type(self).__name__}: call super().__init__() before assigning "
                               "layers as attributes")
        if not any(layer is s for s in self._sublayers):
            self._sublayers.append(layer)

    def _flatten_layers(self, include_self=True):
        """This layer and every nested layer, each once, depth first."""
        seen, out, stack = set(), [], [self] if include_self else list(reversed(self._sublayers))
        while stack:
            layer = stack.pop()
            if id(layer) in seen:
                continue
            seen.add(id(layer))
            out.append(layer)
            stack.extend(reversed(layer._sublayers))
        return out

    # ------------------------------------------------------------------ weights
    def add_weight(self, name, shape, initializer="glorot_uniform", regularizer=None,
                   trainable=True, dtype="float32"):
        """A Variable owned by this layer, made by `initializer` (a name, callable or object)."""
        shape = tuple(int(d) for d in shape)
        init = initializers.get(initializer)
        with init_scope():  # built inside gf.function: initial values now, not graph nodes
            value = init(shape)
        if tuple(value.shape) != shape:
            raise ValueError(f"{self.name}.add_weight({name!r}): initializer returned shape "
                             f"{list(value.shape)}, expected {list(shape)}")
        var = Variable(value, trainable=trainable, name=f"{self.name}/{name}", dtype=dtype)
        var._initializer = init
        self._weight_records.append((var, bool(trainable), regularizers.get(regularizer)))
        return var

    @property
    def trainable(self):
        return self._trainable

    @trainable.setter
    def trainable(self, value):
        for layer in self._flatten_layers():
            layer._trainable = bool(value)

    def _own_weights(self, trainable):
        return [v for v, t, _ in self._weight_records if (t and self._trainable) == trainable]

    @property
    def trainable_weights(self):
        return [v for layer in self._flatten_layers() for v in layer._own_weights(True)]

    @property
    def non_trainable_weights(self):
        return [v for layer in self._flatten_layers() for v in layer._own_weights(False)]

    @property
    def weights(self):
        return self.trainable_weights + self.non_trainable_weights

    trainable_variables = trainable_weights
    non_trainable_variables = non_trainable_weights
    variables = weights

    def get_weights(self):
        return [w.numpy() for w in self.weights]

    def set_weights(self, values):
        weights = self.weights
        values = list(values)
        if len(values) != len(weights):
            raise ValueError(f"{self.name}.set_weights: got {len(values)} arrays for "
                             f"{len(weights)} weights")
        for w, v in zip(weights, values):
            v = np.asarray(v, dtype=np.float32)
            if tuple(v.shape) != tuple(w.shape):
                raise ValueError(f"{self.name}.set_weights: weight {w.name!r} has shape "
                                 f"{w.shape}, got an array of shape {list(v.shape)}")
            w.assign(v)

    def count_params(self):
        return int(sum(w.size for w in self.weights))

    # ------------------------------------------------------------------ losses
    def add_loss(self, loss):
        """Add a scalar loss (a tensor computed in call, e.g. an activity penalty) to this
        thread's current call."""
        _call_losses().setdefault(self, []).append(loss)

    @property
    def losses(self):
        """Weight-regularisation penalties (recomputed now) plus the losses added during this
        thread's last call."""
        out = []
        added = _call_losses()
        for layer in self._flatten_layers():
            for var, _, reg in layer._weight_records:
                if reg is not None and layer._trainable:
                    out.append(reg(var))
            out.extend(added.get(layer, ()))
        return out

    # ------------------------------------------------------------------ lifecycle
    def build(self, input_shape):
        """Create weights for inputs of `input_shape` (batch dimension first, may be None)."""
        self.built = True

    def call(self, inputs):
        return inputs

    def compute_output_shape(self, input_shape):
        """Default: run call on zeros (unknown batch dims as 1) and read the result shapes."""
        def concrete(shape):
            if any(d is None for d in shape[1:]):
                raise NotImplementedError(
                    f"{type(self).__name__} {self.name!r}: cannot infer the output shape for "
                    f"input shape {show(shape)}; define compute_output_shape")
            return tuple(1 if d is None else d for d in shape)

        probe = map_shapes(lambda s: ops.zeros(concrete(s)), input_shape)
        with tidy(), no_record():
            result = self.call(probe)
            shapes = [tuple(t.shape) for t in flatten(result)]
        batch = first_shape(input_shape)[0] if first_shape(input_shape) else None
        shapes = [(batch,) + s[1:] if s else s for s in shapes]
        return shapes[0] if isinstance(result, Tensor) else shapes

    def get_config(self):
        config = {"name": self.name, "trainable": self._trainable, "dtype": self.dtype}
        if self._batch_input_shape is not None:
            config["batch_input_shape"] = list(self._batch_input_shape)
        if self.activity_regularizer is not None:
            config["activity_regularizer"] = regularizers.serialize(self.activity_regularizer)
        return config

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    # ------------------------------------------------------------------ calling
    def _maybe_build(self, input_shape):
        if self.built:
            return
        self.build(input_shape)
        self.built = True
        self._build_input_shape = input_shape

    def _build_once(self, input_shape):
        """The first call's build, made once even when threads make that call together (8
        threads' first predict left 32 weights instead of 4, a file load_model refused)."""
        if not self.built:
            with _build_lock:
                self._maybe_build(input_shape)  # checks built again, under the lock

    def _check_inputs(self, shapes):
        specs = self.input_spec
        if specs is None:
            return
        specs = specs if isinstance(specs, (list, tuple)) else [specs]
        flat = shapes if isinstance(shapes, list) else [shapes]
        if len(specs) > 1 and len(flat) != len(specs):
            raise ValueError(f"{type(self).__name__} layer {self.name!r} expects {len(specs)} "
                             f"inputs, got {len(flat)}")
        for i, shape in enumerate(flat):
            spec = specs[min(i, len(specs) - 1)]
            if spec is not None and isinstance(shape, tuple):
                spec.check(self, i, shape)

    def __call__(self, inputs, *args, **kwargs):
        if is_symbolic(inputs):
            return self._symbolic_call(inputs, args, kwargs)
        inputs = to_tensors(inputs, f"{type(self).__name__} {self.name!r}")
        outer = getattr(_context, "call", None)
        if outer is None:
            added = _call_losses()
            for layer in self._flatten_layers():
                added.pop(layer, None)
        training = kwargs.pop("training", None)
        if training is None and outer is not None:
            training = outer.training
        shapes = shape_of(inputs)
        self._build_once(shapes)
        self._check_inputs(shapes)
        if self._call_takes_training:
            kwargs["training"] = bool(training)
        _context.call = outer or _CallContext(bool(training))
        try:
            outputs = self.call(inputs, *args, **kwargs)
        finally:
            _context.call = outer
        shapes = [tuple(t.shape) for t in flatten(outputs) if isinstance(t, Tensor)]
        if shapes:  # for summary() of models that only learn shapes by running
            self._last_output_shape = ((None,) + shapes[0][1:] if len(shapes) == 1 and shapes[0]
                                       else [(None,) + s[1:] if s else s for s in shapes])
        if self.activity_regularizer is not None:
            for y in flatten(outputs):
                if isinstance(y, Tensor):
                    self.add_loss(self.activity_regularizer(y))
        return outputs

    def _symbolic_call(self, inputs, args, kwargs):
        if args:
            raise TypeError(f"{type(self).__name__} {self.name!r}: on symbolic inputs pass "
                            "extra arguments by keyword")
        for t in flatten(inputs):
            if not isinstance(t, KerasTensor):
                raise TypeError(f"{type(self).__name__} {self.name!r}: mixes symbolic inputs "
                                f"(from Input) with a {type(t).__name__}")
        shapes = shape_of(inputs)
        self._build_once(shapes)
        self._check_inputs(shapes)
        out_shape = self.compute_output_shape(shapes, **{
            k: kwargs[k] for k in self._output_shape_kwargs if k in kwargs})
        single = isinstance(out_shape, tuple)
        out_shapes = [out_shape] if single else list(out_shape)
        node_index = len(self._inbound_nodes)
        outputs = [KerasTensor(s, name=f"{self.name}/out{i}" if not single else self.name,
                               history=(self, node_index, i)) for i, s in enumerate(out_shapes)]
        self._inbound_nodes.append(Node(self, inputs, outputs, kwargs))
        return outputs[0] if single else outputs

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name!r} built={self.built}>"


def _marking_built(build):
    """Wrap a subclass's build so that calling it directly also marks the layer built (as in
    Keras): layer.build(shape) followed by layer(x) must not make a second set of weights."""
    @functools.wraps(build)
    def wrapper(self, input_shape=None, *args, **kwargs):
        result = build(self, input_shape, *args, **kwargs)
        self.built = True
        if self._build_input_shape is None:
            self._build_input_shape = input_shape
        return result
    return wrapper
