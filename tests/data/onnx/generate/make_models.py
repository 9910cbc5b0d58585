"""Writes the small PyTorch-exported models of tests/test_onnx_models.py (dev time only:
torch is not a glflow dependency). Run from the repository root with a Python that has
torch 2.13.0, onnx and onnxscript:

    python tests/data/onnx/generate/make_models.py

Weights come from torch.manual_seed(0); batch norm statistics are set to non-trivial values
so the exported BatchNormalization nodes compute something. Each model has a dynamic batch
dimension ('batch') and is written twice: `<name>.onnx` by the TorchScript exporter at opset
17 (constant folding off, so batch norm stays a node and the shape arithmetic of a dynamic
batch stays in the graph), and `<name>_dynamo.onnx` by the torch.export-based exporter, the
default since PyTorch 2.9 (opset 20)."""
import os

import onnx
import torch
from torch import nn

OUT = os.path.join(os.path.dirname(__file__), "..")


class MobileNetBlock(nn.Module):
    """MobileNetV2's inverted residual: 1x1 expand, 3x3 depthwise, 1x1 project, + x."""

    def __init__(self, c=8, expand=4):
        super().__init__()
        h = c * expand
        self.body = nn.Sequential(
            nn.Conv2d(c, h, 1, bias=False), nn.BatchNorm2d(h), nn.ReLU6(),
            nn.Conv2d(h, h, 3, padding=1, groups=h, bias=False), nn.BatchNorm2d(h), nn.ReLU6(),
            nn.Conv2d(h, c, 1, bias=False), nn.BatchNorm2d(c))

    def forward(self, x):
        return x + self.body(x)


class EncoderBlock(nn.Module):
    """A pre-norm transformer encoder block written out (multi-head self-attention and a GELU
    MLP), so the export keeps the reshapes of a dynamic batch as Shape/Gather/Concat nodes."""

    def __init__(self, d=32, heads=4, hidden=64):
        super().__init__()
        self.heads = heads
        self.norm1, self.norm2 = nn.LayerNorm(d), nn.LayerNorm(d)
        self.qkv, self.out = nn.Linear(d, 3 * d), nn.Linear(d, d)
        self.mlp = nn.Sequential(nn.Linear(d, hidden), nn.GELU(), nn.Linear(hidden, d))

    def forward(self, x):
        b, t, d = x.shape
        q, k, v = self.qkv(self.norm1(x)).chunk(3, dim=-1)
        q, k, v = (z.reshape(b, t, self.heads, d // self.heads).transpose(1, 2)
                   for z in (q, k, v))
        att = torch.softmax(q @ k.transpose(-1, -2) / (d // self.heads) ** 0.5, dim=-1)
        y = (att @ v).transpose(1, 2).reshape(b, t, d)
        x = x + self.out(y)
        return x + self.mlp(self.norm2(x))


class LSTMNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(8, 16, batch_first=True)
        self.head = nn.Linear(16, 4)

    def forward(self, x):
        y, _ = self.lstm(x)
        return self.head(y[:, -1])


def models():
    torch.manual_seed(0)
    yield "mlp", nn.Sequential(nn.Linear(16, 32), nn.ReLU(), nn.Linear(32, 10),
                               nn.Softmax(dim=-1)), (2, 16)
    yield "cnn_bn", nn.Sequential(
        nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(8, 16, 3), nn.BatchNorm2d(16), nn.ReLU(), nn.AdaptiveAvgPool2d(1),
        nn.Flatten(), nn.Linear(16, 10)), (2, 3, 12, 12)
    yield "lstm", LSTMNet(), (2, 5, 8)
    yield "transformer_block", EncoderBlock(), (2, 6, 32)
    yield "mobilenet_block", MobileNetBlock(), (2, 8, 10, 10)


def main():
    for name, model, shape in models():
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.running_mean.uniform_(-0.5, 0.5)
                m.running_var.uniform_(0.5, 2.0)
                nn.init.uniform_(m.weight, 0.5, 1.5)
                nn.init.uniform_(m.bias, -0.2, 0.2)
        model.eval()
        x = torch.randn(*shape)
        path = os.path.join(OUT, f"{name}.onnx")
        torch.onnx.export(model, (x,), path, input_names=["x"], output_names=["y"],
                          dynamic_axes={"x": {0: "batch"}, "y": {0: "batch"}},
                          opset_version=17, dynamo=False,
                          do_constant_folding=False)  # keeps BatchNormalization nodes
        print(path, os.path.getsize(path))
        path = os.path.join(OUT, f"{name}_dynamo.onnx")
        torch.onnx.export(model, (x,), path, input_names=["x"], output_names=["y"],
                          dynamic_shapes=({0: torch.export.Dim("batch", min=1, max=64)},),
                          dynamo=True, external_data=False)
        strip_metadata(path)
        print(path, os.path.getsize(path))


def strip_metadata(path):
    """Drop the metadata the torch.export exporter writes on nodes and the graph (stack traces
    holding the paths of the machine that exported); it changes no computation."""
    model = onnx.load(path)
    graphs = [model.graph] + [f for f in model.functions]
    for graph in graphs:
        del graph.metadata_props[:]
        for node in graph.node:
            del node.metadata_props[:]
    del model.metadata_props[:]
    onnx.save(model, path)


if __name__ == "__main__":
    main()
