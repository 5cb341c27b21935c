"""The app never crashes: bad data fails the run with a message, a bug in a job is
reported, closing the window mid-run stops the thread, the theme can switch live."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from graphbuilder.training.events import RunFailed
from graphbuilder.ui.training.worker import EventWorker


def test_bad_local_data_fails_the_run_with_its_message(qtbot: Any, host: Any,
                                                       tmp_path: Path) -> None:
    panel = host.training_panel
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1,x\n")
    config = {**panel.form.value(), "data": {"dataset": f"csv:{bad}", "batch_size": 4}}
    with qtbot.waitSignal(panel.run_finished, timeout=30_000) as done:
        assert panel.start(config=config)
    final = done.args[0]
    assert isinstance(final, RunFailed) and final.kind in ("data", "config")
    assert panel.banner.isVisible() and not host.locked


def test_a_crashing_job_is_reported_not_fatal(qtbot: Any) -> None:
    def job():  # noqa: ANN202
        yield 1
        raise RuntimeError("boom")

    worker = EventWorker(job)
    got: list[Any] = []
    worker.events.connect(got.extend)
    with qtbot.waitSignal(worker.crashed, timeout=5_000) as crashed:
        worker.start()
    worker.wait(5_000)
    assert "boom" in crashed.args[0] and "Traceback" in crashed.args[1]
    qtbot.waitUntil(lambda: got == [1], timeout=5_000)


def test_closing_the_window_mid_run_stops_the_thread(qtbot: Any, host: Any) -> None:
    panel = host.training_panel
    assert panel.start(config={**panel.form.value(), "epochs": 500})
    qtbot.waitUntil(lambda: len(panel.plots.history) > 5, timeout=30_000)
    worker = panel.worker
    host.close()
    assert worker is not None and worker.wait(10_000) and worker.isFinished()


def test_theme_switches_live(host: Any) -> None:
    from graphbuilder.ui.theme import DARK, LIGHT

    panel = host.training_panel
    panel.set_theme(DARK)
    assert panel.plots.loss_plot.backgroundBrush().color().name().upper() == DARK.base
    panel.set_theme(LIGHT)
    assert panel.plots.loss_plot.backgroundBrush().color().name().upper() == LIGHT.base
