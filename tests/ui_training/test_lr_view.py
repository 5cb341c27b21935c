"""LR range test and sweep from the panel: live curve, suggestions, weights untouched."""

from __future__ import annotations

from typing import Any

from graphbuilder.training.lr_finder import LRFinderResult
from graphbuilder.ui.training.jobs import WeightsCheck


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
    assert blocker.args[0].restored
    assert len(view.sweep_curves) == 3
    assert all(len(c.getData()[0]) == 8 for c in view.sweep_curves.values())
    assert len(view.final.getData()[0]) == 3
    assert view.choice.currentText().startswith("sweep best")


def test_failing_range_test_shows_its_error(qtbot: Any, host: Any) -> None:
    panel = host.training_panel
    host.graph.set_params("x", {"shape": [5], "dtype": "float32"})  # spirals has 2 features
    with qtbot.waitSignal(panel.lr_finished, timeout=30_000) as blocker:
        assert panel.start_range_test(1e-4, 1.0, 20)
    final = blocker.args[0]
    assert final.kind in ("data", "error") and panel.banner.isVisible()
    assert "failed" in panel.lr_view.status.text() and not host.locked
