"""The dashboard inside the real editor window: installed by the hook, locks the design
during a run (edits are refused with the reason), follows undo and file loads."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from graphbuilder.core.commands import SetParamsCommand
from graphbuilder.training.events import RunEnded
from graphbuilder.ui.training import install_training_ui


def test_real_main_window_integration(qtbot: Any, tmp_path: Path) -> None:
    from PySide6.QtWidgets import QMessageBox

    from graphbuilder.ui.main_window import MainWindow

    w = MainWindow(recovery_dir=tmp_path / "recovery", install_training=False)
    w.ask_unsaved = lambda: QMessageBox.StandardButton.Discard
    qtbot.addWidget(w)
    panel = install_training_ui(w, runs_root=tmp_path / "runs")
    w.show()
    try:
        assert w.open_template("mlp")
        assert panel.form.dataset.currentText() == (w.graph.training or {}).get(
            "data", {}).get("dataset", "shapes")
        titles = [a.text() for a in w.menus["Run"].actions()]
        assert "Start training" in titles and "LR range test" in titles
        doc = panel.form.value()
        doc["data"].update({"size": 200, "batch_size": 50})
        doc["epochs"], doc["max_steps"] = 50, 400
        assert panel.commit_settings(doc)
        assert w.dirty and "training" in w.undo_stack.undoText().lower()
        refused: list[str] = []
        w.editor.refused.connect(refused.append)
        node = w.graph.nodes()[1]
        with qtbot.waitSignal(panel.run_finished, timeout=60_000) as done:
            panel.run_actions["Start training"].trigger()
            qtbot.waitUntil(lambda: w.locked, timeout=5_000)
            assert not w.editor.execute(SetParamsCommand(node, {}))
            assert refused and "training is running" in refused[-1]
            assert not panel.run_actions["Start training"].isEnabled()
            panel.stop()
        assert isinstance(done.args[0], RunEnded)
        assert not w.locked and panel.run_actions["Start training"].isEnabled()
        w.undo_stack.undo()  # the settings edit is on the editor's stack
        assert (w.graph.training or {}).get("max_steps") != 400
    finally:
        panel.shutdown()
        w.close()


def test_closing_mid_run_asks_and_cancel_keeps_the_run(qtbot, monkeypatch, tmp_path) -> None:  # noqa: ANN001
    """Closing during a run asks first; Cancel leaves the run going and the window open."""
    from PySide6.QtWidgets import QMessageBox

    from graphbuilder.ui.main_window import MainWindow

    w = MainWindow(recovery_dir=tmp_path / "recovery", install_training=False)
    w.ask_unsaved = lambda: QMessageBox.StandardButton.Discard
    qtbot.addWidget(w)
    panel = install_training_ui(w, runs_root=tmp_path / "runs")
    w.show()
    assert w.open_template("mlp")
    answers = [QMessageBox.StandardButton.Cancel, QMessageBox.StandardButton.Yes]
    asked: list[str] = []

    def question(parent, title, *a, **k):  # noqa: ANN001, ANN202
        asked.append(title)
        return answers.pop(0)

    monkeypatch.setattr(QMessageBox, "question", staticmethod(question))
    try:
        assert panel.start(config={**panel.form.value(), "epochs": 500})
        worker = panel.worker
        assert not w.close()  # Cancel
        assert asked == ["Training is running"] and w.isVisible()
        assert worker is not None and worker.isRunning() and panel.busy
        assert w.close()  # Yes: stopped, then closed
        assert worker.wait(10_000) and worker.isFinished()
    finally:
        panel.shutdown()
