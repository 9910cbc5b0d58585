"""Seeing graphs: summary(), DOT text and PNG pictures, GLFLOW_DEBUG output, gf.profile."""
import os

import numpy as np
import pytest

import glflow as gf
from glflow.graph import dot

RNG = np.random.default_rng(1)


def data(*shape):
    return RNG.standard_normal(shape).astype(np.float32)


@pytest.fixture
def block():
    @gf.function
    def block(x, w, b):
        h = gf.relu(x @ w + b)
        return gf.tanh(h * 0.5 + 1.0) * 2.0
    block(gf.tensor(data(4, 3)), gf.tensor(data(3, 5)), gf.tensor(data(5)))
    return block


def test_summary_tells_passes_graphs_kernels_and_glsl(block, capsys):
    text = block.graph.summary()
    assert capsys.readouterr().out.strip() == text.strip()
    assert "function 'block'(float32[4, 3], float32[3, 5], float32[5])" in text
    assert "traced:    13 nodes, 7 kernels" in text and "optimised: 5 nodes, 2 kernels" in text
    for name in ("simplify", "fold", "cse", "dce", "fuse_epilogue", "fuse_elementwise"):
        assert f"  {name} " in text
    assert "fused_matmul(%" in text and "activation=relu" in text
    assert "mul(tanh(add(mul(x0, fill(0.5)), fill(1))), fill(2))" in text
    assert "o_result = k_mul(k_tanh(k_add(k_mul(x0, k_fill(u_p0)), k_fill(u_p1))), " \
           "k_fill(u_p2));" in text  # the generated GLSL of the fused kernel


def test_dot_text_has_every_node_and_edge(block):
    graph = block.graph
    text = graph.to_dot()
    assert text.startswith('digraph "block" {')
    for node in graph.nodes:
        assert f"  n{node.id} [label=" in text
    edges = sum(len(n.inputs) for n in graph.nodes) + len(graph.outputs)
    assert text.count(" -> ") == edges
    assert "fused\\nmul(tanh(add(mul(x0, fill(0.5)), fill(1))), fill(2))" in text


def test_png_where_graphviz_runs_and_dot_text_where_it_does_not(block, tmp_path, monkeypatch):
    target = str(tmp_path / "block.png")
    if dot.render_png("digraph { a }") is not None:  # Graphviz installed (ci/setup --dev)
        assert block.graph.to_png(target) == target
        with open(target, "rb") as f:
            assert f.read(8) == b"\x89PNG\r\n\x1a\n"
    # without Graphviz: the DOT text next to the target, and a warning saying so
    monkeypatch.setattr(dot, "graphviz", None)
    monkeypatch.setattr(dot.shutil, "which", lambda name: None)
    with pytest.warns(RuntimeWarning, match="Graphviz is not installed"):
        written = block.graph.to_png(target)
    assert written == str(tmp_path / "block.dot")
    with open(written) as f:
        assert f.read() == block.graph.to_dot()
    assert not [p for p in os.listdir(tmp_path) if p.endswith(".tmp")]


def test_debug_levels_print_traces_passes_and_graphs(capsys):
    f = gf.function(lambda x: gf.exp(x) * 2.0 + 1.0)
    try:
        gf.set_debug_level(1)
        f(gf.tensor(data(3)))
        level1 = capsys.readouterr().out
        gf.set_debug_level(2)
        f(gf.tensor(data(5)))
        level2 = capsys.readouterr().out
    finally:
        gf.set_debug_level(0)
    assert "[glflow] tracing <lambda>(float32[3]) (trace #1)" in level1
    assert "[glflow] graph <lambda>: fuse_elementwise     1 changes" in level1
    assert "fused(" not in level1
    assert "= fused(%" in level2 and "[glflow] gl: fused" in level2


def test_profile_reports_eager_kernels_and_memory():
    a = gf.tensor(data(64, 32))
    info = gf.profile(lambda: gf.sum(gf.relu(a) * 2.0, axis=1))
    assert info.kernel_names == ["relu", "mul", "reduce_sum"]
    assert info.new_tensors == 1 and info.new_bytes == 64 * 4
    assert info.result.shape == [64]
    assert info.peak_bytes >= 2 * 64 * 32 * 4  # relu's and mul's outputs were alive at once
    first = info.kernels[0]
    assert first["input_shapes"] == [[64, 32]] and first["output_shapes"] == [[64, 32]]
    assert first["kernel_time_ms"] >= 0.0


def test_profile_refuses_nesting():
    with pytest.raises(RuntimeError, match="profiles do not nest"):
        gf.profile(lambda: gf.profile(lambda: None))
