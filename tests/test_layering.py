"""The package layering is a rule, not a convention: check every import statically."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parent.parent / "graphbuilder"

# layer -> packages of ours it may import (besides itself)
ALLOWED = {
    "core": set(),
    "compiler": {"core"},
    "zoo": {"core", "compiler", "resources"},
    "training": {"core", "compiler"},
    "ui": {"core", "compiler", "zoo", "training", "resources"},
}
QT = ("PySide6", "pyqtgraph", "shiboken6")


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "graphbuilder":  # from graphbuilder import resources
                names += [f"graphbuilder.{a.name}" for a in node.names]
            else:
                names.append(node.module)
        elif (isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "import_module"
              and node.args and isinstance(node.args[0], ast.Constant)
              and isinstance(node.args[0].value, str)):
            names.append(node.args[0].value)  # importlib.import_module("graphbuilder.x")
    return names


def _files(layer: str) -> list[Path]:
    return sorted((PKG / layer).rglob("*.py"))


@pytest.mark.parametrize("layer", sorted(ALLOWED))
def test_layer_imports(layer: str) -> None:
    bad = []
    for path in _files(layer):
        for name in _imports(path):
            parts = name.split(".")
            if parts[0] == "graphbuilder" and len(parts) > 1:
                other = parts[1]
                if other != layer and other not in ALLOWED[layer]:
                    bad.append(f"{path.relative_to(PKG)} imports {name}")
            if layer != "ui" and parts[0] in QT:
                bad.append(f"{path.relative_to(PKG)} imports Qt ({name})")
    assert not bad, "layering violations:\n" + "\n".join(bad)


def test_cli_imports_no_qt() -> None:
    for name in _imports(PKG / "cli.py"):
        assert name.split(".")[0] not in QT


def test_import_linter_contracts_hold() -> None:
    """The same rules as import-linter contracts (pyproject.toml), for editors and CI alike."""
    import shutil
    import subprocess
    import sys

    exe = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    if exe is None:
        pytest.skip("import-linter is not installed")
    proc = subprocess.run([exe], capture_output=True, text=True, cwd=PKG.parent, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:]
