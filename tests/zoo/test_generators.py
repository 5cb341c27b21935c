"""Generator parameters the templates promise (U-Net sizes, ViT tokens, ResNet layout)."""

from __future__ import annotations

import pytest

from graphbuilder.compiler.shapes import infer_shapes
from graphbuilder.zoo import generate, resnet, sequence, unet, vit
from graphbuilder.zoo.catalog import load_template


def _out(graph) -> tuple[int, ...]:
    report = infer_shapes(graph)
    assert report.ok, report.blocking[:3]
    return report.nodes["y"].feature_shape


@pytest.mark.parametrize(("cin", "classes", "size"), [(1, 2, 64), (3, 4, 32), (4, 7, 48)])
def test_unet_output_matches_input_size(cin: int, classes: int, size: int) -> None:
    graph = unet.unet(in_channels=cin, num_classes=classes, size=size)
    assert _out(graph) == (classes, size, size)
    report = infer_shapes(graph)
    widths = sorted({report.nodes[n].feature_shape[0] for n in graph.nodes()
                     if n.startswith(("inc.", "down")) and n.endswith("relu2")})
    assert widths == [64, 128, 256, 512, 1024]
    assert any(graph.op(n) == "ConvTranspose2d" for n in graph.nodes())


def test_unet_rejects_sizes_it_cannot_restore() -> None:
    with pytest.raises(ValueError, match="divisible by 16"):
        unet.unet(size=40)


def test_fcn_and_shipped_unet_fit_the_shapes_seg_dataset() -> None:
    for name in ("unet", "fcn"):
        graph = load_template(name)
        assert _out(graph) == (4, 32, 32)
        assert graph.training["data"]["dataset"] == "shapes_seg"


def test_vit_tiny_tokens_and_names() -> None:
    graph = vit.vit_tiny()
    report = infer_shapes(graph)
    assert report.nodes["encoder.ln"].feature_shape == (65, 128)  # 8x8 patches + class
    assert report.nodes["encoder.pos_embedding"].shape == (1, 65, 128)
    assert _out(graph) == (3,)
    assert "encoder.layers.encoder_layer_5.mlp.3" in graph.nodes()
    with pytest.raises(ValueError, match="multiple of the patch"):
        vit.vit("bad", size=30, patch=4, width=8, depth=1, num_heads=1, mlp_dim=8,
                num_classes=2, title="", description="", training={})


def test_resnet152_layout_and_groups() -> None:
    graph = load_template("resnet152")
    blocks = [g for g in graph.groups if g.startswith("layer")]
    assert len(blocks) == 3 + 8 + 36 + 3
    assert {"stem", "head"} <= set(graph.groups)
    assert "layer3.35.conv3" in graph.nodes() and "layer4.0.downsample.1" in graph.nodes()
    assert _out(resnet.resnet(18, num_classes=10, size=32)) == (10,)


def test_sequence_models_fit_the_sequence_dataset() -> None:
    for graph in (sequence.lstm_classifier(), sequence.transformer_classifier()):
        assert graph.params("x")["shape"] == [24, 1] and _out(graph) == (3,)
    tokens = sequence.transformer_classifier(vocab=500, seq_len=16)
    assert tokens.params("x") == {"shape": [16], "dtype": "int64"}
    assert _out(tokens) == (3,)


def test_generate_cli_writes_and_checks(tmp_path, capsys) -> None:
    assert generate.main(["mlp", "lenet5", "--out", str(tmp_path)]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["lenet5.json", "mlp.json"]
    assert generate.main(["mlp", "--check", "--out", str(tmp_path)]) == 0
    (tmp_path / "mlp.json").write_text("{}", encoding="utf-8")
    assert generate.main(["mlp", "--check", "--out", str(tmp_path)]) == 1
    assert "mlp" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        generate.main(["no_such_template"])
