"""The ``graphbuilder`` command line: info, export, templates and one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys
import types
from pathlib import Path

import pytest
import torch

from graphbuilder import cli
from graphbuilder.compiler.fx_compile import compile_graph
from graphbuilder.core.builder import NetBuilder
from graphbuilder.core.fileformat import save_graph
from graphbuilder.core.graph import ModelGraph

ROOT = Path(__file__).resolve().parent.parent


def course_mlp() -> ModelGraph:
    b = NetBuilder("course mlp")
    h = b.add("act1", "Sigmoid", b.add("fc1", "Linear", b.input("x", [6]), out_features=4))
    h = b.add("act2", "Sigmoid", b.add("fc2", "Linear", h, out_features=3))
    b.output("y", b.add("fc3", "Linear", h, out_features=1))
    return b.build()


@pytest.fixture
def mlp_file(tmp_path: Path) -> Path:
    path = tmp_path / "mlp.json"
    save_graph(course_mlp(), path)
    return path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _one_error_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


def test_info_json_is_exact(capsys, mlp_file: Path) -> None:
    code, out, err = run(capsys, "info", str(mlp_file), "--json")
    assert code == 0 and err == ""
    assert json.loads(out) == {"params": 47, "trainable_params": 47, "outputs": {"y": [1]},
                               "errors": []}


def test_info_human(capsys, mlp_file: Path) -> None:
    code, out, _ = run(capsys, "info", str(mlp_file))
    assert code == 0
    assert "course mlp: 7 nodes, 47 parameters (47 trainable)" in out
    assert "fc1" in out and "Linear" in out and "output y: [1]" in out


def test_info_reports_graph_errors(capsys, tmp_path: Path) -> None:
    b = NetBuilder("broken")
    h = b.add("conv", "Conv2d", b.input("x", [3, 8, 8]), out_channels=4)
    b.output("y", b.add("fc", "Linear", h, out_features=2))
    save_graph(b.build(), tmp_path / "broken.json")
    code, out, _ = run(capsys, "info", str(tmp_path / "broken.json"), "--json")
    doc = json.loads(out)
    assert code == 1
    assert doc["outputs"] == {"y": None} and doc["params"] == 112
    assert [e["node"] for e in doc["errors"]] == ["fc"] and "Flatten" in doc["errors"][0]["message"]


def test_export_onnx(capsys, mlp_file: Path, tmp_path: Path) -> None:
    out_path = tmp_path / "out" / "mlp.onnx"
    code, out, err = run(capsys, "export", str(mlp_file), "--onnx", str(out_path),
                         "--exporter", "torchscript")
    assert code == 0, err
    assert out_path.exists() and "verified" in out and "torchscript" in out


def test_export_onnx_with_weights(capsys, mlp_file: Path, tmp_path: Path) -> None:
    import onnxruntime as ort

    gm = compile_graph(course_mlp(), seed=123)
    torch.save({"model": gm.state_dict(), "epoch": 3}, tmp_path / "ckpt.pt")
    out_path = tmp_path / "mlp.onnx"
    code, _, err = run(capsys, "export", str(mlp_file), "--onnx", str(out_path), "--weights",
                       str(tmp_path / "ckpt.pt"), "--exporter", "torchscript")
    assert code == 0, err
    x = torch.randn(3, 6)
    (got,) = ort.InferenceSession(str(out_path)).run(None, {"x": x.numpy()})
    torch.testing.assert_close(torch.from_numpy(got), gm(x).detach())


def test_export_code_runs(capsys, mlp_file: Path, tmp_path: Path) -> None:
    out_path = tmp_path / "mlp.py"
    code, out, err = run(capsys, "export", str(mlp_file), "--code", str(out_path))
    assert code == 0, err
    result = subprocess.run([sys.executable, "-I", str(out_path)], capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0 and result.stdout.strip() == "[(2, 1)]"


@pytest.mark.parametrize(("argv", "expected"), [
    (["info", "missing.json"], "no such file: missing.json"),
    (["info", "no_such_template_xyz"], "neither a file nor a template"),
    (["info", "{tmp}"], "is a folder"),
    (["info", "{tmp}/bad.json"], "not valid JSON"),
    (["export", "{tmp}/mlp.json", "--onnx", "{tmp}/m.onnx", "--weights", "{tmp}/bad.json"],
     "cannot read weights"),
    (["export", "{tmp}/mlp.json", "--onnx", "{tmp}/m.onnx", "--weights", "{tmp}/other.pt"],
     "do not fit this design"),
    (["export", "{tmp}/broken.json", "--onnx", "{tmp}/m.onnx"],
     "the graph has errors: fc: Linear acts on the last axis only"),
    (["export", "{tmp}/mlp.json", "--code", "{tmp}/m.py", "--weights", "{tmp}/other.pt"],
     "--weights only applies"),
])
def test_bad_input_gives_one_line(capsys, tmp_path: Path, argv: list[str],
                                  expected: str) -> None:
    save_graph(course_mlp(), tmp_path / "mlp.json")
    (tmp_path / "bad.json").write_text("{", encoding="utf-8")
    torch.save({"fc9.weight": torch.zeros(1)}, tmp_path / "other.pt")
    b = NetBuilder("broken")
    b.output("y", b.add("fc", "Linear", b.input("x", [3, 4, 4]), out_features=2))
    save_graph(b.build(), tmp_path / "broken.json")
    code, _, err = run(capsys, *[a.replace("{tmp}", str(tmp_path)) for a in argv])
    assert code == 1
    line = _one_error_line(err)
    assert line.startswith("graphbuilder: error: ") and expected in line, line


@pytest.mark.parametrize("argv", [[], ["export", "x.json"], ["info"], ["frobnicate"],
                                  ["export", "x.json", "--onnx", "a", "--code", "b"]])
def test_usage_errors(capsys, argv: list[str]) -> None:
    code = cli.main(argv)
    _, err = capsys.readouterr()
    assert code == 2
    if argv:
        assert "error:" in _one_error_line(err) and "see --help" in err
    else:
        assert "usage:" in err


def test_templates_and_template_names(capsys) -> None:
    pytest.importorskip("graphbuilder.zoo.catalog")
    from graphbuilder.zoo.catalog import template_names

    if "mlp" not in template_names():
        pytest.skip("the mlp template is not shipped yet")
    code, out, _ = run(capsys, "templates")
    assert code == 0 and "mlp" in out
    code, out, _ = run(capsys, "info", "mlp", "--json")
    assert code == 0 and json.loads(out)["errors"] == []


def test_training_commands_hook(capsys, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = types.ModuleType("graphbuilder.training.cli_commands")

    def add_commands(sub, load_source=None) -> None:
        assert callable(load_source)  # the CLI hands over its file-or-template loader
        p = sub.add_parser("train", help="train")
        p.add_argument("source")
        p.set_defaults(func=lambda args: 7 if args.source == "x" else 0)

    fake.add_commands = add_commands
    monkeypatch.setitem(sys.modules, "graphbuilder.training.cli_commands", fake)
    assert cli.main(["train", "x"]) == 7


def test_broken_training_module_does_not_break_the_cli(capsys, mlp_file: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    fake = types.ModuleType("graphbuilder.training.cli_commands")
    monkeypatch.setitem(sys.modules, "graphbuilder.training.cli_commands", fake)  # no function
    code, out, err = run(capsys, "--help")
    assert code == 0 and "info" in out and "export" in out
    assert "training commands unavailable" in err
    code, out, err = run(capsys, "info", str(mlp_file), "--json")
    assert code == 0 and json.loads(out)["params"] == 47


def test_python_dash_m(mlp_file: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "graphbuilder", "info", str(mlp_file),
                             "--json"], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["params"] == 47
    result = subprocess.run([sys.executable, "-m", "graphbuilder", "info", "nope.json"],
                            capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert result.returncode == 1
    assert _one_error_line(result.stderr) == "graphbuilder: error: no such file: nope.json"
