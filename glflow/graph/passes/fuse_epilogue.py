"""Epilogue fusion: a matmul's bias add and activation run inside its last pass.

matmul(a, b) read only by `add(., bias)` becomes fused_matmul(a, b, bias) when the bias
broadcasts to the product without enlarging it (a row, a column, a scalar, or a whole matrix:
a residual add is a bias of the product's shape); a (fused) matmul read only by relu, relu6,
sigmoid, tanh, elu (alpha 1) or leaky_relu takes that as its activation. The fused_matmul kernel
(glflow/ops/linalg.py, GL: glflow/backends/gl/kernels/fused.py) applies both in matmul's unpack
pass, so they cost no pass of their own. Elementwise work after that (scaling, a second
activation) is left to elementwise fusion, which makes it one more kernel.

Convolutions take no epilogue here: their GL kernels have no hook for one yet (reductions
take a prologue: fuse_prologue.py).
"""
from ...ops.linalg import FUSED_MATMUL, MATMUL, _bias_strides
from ...runtime import dtypes
from .. import ir

ACTIVATIONS = {"relu", "relu6", "sigmoid", "tanh", "elu", "leaky_relu"}


def run(graph, backend=None):
    fused = 0
    changed = True
    while changed:
        changed = False
        users = graph.consumers()
        roots = set(graph.roots())
        for node in list(graph.nodes):
            if _product(node) is None:
                continue
            out = node.output
            readers = users.get(out, ())
            if out in roots or len(readers) != 1:
                continue
            reader = readers[0]
            if _take_bias(node, reader) or _take_activation(node, reader):
                graph.remove(node)
                fused += 1
                changed = True
                break
    return fused


def _product(node):
    """The node's matmul attrs if it is a matmul (or a fused one that can take more)."""
    if node.kind != ir.CALL or node.output.dtype != dtypes.FLOAT32:
        return None
    a = node.attrs
    if node.prim is MATMUL:
        if any(v.dtype != dtypes.FLOAT32 for v in node.inputs) or a["k"] == 0:
            return None
        return a
    if node.prim is FUSED_MATMUL:
        return a
    return None


def _fused_attrs(product, **changes):
    attrs = {k: v for k, v in product.items()}
    attrs.setdefault("activation", "linear")
    attrs.setdefault("alpha", 0.2)
    attrs.setdefault("bias_strides", (0, 0, 0))
    attrs.update(changes)
    return attrs


def _take_bias(node, reader):
    """reader = add(product, bias) -> reader becomes fused_matmul(a, b, bias)."""
    attrs = node.attrs
    if reader.kind != ir.CALL or reader.prim.name != "add" or reader.attrs:
        return False
    if node.prim is FUSED_MATMUL and (len(node.inputs) == 3 or attrs["activation"] != "linear"):
        return False
    out = node.output
    others = [v for v in reader.inputs if v is not out]
    if len(others) != 1 or reader.output.shape != out.shape:
        return False
    bias = others[0]
    if bias.dtype != dtypes.FLOAT32:
        return False
    strides = _bias_strides(bias.shape, out.shape)
    if strides is None:
        return False
    reader.prim = FUSED_MATMUL
    reader.name = FUSED_MATMUL.name
    reader.inputs = [node.inputs[0], node.inputs[1], bias]
    reader.attrs = _fused_attrs(attrs, bias_strides=strides)
    return True


def _take_activation(node, reader):
    """reader = activation(product) -> reader becomes the fused_matmul with it."""
    attrs = node.attrs
    if reader.kind != ir.CALL or reader.prim.kernel not in ACTIVATIONS:
        return False
    if node.prim is FUSED_MATMUL and attrs["activation"] != "linear":
        return False
    kernel = reader.prim.kernel
    alpha = reader.attrs.get("alpha", 0.2) if reader.attrs else 0.2
    if kernel == "elu" and alpha != 1.0:  # the GL epilogue runs elu with alpha 1 (TF.js)
        return False
    if reader.output.shape != node.output.shape:
        return False
    reader.prim = FUSED_MATMUL
    reader.name = FUSED_MATMUL.name
    reader.inputs = list(node.inputs)
    reader.attrs = _fused_attrs(attrs, activation=kernel, alpha=float(alpha))
    return True
