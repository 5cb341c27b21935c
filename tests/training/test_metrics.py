"""Metric arithmetic on hand-checked examples."""

import pytest
import torch

from graphbuilder.training.metrics import MetricTracker


def test_accuracy_topk_and_soft_targets():
    out = torch.tensor([[3.0, 2.0, 1.0], [1.0, 3.0, 2.0], [1.0, 2.0, 3.0], [3.0, 1.0, 2.0]])
    y = torch.tensor([0, 2, 1, 1])
    t = MetricTracker(["accuracy", "top3"])
    t.update(out[:2], y[:2], torch.tensor(1.0))
    t.update(out[2:], y[2:], torch.tensor(3.0))
    m = t.compute("val_")
    assert m == {"val_loss": 2.0, "val_accuracy": 0.25, "val_top3": 1.0}
    soft = torch.nn.functional.one_hot(y, 3).float() * 0.8 + 0.2 / 3
    t.reset()
    t.update(out, soft)
    assert t.compute()["accuracy"] == 0.25


def test_regression_metrics():
    t = MetricTracker(["mse", "mae"])
    t.update(torch.tensor([[1.0], [2.0]]), torch.tensor([[0.0], [4.0]]))
    assert t.compute() == {"mse": 2.5, "mae": 1.5}


def test_mean_iou_over_present_classes():
    target = torch.tensor([[[0, 0], [1, 1]]])  # class 2 absent everywhere
    pred = torch.tensor([[[0, 1], [1, 1]]])
    logits = torch.nn.functional.one_hot(pred, 3).permute(0, 3, 1, 2).float()
    t = MetricTracker(["iou", "accuracy"])
    t.update(logits, target)
    m = t.compute()
    # class 0: inter 1, union 2 -> 0.5; class 1: inter 2, union 3 -> 2/3
    assert m["iou"] == pytest.approx((0.5 + 2 / 3) / 2)
    assert m["accuracy"] == 0.75
