"""Entry point of the desktop app: ``graphbuilder-gui [FILE|TEMPLATE]``.

Without an argument the built-in default design (template ``simple_cnn``) opens; a
crashed session's autosave is offered first.
"""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import QCoreApplication, Qt, QTimer
from PySide6.QtGui import QColor, QPainter, QPixmap
from PySide6.QtWidgets import QApplication, QSplashScreen

from graphbuilder.ui.theme import CATEGORY_COLORS, apply_theme, theme_named, ui_font

DEFAULT_TEMPLATE = "simple_cnn"


def create_app(argv: list[str] | None = None) -> QApplication:
    """The QApplication with our names set, so QSettings/QStandardPaths find our folders."""
    QCoreApplication.setOrganizationName("GraphBuilder")
    QCoreApplication.setOrganizationDomain("graphbuilder.dev")
    QCoreApplication.setApplicationName("GraphBuilder")
    app = QApplication.instance()
    if not isinstance(app, QApplication):
        app = QApplication(["graphbuilder", *(argv or [])])
    return app


def open_initial(window: object, arg: str | None) -> None:
    """Recovered work, else the file or template named on the command line, else default."""
    from graphbuilder.ui.main_window import MainWindow

    assert isinstance(window, MainWindow)
    if window.offer_recovery():
        return
    looks_like_file = bool(arg) and (arg.endswith(".json") or "/" in arg or "\\" in arg)
    if arg and (Path(arg).exists() or looks_like_file):
        if window.open_path(arg):  # a missing file is reported by open_path
            return
    elif arg:
        if window.open_template(arg):
            return
    window.open_template(DEFAULT_TEMPLATE)


def _splash(theme_name: str) -> QSplashScreen:
    """Torch takes seconds to import: say so instead of showing nothing."""
    theme = theme_named(theme_name)
    pix = QPixmap(420, 160)
    pix.fill(theme.c("window"))
    p = QPainter(pix)
    p.setPen(theme.c("text"))
    p.setFont(ui_font(20, bold=True))
    p.drawText(24, 64, "GraphBuilder")
    p.setFont(ui_font(10))
    p.setPen(theme.c("subtext"))
    p.drawText(24, 96, "Design networks by drawing them")
    for i, color in enumerate(CATEGORY_COLORS.values()):
        p.fillRect(24 + i * 28, 122, 22, 8, QColor(color))
    p.end()
    splash = QSplashScreen(pix)
    splash.showMessage("Loading PyTorch…", Qt.AlignmentFlag.AlignBottom
                       | Qt.AlignmentFlag.AlignRight, theme.c("subtext"))
    return splash


def warm_up() -> None:
    """Run shape inference once on a tiny design: pays torch's lazy imports now."""
    from graphbuilder.compiler.shapes import infer_shapes
    from graphbuilder.core.builder import NetBuilder

    b = NetBuilder("warm-up")
    x = b.input("x", [3, 8, 8])
    h = b.add("c", "Conv2d", x, out_channels=4)
    h = b.add("n", "BatchNorm2d", h)
    b.output("y", b.add("r", "ReLU", h))
    infer_shapes(b.build(layout=False))


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    app = create_app()
    from PySide6.QtCore import QSettings

    theme = str(QSettings().value("view/theme", "light"))
    apply_theme(app, theme_named(theme))
    splash = _splash(theme)
    splash.show()
    app.processEvents()
    from graphbuilder.ui.main_window import MainWindow

    warm_up()
    window = MainWindow()
    window.show()
    splash.finish(window)
    QTimer.singleShot(0, lambda: open_initial(window, args[0] if args else None))
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
