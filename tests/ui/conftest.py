"""GUI test setup: offscreen Qt, settings and app data in a temp folder, no modal dialogs."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QCoreApplication, QSettings, QStandardPaths  # noqa: E402
from PySide6.QtWidgets import QMessageBox  # noqa: E402

_SETTINGS_DIR = tempfile.mkdtemp(prefix="gb-ui-settings-")
QCoreApplication.setOrganizationName("GraphBuilderTests")
QCoreApplication.setApplicationName("GraphBuilderTests")
QSettings.setDefaultFormat(QSettings.Format.IniFormat)
QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, _SETTINGS_DIR)
QStandardPaths.setTestModeEnabled(True)


@pytest.fixture(autouse=True)
def no_modal_dialogs(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    shown: list[str] = []

    def record(kind: str):
        def fake(parent, title, text, *args, **kwargs):  # noqa: ANN001
            shown.append(f"{kind}: {title}: {text}")
            return QMessageBox.StandardButton.Ok
        return fake

    for kind in ("warning", "critical", "information"):
        monkeypatch.setattr(QMessageBox, kind, staticmethod(record(kind)))
    return shown


@pytest.fixture
def make_window(qtbot, tmp_path: Path, dispose):  # noqa: ANN001
    """Factory for main windows that close without asking and share a recovery dir."""
    from graphbuilder.ui.main_window import MainWindow

    made = []

    def make(template: str | None = "simple_cnn") -> MainWindow:
        w = MainWindow(recovery_dir=tmp_path / "recovery", install_training=False)
        w.ask_unsaved = lambda: QMessageBox.StandardButton.Discard
        qtbot.addWidget(w)
        w.resize(1200, 800)
        w.show()
        if template:
            assert w.open_template(template)
        made.append(w)
        return w

    yield make
    for w in made:
        dispose(w)


@pytest.fixture
def window(make_window):  # noqa: ANN001
    return make_window()
