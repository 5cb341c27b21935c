"""An installed wheel must still find templates/ and resources/ (not only a checkout)."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    build = tmp_path_factory.mktemp("build")
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
         "--quiet", "-w", str(out), str(ROOT)],
        capture_output=True, text=True, cwd=build, timeout=300,
    )
    if proc.returncode != 0:
        pytest.fail(f"wheel build failed:\n{proc.stdout}\n{proc.stderr}")
    (whl,) = out.glob("graphbuilder-*.whl")
    return whl


def test_wheel_ships_every_template(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    shipped = {Path(n).name for n in names if n.startswith("graphbuilder/_templates/")}
    in_repo = {p.name for p in (ROOT / "templates").glob("*.json")}
    assert in_repo, "no templates in the repository"
    assert in_repo <= shipped


def test_wheel_finds_templates_when_installed(wheel: Path, tmp_path: Path) -> None:
    """Unpack the wheel alone (no checkout beside it) and ask resources.py for templates."""
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    code = (
        "import graphbuilder.resources as r; d = r.templates_dir(); "
        "print(d); assert (d / 'simple_cnn.json').is_file(), d"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=tmp_path, env={"PYTHONPATH": str(site), "PATH": ""})
    assert proc.returncode == 0, proc.stderr
    assert str(site) in proc.stdout
