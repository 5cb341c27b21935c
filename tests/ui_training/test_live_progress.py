"""The GUI thread's share of a live run kept small: step batches appended in one go
(same values as one at a time), and progress for LR jobs instead of a bare "–"."""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

import numpy as np
import torch

from graphbuilder.training.events import EpochEnd, StepEnd
from graphbuilder.ui.training.history import RunHistory


def _losses(n: int) -> list[float]:
    rng = np.random.default_rng(0)
    out = list(rng.random(n) + 0.5)
    out[3] = math.nan  # a blown-up step: no effect on the EMA
    out[700] = math.inf
    return [float(v) for v in out]


def test_batched_steps_match_one_at_a_time_and_export_every_point(tmp_path: Path) -> None:
    n = 1000  # past the columns' first capacity (256)
    losses, lrs = _losses(n), [1e-3 * (1 + i / n) for i in range(n)]
    one, batched = RunHistory(), RunHistory()
    for i in range(n):
        one.add_step(i + 1, losses[i], lrs[i])
    for a in range(0, n, 37):  # uneven batches, as the worker flushes them
        b = min(n, a + 37)
        batched.add_steps(list(range(a + 1, b + 1)), losses[a:b], lrs[a:b])
    batched.add_steps([], [], [])
    assert len(batched) == n
    for col in ("step", "loss", "smooth", "lr"):
        np.testing.assert_array_equal(getattr(batched, col).view(), getattr(one, col).view())
    files = batched.write_csv(tmp_path / "m.csv")
    assert len(files[0].read_text().splitlines()) == n + 1


def _step(step: int, epoch: int, loss: float) -> StepEnd:
    ev = StepEnd(step, epoch, torch.empty(0), 0.01, 1000.0)
    ev.__dict__["_loss"] = loss
    return ev


def test_a_batch_keeps_steps_and_epochs_in_order(host: Any) -> None:
    panel = host.training_panel
    panel.mode = "train"
    try:
        panel._on_events([_step(1, 0, 1.0), _step(2, 0, 0.8),
                          EpochEnd(0, {"loss": 0.9, "time_s": 1.0}, step=2),
                          _step(3, 1, 0.7)])
    finally:
        panel.mode = "idle"
    h = panel.plots.history
    assert list(h.step.view()) == [1, 2, 3] and list(h.loss.view()) == [1.0, 0.8, 0.7]
    assert h.epochs[0]["step"] == 2 and (panel._step, panel._epoch) == (3, 1)


def _progress(panel: Any) -> tuple[int, int, str]:
    bar = panel.controls.progress
    return bar.value(), bar.maximum(), bar.format()


def test_range_test_and_sweep_show_their_progress(qtbot: Any, host: Any) -> None:
    panel = host.training_panel
    with qtbot.waitSignal(panel.lr_finished, timeout=30_000):
        assert panel.start_range_test(1e-4, 1e-2, 30)
        assert _progress(panel)[1:] == (30, "LR test · step 0/30")
    value, top, fmt = _progress(panel)
    assert top == 30 and fmt == f"LR test · step {value}/30" and value == 30
    with qtbot.waitSignal(panel.lr_finished, timeout=30_000):
        assert panel.start_sweep([1e-3, 1e-2], 6)
    value, top, fmt = _progress(panel)
    assert (value, top) == (12, 12) and re.fullmatch(r"LR sweep · step 12/12", fmt)


def test_a_timed_redraw_updates_one_plot_per_pass_of_the_event_loop(qtbot: Any) -> None:
    """Four repaints in a row kept the event loop late by their sum; one plot per pass
    bounds it by the slowest one. All four still get their data, and a forced redraw
    (export, end of run) does everything at once."""
    from graphbuilder.ui.training.plots import LivePlots

    plots = LivePlots()
    qtbot.addWidget(plots)
    plots.resize(1000, 500)
    plots.show()
    qtbot.waitExposed(plots)
    h = plots.history
    h.add_steps([1, 2, 3], [1.0, 0.9, 0.8], [0.1, 0.1, 0.1])
    h.add_epoch(0, {"loss": 0.9, "val_loss": 1.0, "accuracy": 0.5}, 3)
    plots.redraw()
    counts = plots.point_counts()
    assert counts["train_epoch"] == 1 and counts["raw"] == 0  # the rest follows
    qtbot.waitUntil(lambda: plots.point_counts()["lr"] == 3, timeout=2000)
    assert plots.point_counts() == {"raw": 3, "smoothed": 3, "lr": 3, "train_epoch": 1,
                                    "val_epoch": 1, "accuracy": 1}
    h.add_steps([4], [0.7], [0.1])
    h.add_epoch(1, {"loss": 0.8, "val_loss": 0.9, "accuracy": 0.6}, 4)
    plots.redraw(force=True)
    assert plots.point_counts() == {"raw": 4, "smoothed": 4, "lr": 4, "train_epoch": 2,
                                    "val_epoch": 2, "accuracy": 2}
