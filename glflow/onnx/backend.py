"""ONNX's standard backend interface (onnx.backend.base) on glflow, as the ONNX backend test
suite drives it: prepare a model once, then run it on lists of numpy arrays."""
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
        return GlflowRep(OnnxModel(read_model(model)))

    @classmethod
    def run_model(cls, model, inputs, device="CPU", **kwargs):
        return cls.prepare(model, device, **kwargs).run(inputs)

    @classmethod
    def run_node(cls, node, inputs, device="CPU", outputs_info=None, **kwargs):
        """One node as a one-node model; input types come from the arrays given."""
        inputs = list(inputs)
        values = [helper.make_tensor_value_info(name, helper.np_dtype_to_tensor_dtype(a.dtype),
                                                list(a.shape))
                  for name, a in zip(node.input, inputs)]
        outs = [helper.make_tensor_value_info(name, onnx.TensorProto.UNDEFINED, None)
                for name in node.output]
        if outputs_info:
            outs = [helper.make_tensor_value_info(name, helper.np_dtype_to_tensor_dtype(dt),
                                                  list(shape))
                    for name, (dt, shape) in zip(node.output, outputs_info)]
        opset = kwargs.get("opset_version", onnx.defs.onnx_opset_version())
        model = helper.make_model(helper.make_graph([node], "node", values, outs),
                                  opset_imports=[helper.make_opsetid("", opset)])
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
