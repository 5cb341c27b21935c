"""Dashboard test setup: offscreen Qt, a stand-in main window, tiny designs.

The stand-in provides exactly what docs/CONTRACTS.md promises the dashboard (graph,
undo_stack, menus, set_editing_locked, statusBar), so these tests pin the contract
rather than the real editor's internals; one test also installs into the real window.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import pytest  # noqa: E402
import torch  # noqa: E402
from PySide6.QtCore import QCoreApplication, QSettings, QStandardPaths  # noqa: E402
from PySide6.QtGui import QUndoStack  # noqa: E402
from PySide6.QtWidgets import QMainWindow, QMenu, QMessageBox  # noqa: E402

from graphbuilder.core.builder import NetBuilder  # noqa: E402
from graphbuilder.core.graph import ModelGraph  # noqa: E402

torch.set_num_threads(1)
QCoreApplication.setOrganizationName("GraphBuilderTests")
QCoreApplication.setApplicationName("GraphBuilderTrainingTests")
QSettings.setDefaultFormat(QSettings.Format.IniFormat)
QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope,
                  tempfile.mkdtemp(prefix="gb-training-settings-"))
QStandardPaths.setTestModeEnabled(True)

TINY = {"data": {"dataset": "spirals", "batch_size": 32, "size": 320, "val_fraction": 0.25},
        "epochs": 3, "optimizer": {"name": "adam", "lr": 0.01}}


def mlp_graph(in_features: int = 2, classes: int = 2, hidden: int = 16) -> ModelGraph:
    b = NetBuilder("tiny_mlp")
    x = b.input("x", [in_features])
    h = b.add("act1", "ReLU", b.add("fc1", "Linear", x, out_features=hidden))
    b.output("y", b.add("fc2", "Linear", h, out_features=classes))
    g = b.build()
    g.training = {k: (dict(v) if isinstance(v, dict) else v) for k, v in TINY.items()}
    return g


class StandInWindow(QMainWindow):
    """The CONTRACTS.md hook and nothing else."""

    def __init__(self, graph: ModelGraph) -> None:
        super().__init__()
        self.graph = graph
        self.undo_stack = QUndoStack(self)
        self.menus = {"Run": self.menuBar().addMenu("Run")}
        self.locks: list[tuple[bool, str]] = []
        self.locked = False

    def set_editing_locked(self, locked: bool, reason: str = "") -> None:
        self.locked = locked
        self.locks.append((locked, reason))

    def menu(self) -> QMenu:
        return self.menus["Run"]


@pytest.fixture(autouse=True)
def no_modal_dialogs(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    shown: list[str] = []

    def fake(parent: Any, title: str, text: str, *a: Any, **k: Any) -> Any:
        shown.append(f"{title}: {text}")
        return QMessageBox.StandardButton.Ok

    for kind in ("warning", "critical", "information", "question"):
        monkeypatch.setattr(QMessageBox, kind, staticmethod(fake))
    return shown


@pytest.fixture
def host(qtbot: Any, tmp_path: Path, dispose: Any) -> Any:
    """A stand-in window with the dashboard installed; threads are joined afterwards."""
    from graphbuilder.ui.training import install_training_ui

    win = StandInWindow(mlp_graph())
    qtbot.addWidget(win)
    panel = install_training_ui(win, runs_root=tmp_path / "runs")
    win.resize(1300, 800)
    win.show()
    yield win
    panel.shutdown()
    dispose(win)
