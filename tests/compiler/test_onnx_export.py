"""ONNX export is checked numerically against PyTorch and fails loudly otherwise.

Most cases use the fast TorchScript exporter; a few go through the default (dynamo)
path so that both stay covered without making the suite slow.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest
import torch

from graphbuilder.compiler import onnx_export
from graphbuilder.compiler.fx_compile import compile_graph, example_inputs
from graphbuilder.compiler.onnx_export import ExportError, export_onnx, verify_onnx
from graphbuilder.core.builder import NetBuilder
from graphbuilder.core.errors import GraphInvalidError
from graphbuilder.core.graph import ModelGraph


def one_op(op: str, shape: list[int], dtype: str = "float32", **params) -> ModelGraph:
    b = NetBuilder(op.lower())
    b.output("y", b.add("n", op, b.input("x", shape, dtype=dtype), **params))
    return b.build()


def resize_like(mode: str, size: tuple[int, int], like: tuple[int, int]) -> ModelGraph:
    b = NetBuilder("resize")
    x = b.input("x", [2, *size])
    ref = b.input("ref", [1, *like])
    b.output("y", b.add("rz", "ResizeLike", x, ref, mode=mode))
    return b.build()


def two_heads() -> ModelGraph:
    b = NetBuilder("two heads")
    h = b.add("trunk", "Linear", b.input("x", [6]), out_features=5)
    b.output("logits", b.add("cls", "Linear", h, out_features=3))
    b.output("prob", b.add("soft", "Softmax", h))
    return b.build()


def tokens() -> ModelGraph:
    b = NetBuilder("tokens")
    h = b.add("emb", "Embedding", b.input("ids", [9], dtype="int64"), num_embeddings=12,
              embedding_dim=8)
    h = b.add("attn", "MultiheadAttention", h, num_heads=2)
    b.output("y", b.add("pool", "Mean", h, dim=0))
    return b.build()


TORCHSCRIPT_CASES = {
    "upsample-nearest": one_op("Upsample", [3, 4, 5], scale_factor=2.0),
    "upsample-nearest-frac": one_op("Upsample", [3, 5, 5], scale_factor=1.5),
    "upsample-bilinear": one_op("Upsample", [3, 4, 5], scale_factor=1.5, mode="bilinear"),
    "upsample-bilinear-corners": one_op("Upsample", [3, 4, 5], scale_factor=2.0,
                                        mode="bilinear", align_corners=True),
    "upsample-bilinear-tiny": one_op("Upsample", [3, 1, 1], scale_factor=3.0, mode="bilinear"),
    "upsample-bilinear-shrink": one_op("Upsample", [3, 8, 8], scale_factor=0.5,
                                       mode="bilinear"),
    "upsample-linear": one_op("Upsample", [3, 6], scale_factor=2.5, mode="linear"),
    "upsample-linear-corners": one_op("Upsample", [3, 6], scale_factor=2.0, mode="linear",
                                      align_corners=True),
    "resize-nearest": resize_like("nearest", (5, 7), (9, 4)),
    "resize-bilinear": resize_like("bilinear", (5, 7), (9, 4)),
    "resize-bilinear-to-1x1": resize_like("bilinear", (6, 6), (1, 1)),
    "lstm": one_op("LSTM", [7, 5], hidden_size=6, num_layers=2, bidirectional=True),
    "gru-last": one_op("GRU", [7, 5], hidden_size=6, output="last"),
    "rnn-relu": one_op("RNN", [7, 5], hidden_size=6, nonlinearity="relu"),
    "mha": one_op("MultiheadAttention", [7, 16], num_heads=4),
    "conv-transpose": one_op("ConvTranspose2d", [4, 5, 5], out_channels=3, kernel_size=3,
                             stride=2, padding=1, output_padding=1),
    "two-heads": two_heads(),
    "tokens": tokens(),
}


@pytest.mark.parametrize("name", sorted(TORCHSCRIPT_CASES))
def test_export_matches_pytorch(name: str, tmp_path: Path) -> None:
    graph = TORCHSCRIPT_CASES[name]
    path = tmp_path / f"{name}.onnx"
    report = export_onnx(graph, path, exporter="torchscript")
    assert report.verified and report.exporter == "torchscript"
    assert isinstance(report.opset, int) and report.opset >= 17
    assert report.max_abs_diff is not None and report.max_abs_diff <= report.tolerance
    assert report.input_names == graph.input_nodes()
    assert report.output_names == graph.output_nodes()
    _check_dynamic_batch(graph, path)


def _check_dynamic_batch(graph: ModelGraph, path: Path) -> None:
    """The file runs at batch sizes it was not exported with, with the graph's names."""
    model = onnx.load(str(path))
    assert [i.name for i in model.graph.input] == graph.input_nodes()
    assert [o.name for o in model.graph.output] == graph.output_nodes()
    gm = compile_graph(graph, seed=0).eval()
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    for batch in (1, 5):
        xs = example_inputs(gm, batch=batch)
        outs = session.run(None, {n: x.numpy() for n, x in zip(graph.input_nodes(), xs,
                                                                strict=True)})
        assert all(o.shape[0] == batch for o in outs)


