"""Make the dashboard screenshots in docs/screenshots/ (not a test; run it by hand).

    xvfb-run -a -s "-screen 0 1920x1200x24" .venv/bin/python \\
        tests/ui_training/screenshots.py [light|dark] [all|runs|lr]

(``QT_QPA_PLATFORM=offscreen`` gives the same pictures without an X server.)

The real main window at a common desktop size (1600x1000), the dashboard opened the way
a user does (Run > Training dashboard), ``simple_cnn`` on the built-in ``shapes`` set:

- ``runs``: a run paused mid-way (the whole window and the panel), three runs
  compared, the last one's predictions, the settings;
- ``lr``: an LR sweep and a range test with its suggestions, in the same 460 px dock:
  the three plots sit in a row there (the sweep's two stack when the dock is taller);
- ``all`` (default): both.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtWidgets import QApplication

OUT = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
WINDOW = (1600, 1000)


def wait(app: QApplication, cond, timeout: float = 600.0) -> None:  # noqa: ANN001
    t = time.monotonic()
    while not cond():
        app.processEvents()
        time.sleep(0.01)
        if time.monotonic() - t > timeout:
            raise TimeoutError
    for _ in range(5):
        app.processEvents()


def settle(app: QApplication, seconds: float = 0.3) -> None:
    """Let layouts, redraw timers and repaints run."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents()
        time.sleep(0.01)


def main(theme_name: str = "light", only: str = "all") -> None:
    import torch

    torch.set_num_threads(1)
    from graphbuilder.ui.app import create_app
    from graphbuilder.ui.main_window import MainWindow
    from graphbuilder.ui.theme import apply_theme, theme_named
    from graphbuilder.ui.training import install_training_ui

    QCoreApplication.setApplicationName("GraphBuilderScreenshots")
    app = create_app()
    theme = theme_named(theme_name)
    apply_theme(app, theme)
    w = MainWindow(recovery_dir=Path(tempfile.mkdtemp()) / "rec", install_training=False)
    w.theme = theme
    w.scene.set_theme(theme)
    w.ask_unsaved = lambda: None
    w.open_template("simple_cnn")
    panel = install_training_ui(w, runs_root=Path(tempfile.mkdtemp()) / "runs")
    panel.set_theme(theme)
    w.resize(*WINDOW)
    w.show()
    settle(app)
    panel.run_actions["Training dashboard"].trigger()  # what a user does to watch a run
    settle(app)
    suffix = "" if theme_name == "light" else "_dark"
    base = {"data": {"dataset": "shapes", "size": 1500, "batch_size": 32, "val_fraction": 0.2},
            "epochs": 8, "loss": "cross_entropy", "metrics": ["accuracy"], "seed": 0}

    def grab(widget, name: str) -> None:  # noqa: ANN001
        settle(app)
        widget.grab().save(str(OUT / f"{name}.png"))
        print("wrote", OUT / f"{name}.png")

    def configure(opt: dict, sched: dict) -> None:
        panel.commit_settings(panel.form.value() | base | {"optimizer": opt, "schedule": sched})
        panel.form.load(w.graph.training)

    def run(opt: dict, sched: dict, pause_at_epoch: int | None = None) -> None:
        done: list = []
        panel.run_finished.connect(done.append)
        configure(opt, sched)
        assert panel.start()
        if pause_at_epoch is not None:
            wait(app, lambda: len(panel.plots.history.epochs) >= pause_at_epoch
                 and len(panel.plots.history) > pause_at_epoch * 38 + 10)
            panel.toggle_pause()
            wait(app, lambda: panel.controls.paused)
            panel.plots.redraw(force=True)
            panel._update_progress()
            grab(w, f"dashboard_live{suffix}")
            grab(panel, f"dashboard_panel{suffix}")
            panel.toggle_pause()
        wait(app, lambda: bool(done))
        panel.run_finished.disconnect(done.append)

    if only in ("all", "runs"):
        run({"name": "adam", "lr": 0.002}, {"name": "cosine", "warmup_steps": 40},
            pause_at_epoch=4)
        run({"name": "sgd", "lr": 0.05, "momentum": 0.9}, {"name": "constant"})
        run({"name": "adamw", "lr": 0.004, "weight_decay": 0.01}, {"name": "onecycle"})
        panel.runs.refresh()
        panel.runs.set_checked(list(panel.runs.infos))
        panel.tabs.setCurrentWidget(panel.runs)
        first = panel.runs.tree.topLevelItem(0)
        panel.runs.tree.setCurrentItem(first)
        panel.runs.log_y.setChecked(True)  # final losses differ by 10x: show it
        grab(panel, f"dashboard_runs_compare{suffix}")
        done: list = []
        panel.eval_finished.connect(done.append)
        panel.evaluate_run(first.data(0, Qt.ItemDataRole.UserRole))  # the run's path
        wait(app, lambda: bool(done))
        grab(panel, f"dashboard_predictions{suffix}")
        panel.tabs.setCurrentWidget(panel.form)
        grab(panel, f"dashboard_settings{suffix}")
    if only in ("all", "lr"):
        configure({"name": "adam", "lr": 0.002}, {"name": "cosine", "warmup_steps": 40})
        done2: list = []
        panel.lr_finished.connect(done2.append)
        panel.lr_view.candidates.setText("3e-4, 1e-3, 3e-3, 1e-2, 3e-2")
        panel.lr_view.sweep_steps.setValue(60)
        panel.lr_view.sweep_button.click()
        wait(app, lambda: bool(done2))
        done2.clear()
        panel.start_range_test(1e-6, 1.0, 100)
        wait(app, lambda: bool(done2))
        grab(panel, f"dashboard_lr_range{suffix}")
    w.close()


if __name__ == "__main__":
    main(*sys.argv[1:3])
