"""model.summary(): one row per layer (name, type, output shape, parameter count and, for
functional models, the layers it is connected to), then the parameter totals."""

def _shape_text(shape):
    if shape is None:
        return "?"
    if isinstance(shape, list):
        return ", ".join(_shape_text(s) for s in shape)
    return "(" + ", ".join("None" if d is None else str(d) for d in shape) + (
        ",)" if len(shape) == 1 else ")")


def layer_rows(model):
    """[(name, class name, output shape text, params, [inbound layer names])] in model order."""
    graph = getattr(model, "_graph", None)
    rows = []
    if graph is not None:
        shapes, inbound = {}, {}
        for layer in graph.input_layers:
            shapes[layer.name] = [layer.output.shape]
        for node in graph.nodes:
            shapes.setdefault(node.layer.name, []).append(
                [t.shape for t in node.outputs] if len(node.outputs) > 1 else node.outputs[0].shape)
            inbound.setdefault(node.layer.name, []).extend(
                t._keras_history[0].name for t in node.flat_inputs)
        for layer in graph.layers:
            seen = shapes.get(layer.name, [])
            text = _shape_text(seen[0]) if len(seen) == 1 else "multiple"
            rows.append((layer.name, type(layer).__name__, text, layer.count_params(),
                         inbound.get(layer.name, [])))
        return rows
    stack = getattr(model, "_stack", None)
    if stack is not None:
        outs = list(getattr(model, "_output_shapes", []))
        for i, layer in enumerate(stack):
            shape = outs[i] if i < len(outs) else getattr(layer, "_last_output_shape", None)
            rows.append((layer.name, type(layer).__name__, _shape_text(shape),
                         layer.count_params() if layer.built else 0, []))
        return rows
    for layer in model.layers:
        rows.append((layer.name, type(layer).__name__,
                     _shape_text(getattr(layer, "_last_output_shape", None)),
                     layer.count_params(), []))
    return rows


def summary(model, line_length=None, print_fn=None):
    print_fn = print_fn or print
    rows = layer_rows(model)
    connected = any(r[4] for r in rows)
    widths = [34, 26, 12] + ([30] if connected else [])
    if line_length:
        widths[0] = max(20, line_length - sum(widths[1:]))
    header = ["Layer (type)", "Output Shape", "Param #"] + (["Connected to"] if connected else [])
    total_width = sum(widths)

    def line(cells):
        return "".join(str(c)[:w - 1].ljust(w) for c, w in zip(cells, widths)).rstrip()

    print_fn(f'Model: "{model.name}"')
    print_fn("_" * total_width)
    print_fn(line(header))
    print_fn("=" * total_width)
    for i, (name, kind, shape, params, inbound) in enumerate(rows):
        cells = [f"{name} ({kind})", shape, params]
        if connected:
            cells.append(", ".join(inbound))
        print_fn(line(cells))
        if i < len(rows) - 1:
            print_fn("")
    print_fn("=" * total_width)
    trainable = sum(w.size for w in model.trainable_weights)
    frozen = sum(w.size for w in model.non_trainable_weights)
    print_fn(f"Total params: {trainable + frozen}")
    print_fn(f"Trainable params: {trainable}")
    print_fn(f"Non-trainable params: {frozen}")
    print_fn("_" * total_width)
