"""Entry point of the desktop app: ``graphbuilder-gui [FILE|TEMPLATE]``.

Without an argument the built-in default design (template ``simple_cnn``) opens; a
crashed session's autosave is offered first.
"""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QTimer
from PySide6.QtWidgets import QApplication

from graphbuilder.ui.theme import apply_theme, theme_named

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
    if arg and Path(arg).exists():
        if window.open_path(arg):
            return
    elif arg:
        if window.open_template(arg):
            return
    window.open_template(DEFAULT_TEMPLATE)


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    app = create_app()
    from PySide6.QtCore import QSettings

    apply_theme(app, theme_named(str(QSettings().value("view/theme", "light"))))
    from graphbuilder.ui.main_window import MainWindow

    window = MainWindow()
    window.show()
    QTimer.singleShot(0, lambda: open_initial(window, args[0] if args else None))
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
