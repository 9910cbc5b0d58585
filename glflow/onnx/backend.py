"""ONNX's standard backend interface (onnx.backend.base) on glflow, as the ONNX backend test
suite drives it: prepare a model once, then run it on lists of numpy arrays."""
import numpy as np
import onnx
from onnx import helper
from onnx.backend.base import Backend, BackendRep

from ..runtime import state
from .model import OnnxModel
from .reader import read_model


class GlflowRep(BackendRep):
    """A prepared model: run(inputs) -> a tuple of numpy arrays in the ONNX output dtypes."""

    def __init__(self, model):
        self.model = model

    def run(self, inputs, **kwargs):
        if isinstance(inputs, dict):
            return tuple(self.model.run(inputs))
        if not isinstance(inputs, (list, tuple)):
            inputs = [inputs]
        return tuple(self.model.run(list(inputs)))


class GlflowBackend(Backend):
    """Runs on glflow's active backend (GL on a GPU or llvmpipe); the device names the
    ONNX suite asks for map onto it: 'CPU' is served, 'CUDA' is not."""

    @classmethod
    def prepare(cls, model, device="CPU", **kwargs):
        """The model loaded as gf.onnx.load loads it: compiled where its plan allows
        (`compile=False` among the kwargs runs it eagerly)."""
        return GlflowRep(OnnxModel(read_model(model), compile=kwargs.get("compile", True)))

    @classmethod
    def run_model(cls, model, inputs, device="CPU", **kwargs):
        return cls.prepare(model, device, **kwargs).run(inputs)

    @classmethod
    def run_node(cls, node, inputs, device="CPU", outputs_info=None, **kwargs):
        """One node as a one-node model: input types from the arrays given, output types
        from outputs_info or ONNX's inference for the node."""
        inputs = list(inputs)
        opset = kwargs.get("opset_version", onnx.defs.onnx_opset_version())
        in_types = {name: helper.make_tensor_type_proto(
            helper.np_dtype_to_tensor_dtype(a.dtype), list(a.shape))
            for name, a in zip(node.input, inputs)}
        if outputs_info:
            out_types = {name: helper.make_tensor_type_proto(
                helper.np_dtype_to_tensor_dtype(np.dtype(dt)), list(shape))
                for name, (dt, shape) in zip(node.output, outputs_info)}
        else:
            schema = onnx.defs.get_schema(node.op_type, opset, node.domain)
            out_types = onnx.shape_inference.infer_node_outputs(schema, node, in_types)
        graph = helper.make_graph(
            [node], "node", [helper.make_value_info(n, t) for n, t in in_types.items()],
            [helper.make_value_info(n, out_types[n]) for n in node.output])
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
        return cls.prepare(model, device).run(inputs)

    @classmethod
    def supports_device(cls, device):
        return device == "CPU"


def describe():
    """Which glflow backend serves the ONNX models ('gl' or 'cpu')."""
    return state.get_backend()


prepare = GlflowBackend.prepare
run_model = GlflowBackend.run_model
run_node = GlflowBackend.run_node
supports_device = GlflowBackend.supports_device
