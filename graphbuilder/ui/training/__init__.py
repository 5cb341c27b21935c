"""The training dashboard (issue #6), plugged into the editor by :func:`install_training_ui`.

Qt only: the engine it drives is :mod:`graphbuilder.training` (Qt-free). One concept per
module: ``settings_form``/``fields`` (the run config), ``worker`` (thread + events),
``controls``/``banner`` (run control, errors), ``plots``/``history``/``hover`` (live
curves), ``lr_view``/``sweep_view``/``lr_layout``/``jobs`` (LR range test, sweep; the LR tab's
arrangement), ``runs`` (kept runs, comparison), ``evaluate``/``predictions`` (validation
predictions), ``panel`` (all of it together), and:

- ``run_events``: the panel's handling of a job's events (to the views, progress, wrap-up);
- ``schedule_preview``: the LR-vs-step curve beside the schedule settings (real schedulers);
- ``arrange``: the live plots' grid and the settings form, arranged for the room they get.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QApplication, QDockWidget, QFrame, QScrollArea

from graphbuilder.ui.training.panel import TrainingPanel

__all__ = ["TrainingPanel", "install_training_ui"]


def install_training_ui(window: Any, runs_root: str | Path | None = None) -> TrainingPanel:
    """Add the "Training" dock and the Run menu entries to ``window``.

    ``window`` provides what docs/CONTRACTS.md lists: ``graph``, ``undo_stack``,
    ``menus`` (a dict of QMenu, "Run" used if present), ``set_editing_locked`` and
    ``statusBar()``. Returns the panel (also stored as ``window.training_panel``).
    """
    panel = TrainingPanel(window, runs_root)
    dock = QDockWidget("Training", window)
    dock.setObjectName("dock_training")
    # In a scroll area the dock may be shorter than the panel's natural height, so the
    # canvas keeps its room while designing; the user enlarges the dock to watch a run.
    scroll = QScrollArea()
    scroll.setWidgetResizable(True)
    scroll.setFrameShape(QFrame.Shape.NoFrame)
    scroll.setWidget(panel)
    dock.setWidget(scroll)
    window.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, dock)
    problems = getattr(window, "docks", {}).get("problems")
    if problems is not None:
        window.splitDockWidget(problems, dock, Qt.Orientation.Horizontal)
        window.resizeDocks([problems, dock], [300, 1100], Qt.Orientation.Horizontal)
    docks = [problems, dock] if problems is not None else [dock]
    window.resizeDocks(docks, [260] * len(docks), Qt.Orientation.Vertical)
    window.training_panel = panel
    window.training_dock = dock
    _add_actions(window, panel, dock)
    if not hasattr(window, "confirm_stop_training"):  # a host that doesn't ask before
        window.installEventFilter(panel)  # closing: its Close event stops the run
    app = QApplication.instance()
    if app is not None:
        app.aboutToQuit.connect(panel.shutdown)
    dark = getattr(window, "actions_", {}).get("dark")
    if dark is not None:  # follow the editor's light/dark switch
        dark.toggled.connect(lambda _: QTimer.singleShot(
            0, lambda: panel.set_theme(getattr(window, "theme", None))))
    if hasattr(window, "docks"):
        window.docks["training"] = dock
    return panel


def _add_actions(window: Any, panel: TrainingPanel, dock: QDockWidget) -> None:
    menu = getattr(window, "menus", {}).get("Run")
    if menu is None:
        return

    def show_dock() -> None:
        dock.show()
        dock.raise_()
        if dock.height() < 420:  # room for the plots while a run is watched
            window.resizeDocks([dock], [460], Qt.Orientation.Vertical)

    specs = [
        ("Start training", "F5", lambda: (show_dock(), panel.start())),
        ("Pause / resume", "F6", panel.toggle_pause),
        ("Stop", "Shift+F5", panel.stop),
        (None, None, None),
        ("LR range test", None, lambda: (show_dock(), panel.lr_view.request_range())),
        ("Training dashboard", "Ctrl+Alt+T", show_dock),
    ]
    acts: dict[str, QAction] = {}
    for title, key, fn in specs:
        if title is None:
            menu.addSeparator()
            continue
        act = QAction(title, window)
        if key:
            act.setShortcut(QKeySequence(key))
        act.triggered.connect(lambda _=False, fn=fn: fn())
        menu.addAction(act)
        acts[title] = act

    def sync(busy: bool) -> None:
        training = panel.mode == "train"
        acts["Start training"].setEnabled(not busy)
        acts["LR range test"].setEnabled(not busy)
        acts["Pause / resume"].setEnabled(busy and training)
        acts["Stop"].setEnabled(busy)

    panel.busy_changed.connect(sync)
    sync(False)
    panel.run_actions = acts
