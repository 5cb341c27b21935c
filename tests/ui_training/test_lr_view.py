"""LR range test and sweep from the panel: live curve, suggestions, weights untouched,
stopping with a partial result."""

from __future__ import annotations

import math
from functools import partial
from typing import Any

from graphbuilder.training.events import LRPoint, SweepStep
from graphbuilder.training.lr_finder import LRFinderResult, SweepResult
from graphbuilder.ui.training.jobs import LRJob, StoppedRange, WeightsCheck, sweep_job
from graphbuilder.ui.training.lr_view import LRView


def test_range_test_marks_a_suggestion_and_applies_it(qtbot: Any, host: Any,
                                                      tmp_path: Any) -> None:
    panel = host.training_panel
    view = panel.lr_view
    with qtbot.waitSignal(panel.lr_finished, timeout=30_000) as blocker:
        assert panel.start_range_test(1e-4, 10.0, 40)
    assert isinstance(blocker.args[0], WeightsCheck) and blocker.args[0].restored
    assert "restored" in view.weights.text()
    result = view.result
    assert isinstance(result, LRFinderResult) and result.suggested_lr
    assert len(view.markers) >= 1 and view.apply_button.isEnabled()
    x, _ = view.raw.getData()
    assert len(x) >= 10
    assert host.locks[-1] == (False, "") and len(host.locks) == 2
    assert view.export_png(str(tmp_path / "lr.png"))
    assert (tmp_path / "lr.png").stat().st_size > 1000
    view.apply_button.click()
    assert host.graph.training["optimizer"]["lr"] == float(f"{result.suggested_lr:.3g}")


def test_sweep_draws_one_curve_per_candidate(qtbot: Any, host: Any) -> None:
    panel = host.training_panel
    view = panel.lr_view
    with qtbot.waitSignal(panel.lr_finished, timeout=30_000) as blocker:
        assert panel.start_sweep([1e-3, 1e-2, 1e-1], 8)
    assert isinstance(blocker.args[0], WeightsCheck) and blocker.args[0].restored
    assert "restored" in view.weights.text()
    result = view.sweep_result
    assert isinstance(result, SweepResult) and result.lrs == [1e-3, 1e-2, 1e-1]
    assert len(view.sweep.curves) == 3
    for i, curve in view.sweep.curves.items():  # drawn from the SweepStep events
        xs, ys = curve.getData()
        assert list(xs) == list(range(1, 9)) and list(ys) == result.curves[i]
    assert len(view.sweep.final.getData()[0]) == 3
    # the best LR: thick curve, star + line on the final-loss plot, offered for Apply
    best = result.best_lr
    assert best in result.lrs and view.sweep.best_lr == best and len(view.sweep.best_items) == 2
    widths = [c.opts["pen"].widthF() for c in view.sweep.curves.values()]
    assert widths[result.lrs.index(best)] == max(widths) > min(widths)
    assert view.choice.currentText().startswith("sweep best") and view.apply_button.isEnabled()
    assert "best learning rate" in view.status.text() and not host.locked
    view.apply_button.click()
    assert host.graph.training["optimizer"]["lr"] == float(f"{best:.3g}")


def test_stopping_a_sweep_keeps_what_finished(qtbot: Any, host: Any) -> None:
    """Stop ends the sweep through the engine's should_stop: the finished candidates'
    result, the best so far and the weights check, not just a closed generator."""
    panel = host.training_panel
    view = panel.lr_view
    with qtbot.waitSignal(panel.lr_finished, timeout=60_000) as blocker:
        assert panel.start_sweep([1e-3, 1e-2, 1e-1], 500)
        qtbot.waitUntil(lambda: len(view.sweep.final_points) >= 1, timeout=40_000)
        assert view.stop_button.isEnabled()
        view.stop_button.click()
        assert not view.stop_button.isEnabled() and "Stopping" in view.status.text()
    assert isinstance(blocker.args[0], WeightsCheck) and blocker.args[0].restored
    assert "restored" in view.weights.text()
    result = view.sweep_result
    assert isinstance(result, SweepResult) and result.stopped
    n = len(result.lrs)
    assert 1 <= n < 3 and result.lrs == [1e-3, 1e-2, 1e-1][:n] and len(result.curves) == n
    assert result.best_lr in result.lrs and view.sweep.best_lr == result.best_lr
    assert view.choice.currentText().startswith("sweep best so far")
    assert view.apply_button.isEnabled() and view.stop_job is None
    assert f"Sweep stopped after {n} of 3 candidates; best so far" in view.status.text()
    xs, _ = view.sweep.curves[n].getData()  # the unfinished candidate's curve stays drawn
    assert 0 < len(xs) < 500 and not host.locked


