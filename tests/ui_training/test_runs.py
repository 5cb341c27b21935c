"""A short run end to end: plots fill, the design locks, the run is kept and reusable."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from PySide6.QtCore import QPointF

from graphbuilder.training.events import RunEnded, RunFailed
from graphbuilder.ui.training.evaluate import EvalResult
from graphbuilder.ui.training.tools import EVAL_SAMPLES

RUN_TIMEOUT = 30_000


def run(qtbot: Any, panel: Any, **kwargs: Any) -> Any:
    with qtbot.waitSignal(panel.run_finished, timeout=RUN_TIMEOUT) as blocker:
        assert panel.start(**kwargs)
    return blocker.args[0]


def test_short_run_fills_the_plots_and_is_kept(qtbot: Any, host: Any, tmp_path: Path) -> None:
    panel = host.training_panel
    final = run(qtbot, panel)
    assert isinstance(final, RunEnded) and final.reason == "completed"
    counts = panel.plots.point_counts()
    assert counts["raw"] == counts["smoothed"] == counts["lr"] == 24  # 3 epochs x 8 steps
    assert counts["train_epoch"] == counts["val_epoch"] == counts["val_accuracy"] == 3
    assert panel.plots.redraws >= 1
    assert host.locks == [(True, host.locks[0][1]), (False, "")]
    assert "training" in host.locks[0][1]
    assert "step 24/24" in panel.controls.progress.format()
    assert "samples/s" in panel.controls.speed.text()
    # kept: listed with its status, files the engine and the dashboard wrote
    panel.tabs.setCurrentWidget(panel.runs)  # the list refreshes when shown
    info = panel.runs.infos[str(panel.run_dir)]
    assert info.status == "completed" and info.epochs_done == 3
    for name in ("config.json", "metrics.json", "best.pt", "last.pt", "design.json"):
        assert (panel.run_dir / name).is_file()
    # hover reads values back
    text = panel.plots.hovers[0].show_nearest(QPointF(12, 0.6))
    assert text.split()[1] in {"11", "12", "13"} and ("raw" in text or "smoothed" in text)
    # exports
    png = panel.plots.export_png(str(tmp_path / "plots.png"))
    assert png and Path(png).stat().st_size > 1000
    files = panel.plots.export_csv(str(tmp_path / "m.csv"))
    rows = list(csv.reader(files[0].open()))
    assert rows[0] == ["step", "loss", "loss_smoothed", "lr"] and len(rows) == 25
    assert "val_loss" in files[1].read_text().splitlines()[0]
    # log toggles change the curves' mode
    panel.plots.log_loss.setChecked(True)
    assert panel.plots.smooth.opts["logMode"][1]
    assert panel.plots.loss_plot.getPlotItem().getAxis("left").logMode  # labels follow

    # resume from the checkpoint: a finished run is extended by the form's epochs
    path = str(panel.run_dir)
    with qtbot.waitSignal(panel.run_finished, timeout=RUN_TIMEOUT) as blocker:
        assert panel.resume_run(path)
    assert isinstance(blocker.args[0], RunEnded)
    assert blocker.args[0].epochs_done == 6 and panel.run_dir == Path(path)

    # evaluate on the validation set: metrics and a few predictions
    with qtbot.waitSignal(panel.eval_finished, timeout=RUN_TIMEOUT) as blocker:
        assert panel.evaluate_run(path)
    result = blocker.args[0]
    assert isinstance(result, EvalResult) and "val_accuracy" in result.metrics
    assert len(result.samples) == EVAL_SAMPLES == panel.predictions.tile_count()

    # a second run with another optimizer, then compare both
    doc = panel.form.value()
    doc["optimizer"]["name"] = "sgd"
    assert panel.commit_settings(doc)
    run(qtbot, panel)
    panel.runs.refresh()
    panel.runs.set_checked(list(panel.runs.infos))
    curves = panel.runs.plot.getPlotItem().listDataItems()
    assert len(curves) == 2 and {c.name().split()[0] for c in curves} == {"adam", "sgd"}
    panel.runs.log_y.setChecked(True)  # log scale, kept for curves drawn later
    panel.runs.redraw()
    assert all(c.opts["logMode"][1] for c in panel.runs.plot.getPlotItem().listDataItems())
    png = panel.runs.export_png(str(tmp_path / "runs.png"))
    assert png and Path(png).stat().st_size > 1000
    assert "runs.png" in host.statusBar().currentMessage()


def test_pause_resume_and_stop(qtbot: Any, host: Any) -> None:
    panel = host.training_panel
    doc = panel.form.value()
    doc["epochs"] = 400
    assert panel.commit_settings(doc)
    with qtbot.waitSignal(panel.run_finished, timeout=RUN_TIMEOUT) as finished:
        assert panel.start()
        qtbot.waitUntil(lambda: len(panel.plots.history) > 20, timeout=RUN_TIMEOUT)
        assert not panel.form.isEnabled()  # settings frozen during the run
        panel.toggle_pause()
        qtbot.waitUntil(lambda: panel.controls.paused, timeout=10_000)
        n = len(panel.plots.history)
        qtbot.wait(300)
        assert len(panel.plots.history) == n  # nothing trains while paused
        assert panel.controls.state.text() == "Paused"
        panel.toggle_pause()
        qtbot.waitUntil(lambda: len(panel.plots.history) > n + 10, timeout=RUN_TIMEOUT)
        panel.stop()
    final = finished.args[0]
    assert isinstance(final, RunEnded) and final.reason == "stopped"
    assert final.steps_done < 400 * 8
    assert host.locks[-1] == (False, "") and panel.form.isEnabled()


def test_failing_run_shows_its_error(qtbot: Any, host: Any) -> None:
    """Design/dataset mismatch, then a NaN-inducing learning rate: message, no crash."""
    panel = host.training_panel
    graph = host.graph
    graph.set_params("x", {"shape": [3], "dtype": "float32"})  # spirals has 2 features
    final = run(qtbot, panel)
    assert isinstance(final, RunFailed) and final.kind in ("data", "error")
    assert panel.banner.isVisible()
    text = panel.banner.label.text()
    assert final.message.split(";")[0] in text and ("[2]" in text or "fit the dataset" in text)
    panel.runs.refresh()
    assert panel.runs.infos[str(panel.run_dir)].status == "failed"
    assert host.locks[-1] == (False, "")

    graph.set_params("x", {"shape": [2], "dtype": "float32"})
    doc = panel.form.value()
    doc["optimizer"] = {"name": "sgd", "lr": 1e12, "momentum": 0.9}
    assert panel.commit_settings(doc)
    final = run(qtbot, panel)
    assert isinstance(final, RunFailed) and final.kind == "nan"
    assert "NaN" in panel.banner.label.text() and panel.banner.isVisible()
    assert panel.controls.state.text() == "Failed"