@pytest.mark.parametrize("name", ["two-heads", "tokens", "lstm", "upsample-bilinear"])
def test_default_dynamo_exporter(name: str, tmp_path: Path) -> None:
    graph = TORCHSCRIPT_CASES[name]
    path = tmp_path / "m.onnx"
    report = export_onnx(graph, path)
    assert report.verified and report.exporter == "dynamo" and not report.notes
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.onnx"]  # no .data file
    _check_dynamic_batch(graph, path)


def test_auto_falls_back_when_dynamo_cannot_lower_an_op(tmp_path: Path) -> None:
    b = NetBuilder("sdpa")
    x = b.input("x", [5, 8])
    b.output("y", b.add("att", "ScaledDotProductAttention", x, x, x, is_causal=True))
    graph = b.build()
    report = export_onnx(graph, tmp_path / "sdpa.onnx")
    assert report.verified and report.exporter == "torchscript"
    assert any("dynamo" in n for n in report.notes)


def test_dynamo_handles_what_torchscript_refuses(tmp_path: Path) -> None:
    """Adaptive pooling to a size that does not divide the input: TorchScript gives up
    (loudly), dynamo exports it exactly. This is why ``auto`` tries dynamo first."""
    graph = one_op("AdaptiveAvgPool2d", [2, 4, 8], output_size=[3, 3])
    with pytest.raises(ExportError, match="torchscript exporter"):
        export_onnx(graph, tmp_path / "a.onnx", exporter="torchscript")
    assert not list(tmp_path.iterdir())
    report = export_onnx(graph, tmp_path / "a.onnx")
    assert report.verified and report.exporter == "dynamo"


def test_wrong_export_fails_loudly_and_leaves_no_file(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    gm = compile_graph(two_heads(), seed=0)
    real_export = torch.onnx.export

    def sabotaged(model, *args, **kwargs):  # writes a model with different weights
        with torch.no_grad():
            model.trunk.weight.add_(0.01)
        try:
            return real_export(model, *args, **kwargs)
        finally:
            with torch.no_grad():
                model.trunk.weight.sub_(0.01)

    monkeypatch.setattr(onnx_export.torch.onnx, "export", sabotaged)
    path = tmp_path / "bad.onnx"
    with pytest.raises(ExportError, match="differs from PyTorch") as info:
        export_onnx(gm, path, exporter="torchscript")
    assert isinstance(info.value, ValueError)
    assert not path.exists() and not list(tmp_path.iterdir())


def test_verify_detects_changed_weights(tmp_path: Path) -> None:
    gm = compile_graph(two_heads(), seed=0)
    path = tmp_path / "m.onnx"
    report = export_onnx(gm, path, verify=False, exporter="torchscript")
    assert not report.verified and report.max_abs_diff is None
    diff, tol = verify_onnx(gm, path)
    assert diff <= tol
    with torch.no_grad():
        gm.cls.bias.add_(1.0)
    with pytest.raises(ExportError, match="'logits' differs"):
        verify_onnx(gm, path)


def test_export_restores_modes_and_mha_fast_path(tmp_path: Path) -> None:
    gm = compile_graph(tokens(), seed=0).train()
    torch.backends.mha.set_fastpath_enabled(True)
    export_onnx(gm, tmp_path / "t.onnx", exporter="torchscript")
    assert gm.training and all(m.training for m in gm.modules())
    assert torch.backends.mha.get_fastpath_enabled()


def test_bad_requests(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="at least 2"):
        export_onnx(two_heads(), tmp_path / "a.onnx", batch=1)
    with pytest.raises(ValueError, match="exporter"):
        export_onnx(two_heads(), tmp_path / "a.onnx", exporter="tflite")
    broken = one_op("Linear", [3, 8, 8], out_features=2)
    with pytest.raises(GraphInvalidError, match="Flatten"):
        export_onnx(broken, tmp_path / "a.onnx")
    with pytest.raises(TypeError):
        export_onnx(torch.nn.Linear(2, 2), tmp_path / "a.onnx")  # type: ignore[arg-type]
    assert not list(tmp_path.iterdir())


def test_tolerance_scales_with_the_output() -> None:
    diff, scale = onnx_export._diff(np.array([1000.0, 2.0]), np.array([1000.01, 2.0]))
    assert diff == pytest.approx(0.01) and scale == pytest.approx(1000.01)
    nan_both, _ = onnx_export._diff(np.array([np.nan]), np.array([np.nan]))
    assert nan_both == 0.0
    nan_one, _ = onnx_export._diff(np.array([np.nan]), np.array([1.0]))
    assert np.isnan(nan_one)