def test_stopping_a_range_test_suggests_from_what_ran(qtbot: Any, host: Any) -> None:
    """The engine's range test has no stop hook: the job closes it (weights restored)
    and analyses the points it got, then checks the weights."""
    panel = host.training_panel
    view = panel.lr_view
    with qtbot.waitSignal(panel.lr_finished, timeout=60_000) as blocker:
        assert panel.start_range_test(1e-5, 1e-2, 5000)
        qtbot.waitUntil(lambda: len(view.points) > 30, timeout=40_000)
        view.stop_button.click()
    assert isinstance(blocker.args[0], WeightsCheck) and blocker.args[0].restored
    assert "restored" in view.weights.text()
    result = view.result
    assert isinstance(result, StoppedRange) and result.planned_steps == 5000
    assert 30 < len(result.lrs) < 5000 and result.suggested_lr
    assert view.status.text().startswith("Stopped at") and "Suggested" in view.status.text()
    assert view.apply_button.isEnabled() and len(view.markers) >= 1


def test_cancelling_the_worker_still_restores(qtbot: Any, host: Any) -> None:
    """Closing the window cancels the worker (the generators are closed): no result, no
    digests, but the tab says what finished and that the model was restored."""
    panel = host.training_panel
    view = panel.lr_view
    with qtbot.waitSignal(panel.lr_finished, timeout=30_000):
        assert panel.start_sweep([1e-3, 1e-2, 1e-1], 5000)
        qtbot.waitUntil(lambda: len(view.sweep.data[0][0]) > 3, timeout=20_000)
        panel.worker.cancel()
    assert view.sweep_result is None and not view.stop_button.isEnabled()
    assert "Sweep stopped after 0 of 3" in view.status.text() and not host.locked
    assert 3 < len(view.sweep.curves[0].getData()[0]) < 5000


def test_sweep_job_stops_between_steps(host: Any) -> None:
    """No thread: ``LRJob.stop`` reaches the engine's should_stop before the next step;
    the partial result and the weights check still come."""
    graph = host.graph
    job = LRJob(partial(sweep_job, graph, graph.training, [1e-3, 1e-2], 6))
    events = []
    for ev in job():
        events.append(ev)
        if isinstance(ev, SweepStep) and ev.candidate == 1 and ev.step == 2:
            job.stop()
    result, check = events[-2:]
    assert isinstance(result, SweepResult) and result.stopped and result.lrs == [1e-3]
    assert isinstance(check, WeightsCheck) and check.restored
    assert [e.step for e in events if isinstance(e, SweepStep) and e.candidate == 1] == [1, 2]


def test_sweep_view_ends_a_diverged_curve_and_names_it(qtbot: Any) -> None:
    view = LRView()
    qtbot.addWidget(view)
    view.set_busy(True)
    view.begin_sweep([1e-3, 1e2])
    events = [SweepStep(0, 1e-3, s, 1.0 / s) for s in (1, 2, 3)] + [LRPoint(0, 1e-3, 0.4, 0.4)]
    view.handle(events)
    view.handle([SweepStep(1, 1e2, 1, 1.0), SweepStep(1, 1e2, 2, 1e30),
                 SweepStep(1, 1e2, 3, math.nan), LRPoint(1, 1e2, math.inf, math.inf)])
    assert view.sweep.data[1] == ([1, 2], [1.0, 1e30])  # NaN not drawn
    top = view.sweep.sweep_plot.getPlotItem().getViewBox().viewRange()[1][1]
    assert top < 10  # the blow-up does not flatten the other curve
    assert len(view.sweep.final.getData()[0]) == 1
    view.handle([SweepResult([1e-3, 1e2], [0.4, math.inf], 1e-3,
                             curves=[[1.0, 0.5, 1 / 3], [1.0, 1e30, math.nan]],
                             diverged_at=[None, 3])])
    view.set_busy(False)
    assert view.sweep.best_lr == 1e-3 and view.choice.currentData() == 1e-3
    assert "best learning rate 1e-3" in view.status.text()
    assert "Diverged: 100 (step 3)" in view.status.text()


