"""Standalone code export: the file runs with torch alone and matches the compiled model."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from graphbuilder.compiler import code_export
from graphbuilder.compiler.code_export import CodeExportError, export_code, generate_code
from graphbuilder.compiler.fx_compile import compile_graph, example_inputs
from graphbuilder.core.builder import NetBuilder
from graphbuilder.core.graph import ModelGraph


def kitchen_sink() -> ModelGraph:
    """Nested ids, numeric segments, Parameters, several inputs/outputs, odd ops."""
    b = NetBuilder("kitchen sink", "A bit of everything.")
    img = b.input("img", [3, 16, 16])
    ids = b.input("ids", [6], dtype="int64")
    h = b.add("stem.conv", "Conv2d", img, out_channels=8, kernel_size=[3, 1], padding="same",
              padding_mode="reflect")
    with b.scope("blocks.0"):
        a = b.add("bn", "BatchNorm2d", h)
        a = b.add("dw", "DepthwiseConv2d", a, stride=2)
        a = b.add("up", "ConvTranspose2d", a, out_channels=8, output_padding=0)
        h = b.add("add", "Add", [a, h])
    h = b.add("pool", "MaxPool2d", h, kernel_size=2)
    up = b.add("upsample", "Upsample", h, mode="bilinear", align_corners=True)
    crop = b.add("crop", "CenterCropLike", up, h)
    cat = b.add("cat", "Concat", [crop, h])
    toks = b.add("tokens", "ImageToTokens", cat)
    toks = b.add("proj", "Linear", toks, out_features=16)
    cls = b.param("cls_token", [1, 1, 16], init="trunc_normal")
    toks = b.add("prepend", "PrependToken", toks, cls)
    toks = b.add("attn", "MultiheadAttention", toks, num_heads=4)
    emb = b.add("emb", "Embedding", ids, num_embeddings=7, embedding_dim=16, padding_idx=0)
    seq = b.add("lstm", "LSTM", emb, hidden_size=8, bidirectional=True, output="last")
    sdpa = b.add("sdpa", "ScaledDotProductAttention", toks, toks, toks)
    b.output("image_logits", b.add("head", "Linear", b.add("first", "SelectToken", sdpa),
                                   out_features=4))
    b.output("seq_features", b.add("ln", "LayerNorm", seq))
    return b.build()


def _load(path: Path, class_name: str) -> type:
    namespace: dict = {"__name__": "loaded"}
    exec(compile(path.read_text(), str(path), "exec"), namespace)  # noqa: S102
    return namespace[class_name]


def test_generated_file_matches_compiled_model(tmp_path: Path) -> None:
    graph = kitchen_sink()
    path = export_code(graph, tmp_path / "kitchen.py")
    source = path.read_text()
    imports = {n.names[0].name if isinstance(n, ast.Import) else n.module
               for n in ast.walk(ast.parse(source)) if isinstance(n, ast.Import | ast.ImportFrom)}
    assert imports <= {"torch", "torch.nn.functional", "torch.nn", "operator", "math"}, imports
    assert "graphbuilder" not in source.split('"""', 2)[2]  # only the docstring mentions it
    assert "class KitchenSink(nn.Module):" in source
    cls = _load(path, "KitchenSink")
    gm = compile_graph(graph, seed=5).eval()
    model = cls().eval()
    assert set(model.state_dict()) == set(gm.state_dict())
    model.load_state_dict(gm.state_dict(), strict=True)
    xs = example_inputs(gm, batch=3, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        want, got = gm(*xs), model(*xs)
    assert len(want) == len(got) == 2
    for w, g in zip(want, got, strict=True):
        assert torch.equal(w, g)


def test_generated_file_runs_in_a_fresh_interpreter(tmp_path: Path) -> None:
    path = export_code(kitchen_sink(), tmp_path / "kitchen.py")
    result = subprocess.run([sys.executable, "-I", str(path)], capture_output=True, text=True,
                            timeout=120, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[(2, 4), (2, 16)]"


def test_code_reads_like_handwritten_torch() -> None:
    b = NetBuilder("mlp")
    h = b.add("fc1", "Linear", b.input("x", [6]), out_features=4)
    h = b.add("act1", "Sigmoid", h)
    b.output("y", b.add("fc2", "Linear", h, out_features=1, bias=False))
    source = generate_code(b.build())
    assert "self.fc1 = nn.Linear(6, 4)" in source
    assert "self.fc2 = nn.Linear(4, 1, bias=False)" in source
    assert "self.act1 = nn.Sigmoid()" in source
    assert "fc1 = self.fc1(x)" in source and "= None" not in source
    compile(source, "mlp.py", "exec")


def test_user_text_cannot_break_the_file() -> None:
    import warnings

    b = NetBuilder('odd "name" \\ """', 'C:\\new\\data """ end"')
    b.output("y", b.add("act", "ReLU", b.input("x", [3])))
    source = generate_code(b.build())
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no invalid-escape warnings either
        compile(source, "odd.py", "exec")
    assert "C:\\\\new\\\\data" in source


def test_class_name_avoids_imported_names() -> None:
    b = NetBuilder("F")
    b.output("y", b.add("act", "ReLU", b.input("x", [3])))
    source = generate_code(b.build())
    assert "class FNet(nn.Module):" in source


@pytest.mark.parametrize("module", [
    torch.nn.Conv2d(3, 8, (3, 5), stride=2, padding=1, bias=False),
    torch.nn.Conv1d(2, 4, 3, padding="same", padding_mode="circular"),
    torch.nn.LSTM(4, 8, num_layers=2, batch_first=True, dropout=0.2, bidirectional=True),
    torch.nn.RNN(4, 8, nonlinearity="relu", batch_first=True),
    torch.nn.MultiheadAttention(16, 4, bias=False, kdim=8, vdim=12, batch_first=True),
    torch.nn.MaxPool2d((2, 2), stride=1, ceil_mode=True),
    torch.nn.LayerNorm([3, 4], elementwise_affine=False),
    torch.nn.Upsample(scale_factor=1.5, mode="bilinear", align_corners=True),
    torch.nn.Embedding(10, 4, padding_idx=3),
])
def test_module_source_rebuilds_exactly(module: torch.nn.Module) -> None:
    source = code_export.module_source(module)
    rebuilt = eval(source, {"nn": torch.nn, "torch": torch})  # noqa: S307
    assert repr(rebuilt) == repr(module)
    assert {k: v.shape for k, v in rebuilt.state_dict().items()} == \
        {k: v.shape for k, v in module.state_dict().items()}


def test_modules_outside_torch_nn_are_refused() -> None:
    class Custom(torch.nn.Module):
        pass

    with pytest.raises(CodeExportError, match="not a torch.nn class"):
        code_export.module_source(Custom())


def test_broken_generated_code_is_caught(tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    b = NetBuilder("mlp")
    b.output("y", b.add("fc", "Linear", b.input("x", [6]), out_features=2))
    real = code_export._forward_lines

    def wrong_forward(gm):
        lines, header = real(gm)
        return [ln.replace("return fc", "return -fc") for ln in lines], header

    monkeypatch.setattr(code_export, "_forward_lines", wrong_forward)
    with pytest.raises(CodeExportError, match="something else"):
        export_code(b.build(), tmp_path / "m.py")
    assert not (tmp_path / "m.py").exists()
