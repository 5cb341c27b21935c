"""Evaluating a kept segmentation run shows predicted masks next to the true ones."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from graphbuilder.core.builder import NetBuilder
from graphbuilder.training.events import RunEnded
from graphbuilder.ui.training.evaluate import EvalResult


def test_segmentation_run_shows_predicted_masks(qtbot: Any, host: Any, tmp_path: Path) -> None:
    b = NetBuilder("tiny_seg")
    x = b.input("x", [3, 32, 32])
    h = b.add("act", "ReLU", b.add("conv1", "Conv2d", x, out_channels=8, kernel_size=3,
                                   padding=1))
    b.output("y", b.add("head", "Conv2d", h, out_channels=4, kernel_size=1))
    graph = b.build()
    config = {"data": {"dataset": "shapes_seg", "size": 96, "batch_size": 32},
              "epochs": 1, "metrics": ["iou", "accuracy"]}
    panel = host.training_panel
    with qtbot.waitSignal(panel.run_finished, timeout=30_000) as done:
        assert panel.start(config=config, graph=graph)
    assert isinstance(done.args[0], RunEnded)
    assert panel.run_dir is not None and "tiny_seg-adam-1e-3" in panel.run_dir.name
    with qtbot.waitSignal(panel.eval_finished, timeout=30_000) as ev:
        assert panel.evaluate_run(str(panel.run_dir))
    result = ev.args[0]
    assert isinstance(result, EvalResult) and result.task == "segmentation"
    assert "val_iou" in result.metrics
    s = result.samples[0]
    assert s.image is not None and s.image.shape == (32, 32, 3)
    assert s.pred_mask is not None and s.pred_mask.shape == s.true_mask.shape == (32, 32)
    assert panel.predictions.tile_count() == len(result.samples)
    qtbot.wait(50)
    panel.predictions.grab().save(str(tmp_path / "seg.png"))