def test_failing_range_test_shows_its_error(qtbot: Any, host: Any) -> None:
    panel = host.training_panel
    host.graph.set_params("x", {"shape": [5], "dtype": "float32"})  # spirals has 2 features
    with qtbot.waitSignal(panel.lr_finished, timeout=30_000) as blocker:
        assert panel.start_range_test(1e-4, 1.0, 20)
    final = blocker.args[0]
    assert final.kind in ("data", "error") and panel.banner.isVisible()
    assert "failed" in panel.lr_view.status.text() and not host.locked


def _finished_view(qtbot: Any) -> LRView:
    """A view with a sweep and a range test done (made-up numbers, no engine)."""
    view = LRView()
    qtbot.addWidget(view)
    lrs = [1e-4, 3e-4, 1e-3, 3e-3, 1e-2]
    view.begin_sweep(lrs)
    curves = [[1.1 * math.exp(-s * lr * 30) for s in range(1, 41)] for lr in lrs]
    view.handle([SweepStep(i, lr, s, y) for i, lr in enumerate(lrs)
                 for s, y in enumerate(curves[i], 1)] +
                [LRPoint(i, lr, curves[i][-1], curves[i][-1]) for i, lr in enumerate(lrs)])
    view.handle([SweepResult(lrs, [c[-1] for c in curves], 1e-2, curves=curves,
                             diverged_at=[None] * 5)])
    grid = [1e-6 * 10 ** (6 * k / 99) for k in range(100)]
    losses = [1.1 - 0.2 * math.exp(-(math.log10(lr) + 2) ** 2) + (lr > 0.3) for lr in grid]
    view.begin_range()
    view.handle([LRPoint(k, lr, losses[k], losses[k]) for k, lr in enumerate(grid)])
    view.handle([LRFinderResult(grid, losses, losses, {"valley": 2e-3, "steepest": 2e-2,
                                                       "min_loss_div10": 3e-3}, 2e-3, None)])
    return view


def test_lr_tab_is_readable_in_a_short_wide_and_a_tall_dock(qtbot: Any) -> None:
    from graphbuilder.ui.training.lr_layout import text_room

    view = _finished_view(qtbot)
    area = view.plot_area
    # the LR tab in the dock under the canvas at 1600x1000 (460 px; dragged to 640 px),
    # and floating, tall and narrow
    for (w, h), mode in (((1250, 380), "row"), ((1250, 560), "stack"),
                         ((620, 1000), "column")):
        view.resize(w, h)
        view.show()
        qtbot.waitExposed(view)
        qtbot.wait(30)
        assert area.mode == mode and view.width() == w, (w, h, view.width())
        for plot in area.plots:
            assert plot.height() >= 180 and plot.width() >= 220, (w, h, plot.size())
            assert plot.geometry().right() <= area.width() + 1  # nothing cut off
        # the sweep LRs show whole, their controls on one row when there is room
        edit = view.candidates
        assert edit.fontMetrics().horizontalAdvance(edit.text()) <= text_room(edit)
        for edit in (view.start_lr, view.end_lr):
            assert edit.fontMetrics().horizontalAdvance("3.16e-05") <= text_room(edit)
        assert view.controls.one_row == (w > 1000)
        # the legends leave the curves a row or two; the labels hang inside the views
        for plot, rows in ((view.range_plot, 1), (view.sweep.sweep_plot, 2)):
            legend = plot.getPlotItem().legend
            assert legend.rowCount <= rows and legend.columnCount > 1, (w, h)
        top = max(max(ys) for _, ys in view.sweep.data.values())
        assert view.sweep.sweep_plot.getPlotItem().getViewBox().viewRange()[1][1] > top
        for plot, lines in ((view.range_plot, view.markers),
                            (view.sweep.final_plot, [i for _, i in view.sweep.best_items[:1]])):
            box = plot.getPlotItem().getViewBox().sceneBoundingRect()
            assert len(lines) == (3 if plot is view.range_plot else 1)
            for line in lines:
                assert box.contains(line.label.sceneBoundingRect()), (w, h, line.label.format)


def test_lr_plot_area_keeps_its_shape_at_its_own_minimum(qtbot: Any) -> None:
    view = LRView()
    qtbot.addWidget(view)
    area = view.plot_area
    mh = max(p.minimumHeight() for p in area.plots)
    assert area.best_mode(1250, mh) == "row"  # the 260 px first-launch dock scrolls
    assert area.best_mode(600, 300) != "row"  # three plots need their minimum width
    assert area.minimumSizeHint().width() < 3 * 220  # the dock can get narrower
