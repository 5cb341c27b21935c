"""One-click fixes repair the graph in one undoable step (graphbuilder.core.fixes)."""

from __future__ import annotations

from graphbuilder.compiler.shapes import infer_shapes
from graphbuilder.core.builder import NetBuilder
from graphbuilder.core.fixes import all_fixes, suggest_fixes
from graphbuilder.core.graph import ModelGraph


def _shapes(graph: ModelGraph) -> dict:
    return {n: i.shape for n, i in infer_shapes(graph).nodes.items()}


def _apply(graph: ModelGraph, node: str, index: int = 0) -> None:
    fixes = suggest_fixes(graph, _shapes(graph), node)
    assert fixes, f"no fix for {node}"
    fixes[index].command.do(graph)


def _residual(stride: int, out: int) -> ModelGraph:
    b = NetBuilder("res")
    x = b.input("x", [16, 32, 32])
    h = b.add("conv1", "Conv2d", x, out_channels=out, kernel_size=3, stride=stride, padding=1)
    h = b.add("relu", "ReLU", h)
    s = b.add("add", "Add", [h, x])
    b.output("y", s)
    return b.build()


def test_projection_shortcut_matches_channels_and_stride() -> None:
    g = _residual(2, 32)
    assert not infer_shapes(g).ok
    before = g.copy()
    fixes = suggest_fixes(g, _shapes(g), "add")
    assert "stride 2" in fixes[0].title
    fixes[0].command.do(g)
    report = infer_shapes(g)
    assert report.ok, report.errors
    proj = [n for n in g.nodes() if g.op(n) == "Conv2d" and n != "conv1"][0]
    assert g.params(proj)["stride"] == 2 and g.params(proj)["out_channels"] == 32
    assert g.inputs_of(proj)["in"] == "x"  # on the skip path, not the main one
    fixes[0].command.undo(g)
    assert sorted(g.nodes()) == sorted(before.nodes())
    assert set(g.edges()) == set(before.edges())


def test_linear_on_image_gets_flatten_or_pool() -> None:
    for index, op in ((0, "Flatten"), (1, "GlobalAvgPool2d")):
        b = NetBuilder("bad")
        x = b.input("x", [3, 8, 8])
        b.output("y", b.add("fc", "Linear", x, out_features=4))
        g = b.build()
        _apply(g, "fc", index)
        assert infer_shapes(g).ok
        assert g.op(g.inputs_of("fc")["in"]) == op


def test_concat_spatial_mismatch_crop_and_resize() -> None:
    for index in (0, 1):
        b = NetBuilder("unet")
        x = b.input("x", [4, 16, 16])
        small = b.add("pool", "MaxPool2d", x)
        c = b.add("cat", "Concat", [small, x])
        b.output("y", c)
        g = b.build()
        assert not infer_shapes(g).ok
        _apply(g, "cat", index)
        assert infer_shapes(g).ok, infer_shapes(g).errors


def test_attention_heads_adjusted() -> None:
    b = NetBuilder("attn")
    x = b.input("x", [10, 48])
    b.output("y", b.add("mha", "MultiheadAttention", x, num_heads=5))
    g = b.build()
    fixes = all_fixes(g, _shapes(g))
    assert list(fixes) == ["mha"]
    fixes["mha"][0].command.do(g)
    assert infer_shapes(g).ok
    assert 48 % g.params("mha")["num_heads"] == 0


def test_no_fix_for_valid_graph() -> None:
    g = _residual(1, 16)
    assert infer_shapes(g).ok
    assert all_fixes(g, _shapes(g)) == {}
