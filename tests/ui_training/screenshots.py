"""Make the dashboard screenshots in docs/screenshots/ (not a test; run it by hand).

    QT_QPA_PLATFORM=offscreen .venv/bin/python tests/ui_training/screenshots.py [light|dark]

Real main window, ``simple_cnn`` on the built-in ``shapes`` set: a run paused mid-way
(live plots), an LR range test with its suggestions, and three runs compared.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtWidgets import QApplication

OUT = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def wait(app: QApplication, cond, timeout: float = 600.0) -> None:  # noqa: ANN001
    t = time.monotonic()
    while not cond():
        app.processEvents()
        time.sleep(0.01)
        if time.monotonic() - t > timeout:
            raise TimeoutError
    for _ in range(5):
        app.processEvents()


def main(theme_name: str = "light") -> None:
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
    w.resize(1600, 1080)
    w.show()
    w.resizeDocks([w.training_dock], [620], Qt.Orientation.Vertical)
    wait(app, lambda: True)
    suffix = "" if theme_name == "light" else "_dark"
    base = {"data": {"dataset": "shapes", "size": 1500, "batch_size": 32, "val_fraction": 0.2},
            "epochs": 8, "loss": "cross_entropy", "metrics": ["accuracy"], "seed": 0}

    def run(opt: dict, sched: dict, pause_at_epoch: int | None = None) -> None:
        done: list = []
        panel.run_finished.connect(done.append)
        cfg = {**base, "optimizer": opt, "schedule": sched}
        panel.commit_settings(panel.form.value() | cfg)
        panel.form.load(w.graph.training)
        assert panel.start()
        if pause_at_epoch is not None:
            wait(app, lambda: len(panel.plots.history.epochs) >= pause_at_epoch
                 and len(panel.plots.history) > pause_at_epoch * 38 + 10)
            panel.toggle_pause()
            wait(app, lambda: panel.controls.paused)
            panel.plots.redraw()
            panel._update_progress()
            wait(app, lambda: True)
            w.grab().save(str(OUT / f"dashboard_live{suffix}.png"))
            panel.grab().save(str(OUT / f"dashboard_panel{suffix}.png"))
            panel.toggle_pause()
        wait(app, lambda: bool(done))
        panel.run_finished.disconnect(done.append)

    run({"name": "adam", "lr": 0.002}, {"name": "cosine", "warmup_steps": 40},
        pause_at_epoch=4)
    if theme_name == "light":
        run({"name": "sgd", "lr": 0.05, "momentum": 0.9}, {"name": "constant"})
        run({"name": "adamw", "lr": 0.004, "weight_decay": 0.01}, {"name": "onecycle"})
        panel.runs.refresh()
        panel.runs.set_checked(list(panel.runs.infos))
        panel.tabs.setCurrentWidget(panel.runs)
        wait(app, lambda: True)
        panel.grab().save(str(OUT / "dashboard_runs_compare.png"))
        done: list = []
        panel.eval_finished.connect(done.append)
        panel.evaluate_run(next(iter(panel.runs.infos)))
        wait(app, lambda: bool(done))
        panel.grab().save(str(OUT / "dashboard_predictions.png"))
    done2: list = []
    panel.lr_finished.connect(done2.append)
    panel.lr_view.candidates.setText("3e-4, 1e-3, 3e-3, 1e-2, 3e-2")
    panel.lr_view.sweep_steps.setValue(60)
    panel.lr_view.sweep_button.click()
    wait(app, lambda: bool(done2))
    done2.clear()
    panel.start_range_test(1e-6, 1.0, 100)
    wait(app, lambda: bool(done2))
    panel.grab().save(str(OUT / f"dashboard_lr_range{suffix}.png"))
    panel.tabs.setCurrentWidget(panel.form)
    wait(app, lambda: True)
    panel.grab().save(str(OUT / f"dashboard_settings{suffix}.png"))
    w.close()


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "light")
