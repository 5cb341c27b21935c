"""The course network (6 -> 4 -> 3 -> 1) and a few basics of the graph model."""

import torch

from graphbuilder.compiler.fx_compile import compile_graph
from graphbuilder.compiler.shapes import infer_shapes
from graphbuilder.core.builder import NetBuilder


def course_mlp():
    b = NetBuilder("course mlp")
    x = b.input("x", [6])
    h = b.add("act1", "Sigmoid", b.add("fc1", "Linear", x, out_features=4))
    h = b.add("act2", "Sigmoid", b.add("fc2", "Linear", h, out_features=3))
    b.output("y", b.add("fc3", "Linear", h, out_features=1))
    return b.build()


def test_course_network_has_47_parameters():
    report = infer_shapes(course_mlp())
    assert report.ok, report.errors
    assert report.total_params == 47
    assert report.trainable_params == 47
    gm = compile_graph(course_mlp())
    assert sum(p.numel() for p in gm.parameters()) == 47
    assert gm(torch.randn(5, 6)).shape == (5, 1)


def test_residual_mismatch_message_names_node_and_fix():
    b = NetBuilder("blk")
    x = b.input("x", [64, 56, 56])
    c = b.add("conv", "Conv2d", x, out_channels=128, kernel_size=3, stride=2, padding=1)
    b.output("y", b.add("add_3", "Add", [c, x]))
    report = infer_shapes(b.build())
    (err,) = report.blocking
    assert err.node == "add_3"
    assert "[128, 28, 28]" in err.message and "[64, 56, 56]" in err.message
    assert "1x1 conv" in err.message and "stride 2" in err.message
