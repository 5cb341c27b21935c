"""Composite blocks: the palette API, their wiring, and that each one trains and exports."""

from __future__ import annotations

import pytest
import torch

from graphbuilder.compiler.fx_compile import compile_graph, example_inputs
from graphbuilder.compiler.shapes import infer_shapes
from graphbuilder.core.builder import NetBuilder
from graphbuilder.core.graph import ModelGraph
from graphbuilder.core.params import ParamSpec
from graphbuilder.zoo.blocks import BLOCKS, BlockError, list_blocks, make_block

NAMES = [b.name for b in list_blocks()]


def test_issue_blocks_are_all_there() -> None:
    assert {"residual_basic", "residual_bottleneck", "dense_block", "inception", "fire",
            "separable_conv", "unet_down", "unet_level", "transformer_encoder",
            "vit_patch_embedding", "rnn_head"} <= set(NAMES)
    for spec in list_blocks():
        assert spec.title and spec.doc
        assert all(isinstance(p, ParamSpec) for p in spec.params)
        assert all(p.check(p.default) is None for p in spec.params), spec.name


@pytest.mark.parametrize("name", NAMES)
def test_block_is_one_group_between_x_and_y(name: str) -> None:
    spec = next(b for b in list_blocks() if b.name == name)
    graph = make_block(name, spec.example_shape)
    assert graph.input_nodes() == ["x"] and graph.output_nodes() == ["y"]
    (group,) = graph.groups.values()
    assert set(group.nodes) == set(graph.nodes()) - {"x", "y"}
    report = infer_shapes(graph)
    assert report.ok and not report.errors, report.errors[:3]


@pytest.mark.parametrize("name", NAMES)
def test_block_trains(name: str) -> None:
    spec = next(b for b in list_blocks() if b.name == name)
    graph = make_block(name, spec.example_shape)
    gm = compile_graph(graph, seed=0)
    out = gm(*example_inputs(graph))
    out.float().pow(2).mean().backward()
    assert all(p.grad is not None for p in gm.parameters())


def _chain_of_all_blocks() -> ModelGraph:
    """Every block once, image blocks first, then tokens, then the RNN head.

    One ONNX export of this chain covers every block's wiring; exporting each block on
    its own costs the dynamo exporter's fixed seconds twelve times over.
    """
    order = ["fire", "separable_conv", "inverted_residual", "residual_basic",
             "residual_bottleneck", "inception", "dense_block", "unet_level", "unet_down",
             "vit_patch_embedding", "transformer_encoder", "rnn_head"]
    assert sorted(order) == sorted(NAMES)
    small = {"residual_bottleneck": {"planes": 8}, "dense_block": {"growth_rate": 8},
             "inception": {"ch1x1": 8, "ch3x3_reduce": 8, "ch3x3": 8, "ch5x5_reduce": 4,
                           "ch5x5": 8, "pool_proj": 8},
             "unet_level": {"out_channels": 8}, "separable_conv": {"out_channels": 16},
             "vit_patch_embedding": {"patch_size": 2, "width": 32}}
    b = NetBuilder("all_blocks")
    h = b.input("x", [8, 16, 16])
    for name in order:
        shape = list(infer_shapes(b.graph).nodes[h].feature_shape)
        spec = BLOCKS[name]
        with b.scope(name):
            h = spec.build(b, h, shape, {**spec.defaults(), **small.get(name, {})})
    b.output("y", h)
    return b.build()


def test_every_block_exports_to_onnx(tmp_path) -> None:
    onnx_export = pytest.importorskip("graphbuilder.compiler.onnx_export")
    graph = _chain_of_all_blocks()
    assert infer_shapes(graph).nodes["y"].feature_shape == (3,)
    report = onnx_export.export_onnx(graph, tmp_path / "blocks.onnx")
    assert report.verified and report.max_abs_diff <= report.tolerance


def test_residual_block_projects_only_when_needed() -> None:
    same = make_block("residual_basic", [64, 16, 16])
    assert not any("downsample" in n for n in same.nodes())
    wider = make_block("residual_basic", [64, 16, 16], out_channels=128, stride=2)
    assert "residual_basic.downsample.0" in wider.nodes()
    assert infer_shapes(wider).nodes["y"].feature_shape == (128, 8, 8)
    neck = make_block("residual_bottleneck", [64, 16, 16], planes=64)
    assert "residual_bottleneck.downsample.0" in neck.nodes()  # 64 -> 256 channels


def test_dense_block_channel_arithmetic() -> None:
    g = make_block("dense_block", [64, 16, 16], num_layers=6, growth_rate=32)
    assert infer_shapes(g).nodes["y"].feature_shape == (128, 8, 8)  # (64+192)/2, pooled
    g = make_block("dense_block", [64, 16, 16], num_layers=2, growth_rate=8,
                   transition=False)
    assert infer_shapes(g).nodes["y"].feature_shape == (80, 16, 16)


def test_unet_level_keeps_size_and_vit_embedding_counts_tokens() -> None:
    g = make_block("unet_level", [3, 32, 32], out_channels=16)
    assert infer_shapes(g).nodes["y"].feature_shape == (16, 32, 32)
    g = make_block("vit_patch_embedding", [3, 32, 32], patch_size=8, width=64)
    assert infer_shapes(g).nodes["y"].feature_shape == (17, 64)


def test_bad_requests_raise_block_error() -> None:
    with pytest.raises(BlockError, match="available"):
        make_block("nope", [3, 32, 32])
    with pytest.raises(BlockError, match="no parameter"):
        make_block("fire", [3, 32, 32], width=3)
    with pytest.raises(BlockError, match="at least 1"):
        make_block("fire", [3, 32, 32], squeeze=0)
    with pytest.raises(BlockError, match="image"):
        make_block("fire", [10, 5])
    with pytest.raises(BlockError, match="does not fit"):
        make_block("transformer_encoder", [10, 30], num_heads=4)  # 30 % 4 != 0


def test_blocks_are_reproducible() -> None:
    a = compile_graph(make_block("inception", [32, 8, 8]), seed=3)
    b = compile_graph(make_block("inception", [32, 8, 8]), seed=3)
    x = torch.randn(2, 32, 8, 8)
    assert torch.equal(a.eval()(x), b.eval()(x))
