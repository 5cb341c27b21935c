"""Reproducible screenshots of the editor for the docs.

    QT_QPA_PLATFORM=offscreen python -m graphbuilder.ui.screenshots docs/screenshots

Writes ``editor_template.png`` (ResNet-18 with a node selected), ``editor_error.png``
(a Linear fed an image, its fixes offered), ``editor_palette.png`` (palette search and
a freshly added layer), ``editor_dark.png``, ``editor_resnet152_collapsed.png`` (every
block folded to one box) and ``editor_templates.png`` (the template browser).
Settings and autosaves go to a temporary folder, never the user's.
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QPointF, QSettings
from PySide6.QtWidgets import QApplication

from graphbuilder.core.commands import ConnectCommand, MacroCommand, RemoveNodesCommand
from graphbuilder.ui.app import create_app
from graphbuilder.ui.theme import apply_theme, theme_named


def _pump(app: QApplication, n: int = 6) -> None:
    for _ in range(n):
        app.processEvents()


def shoot(out: Path, theme: str, template: str, name: str,
          arrange: Callable[[object, QApplication], None]) -> Path:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    QSettings().setValue("view/theme", theme)
    apply_theme(app, theme_named(theme))
    from graphbuilder.ui.main_window import MainWindow

    w = MainWindow(recovery_dir=Path(tempfile.mkdtemp()), install_training=False)
    w.resize(1440, 900)
    w.show()
    w.open_template(template)
    _pump(app)
    arrange(w, app)
    _pump(app)
    if w.view.minimap is not None:
        w.view.minimap.fit()
    _pump(app)
    path = out / name
    w.grab().save(str(path))
    w.undo_stack.setClean()
    w.close()
    return path


def _template(w, app) -> None:  # noqa: ANN001
    w.view.reset_zoom()
    w.view.zoom_by(0.9)
    w.scene.select_nodes(["layer2.0.conv1"])
    w.view.centerOn(w.scene.nodes["layer2.0.relu1"])


def _error(w, app) -> None:  # noqa: ANN001
    w.editor.execute(MacroCommand("Remove flatten", [
        RemoveNodesCommand(["head.flatten"]), ConnectCommand("stage2.pool", "head.fc1", "in")]))
    w.analysis.run_now()
    _pump(app)
    w.scene.select_nodes(["head.fc1"])
    w.view.reset_zoom()
    w.view.zoom_by(0.9)
    w.view.centerOn(w.scene.nodes["head.fc1"])
    w.problems.tree.setCurrentItem(w.problems.tree.topLevelItem(0))


def _palette(w, app) -> None:  # noqa: ANN001
    w.palette.search.setText("norm")
    w.scene.select_nodes(["stage1.conv"])
    w.palette_activated("op", "BatchNorm2d")
    w.analysis.run_now()
    _pump(app)
    w.palette.tree.setCurrentItem(w.palette.find_item("BatchNorm2d"))
    w.view.reset_zoom()
    w.view.centerOn(w.scene.nodes[w.scene.selected_node_ids()[0]])


def _dark(w, app) -> None:  # noqa: ANN001
    w.view.reset_zoom()
    w.view.zoom_by(0.75)
    w.scene.select_nodes(["up3.concat"])
    w.view.centerOn(w.scene.nodes["up3.concat"].pos() + QPointF(120, 0))


def _collapsed(w, app) -> None:  # noqa: ANN001
    w.set_all_groups(True)
    _pump(app)
    w.auto_layout("TB")
    _pump(app)
    w.view.reset_zoom()
    w.view.zoom_by(0.8)
    w.scene.select_nodes(["layer2.3.conv2"])
    w.view.centerOn(w.scene.collapsed["layer2.3"])


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    out = Path(args[0] if args else "docs/screenshots")
    out.mkdir(parents=True, exist_ok=True)
    app = create_app()
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, tempfile.mkdtemp())
    made = [
        shoot(out, "light", "resnet18", "editor_template.png", _template),
        shoot(out, "light", "simple_cnn", "editor_error.png", _error),
        shoot(out, "light", "simple_cnn", "editor_palette.png", _palette),
        shoot(out, "dark", "unet", "editor_dark.png", _dark),
        shoot(out, "light", "resnet152", "editor_resnet152_collapsed.png", _collapsed),
    ]
    from graphbuilder.ui.template_browser import TemplateBrowser

    apply_theme(app, theme_named("light"))
    dialog = TemplateBrowser(theme_named("light"))
    dialog.show()
    dialog.select("resnet50")
    _pump(app)
    made.append(out / "editor_templates.png")
    dialog.grab().save(str(made[-1]))
    dialog.close()
    dialog.deleteLater()
    _pump(app)
    for path in made:
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
