"""A checked Plan (keras_graph) -> a glflow Model with the file's weights.

Loading runs in two phases so that a file glflow cannot load allocates nothing:
`keras_graph.plan(config)` checks and translates every layer and the graph (no tensors);
`build(plan)` then creates the glflow model, and `assign_weights` gives it the file's values,
disposing of the new model's weights again if any value does not fit.
"""
from ..layers import Bidirectional, InputLayer, Normalization, TimeDistributed
from ..layers.node import flatten, map_structure
from ..models import Model, Sequential
from .keras_config import UnsupportedError
from .keras_graph import Ref, plan

# --------------------------------------------------------------------------- build


def build(result, where):
    """The glflow model of a plan (this allocates the weights). If a layer refuses its
    inputs, the weights made so far are freed before the error leaves."""
    made = result.made
    try:
        return _connect(result, made)
    except (ValueError, TypeError, KeyError, IndexError) as exc:
        for layer in made.values():
            for var in layer.weights:
                var.dispose()
        raise UnsupportedError(f"{where}: the model cannot be built in glflow: {exc}") \
            from None


def _connect(result, made):
    if result.kind == "sequential":
        stack = [made[s.name] for s in result.specs]
        if not isinstance(stack[0], InputLayer):
            stack.insert(0, InputLayer(batch_shape=result.input_shape))
        return Sequential(stack, name=result.name)
    tensors = {}
    for spec in result.specs:
        if spec.keras_class == "InputLayer":
            tensors[Ref((spec.name, 0, 0))] = made[spec.name].output
    pending = [(spec.name, k, call) for spec in result.specs
               for k, call in enumerate(result.nodes.get(spec.name, []))]
    while pending:
        ready = [p for p in pending if _inputs_known(p[2], tensors)]
        if not ready:
            missing = sorted({ref for _, _, call in pending for ref in flatten(call)
                              if isinstance(ref, Ref) and ref not in tensors})
            raise UnsupportedError(f"the graph refers to tensors no layer produces: "
                                   f"{missing[:5]}")
        name, k, (inputs, kwargs) = ready[0]
        pending.remove(ready[0])
        out = made[name](_resolve(inputs, tensors), **_resolve(kwargs, tensors))
        for i, t in enumerate(out if isinstance(out, list) else [out]):
            tensors[Ref((name, k, i))] = t
    return Model(_resolve(result.inputs, tensors), _resolve(result.outputs, tensors),
                 name=result.name)


def _inputs_known(call, tensors):
    return all(ref in tensors for ref in flatten(call) if isinstance(ref, Ref))


def _resolve(structure, tensors):
    if isinstance(structure, Ref):
        return tensors[structure]
    return map_structure(lambda v: tensors[v] if isinstance(v, Ref) else v, structure)


# --------------------------------------------------------------------------- weights

def keras_order(layer):
    """A glflow layer's weights in the order Keras stores them: per layer in creation order,
    a wrapper's inner layer(s) after it (forward before backward)."""
    if isinstance(layer, Bidirectional):
        return keras_order(layer.forward_layer) + keras_order(layer.backward_layer)
    if isinstance(layer, TimeDistributed):
        return keras_order(layer.layer)
    if isinstance(layer, Normalization) and layer.init_mean is not None:
        return []  # Keras keeps a given mean and variance in the config, not as weights
    return list(layer.weights)


def glflow_arrays(spec, arrays):
    """The stored arrays of one layer that glflow's layer holds: Keras' Normalization adds a
    third weight, `count` (the number of samples `adapt` saw), which nothing reads after
    adapt; it is dropped."""
    if spec.keras_class == "Normalization" and len(arrays) == 3 and arrays[2][1].ndim == 0:
        return arrays[:2]
    return arrays


def layers_by_name(model):
    found = {layer.name: layer for layer in model.layers}
    if isinstance(model, Sequential) and model._input_layer is not None:
        found[model._input_layer.name] = model._input_layer
    return found


def assign_weights(model, result, stored, where):
    """Give every layer its stored arrays (`stored`: layer name -> [(name, array)]), all
    checked before the first assignment; on any mismatch the model's weights are freed and
    a ValueError names the layer and the weight."""
    try:
        pairs = []
        by_name = layers_by_name(model)
        for spec in result.weighted_specs:
            variables = keras_order(by_name[spec.name])
            arrays = glflow_arrays(spec, stored.get(spec.name, []))
            if len(arrays) != len(variables):
                raise UnsupportedError(
                    f"{where}: layer {spec.name!r} ({spec.keras_class}) has {len(arrays)} "
                    f"weights in the file, glflow's layer has {len(variables)} "
                    f"({', '.join(v.name for v in variables) or 'none'})")
            for (stored_name, array), var in zip(arrays, variables):
                if tuple(array.shape) != tuple(var.shape):
                    raise UnsupportedError(
                        f"{where}: layer {spec.name!r} ({spec.keras_class}): weight "
                        f"{stored_name or var.name!r} has shape {list(array.shape)} in the "
                        f"file, glflow's {var.name!r} has {list(var.shape)}")
                pairs.append((var, array))
        for var, array in pairs:
            var.assign(array)
    except BaseException:
        dispose_model(model)
        raise


def dispose_model(model):
    """Free a half-loaded model's textures now (a traceback may keep the object alive)."""
    for var in model.weights:
        var.dispose()


def load(config, stored_reader, where, dialect):
    """plan -> read the weights (no tensors yet) -> build -> assign. `stored_reader(plan)`
    returns layer name -> [(weight name or None, float32 array)]."""
    result = plan(config, where, dialect)
    stored = stored_reader(result)
    names = {spec.name for spec in result.weighted_specs}
    unknown = sorted(set(k for k, v in stored.items() if v) - names)
    if unknown:
        raise UnsupportedError(f"{where}: the file holds weights for layers the model does "
                               f"not have: {', '.join(map(repr, unknown[:5]))}")
    model = build(result, where)
    assign_weights(model, result, stored, where)
    return model
