"""Proof that training works: each built-in task is learned on a CPU in seconds."""

import csv

import torch
from training_models import linear, mlp, rnn_classifier, small_cnn, small_unet

from graphbuilder.compiler.fx_compile import compile_graph
from graphbuilder.training import Trainer, train_graph


def _fit(graph, config):
    model = compile_graph(graph, seed=0)
    final = Trainer(model, config, step_events=False).fit()
    assert type(final).__name__ == "RunEnded", final
    return model, final.last_metrics


def test_mlp_learns_spirals():
    _, m = _fit(mlp(), {"data": {"dataset": "spirals", "batch_size": 64}, "epochs": 15,
                        "optimizer": {"name": "adam", "lr": 0.01},
                        "schedule": {"name": "onecycle"}})
    assert m["val_accuracy"] > 0.95, m


def test_small_cnn_learns_shapes():
    _, m = _fit(small_cnn(), {"data": {"dataset": "shapes", "size": 1200, "batch_size": 32},
                              "epochs": 4, "optimizer": {"name": "adam", "lr": 3e-3},
                              "schedule": {"name": "onecycle"}})
    assert m["val_accuracy"] > 0.90, m


def test_small_unet_segments_shapes():
    _, m = _fit(small_unet(), {"data": {"dataset": "shapes_seg", "size": 800, "batch_size": 32},
                               "epochs": 4, "metrics": ["iou", "accuracy"],
                               "optimizer": {"name": "adam", "lr": 1e-2},
                               "schedule": {"name": "onecycle"}})
    assert m["val_iou"] > 0.8, m


def test_gru_learns_the_sequence_task():
    _, m = _fit(rnn_classifier(), {"data": {"dataset": "sequence", "size": 600,
                                            "batch_size": 32},
                                   "epochs": 4, "optimizer": {"name": "adam", "lr": 1e-2}})
    assert m["val_accuracy"] > 0.9, m


def test_linear_regression_from_csv_recovers_the_weights(tmp_path):
    g = torch.Generator().manual_seed(1)
    true_w, true_b = torch.tensor([2.0, -3.0, 0.5]), 1.5
    x = torch.randn(400, 3, generator=g)
    y = x @ true_w + true_b + 0.01 * torch.randn(400, generator=g)
    path = tmp_path / "table.csv"
    with path.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["a", "b", "c", "target"])
        w.writerows([[*map(float, row), float(t)] for row, t in zip(x, y, strict=True)])
    model, final = train_graph(linear(3), {"data": {"dataset": f"csv:{path}", "batch_size": 32},
                                           "loss": "mse", "metrics": ["mae"], "epochs": 10,
                                           "optimizer": {"name": "sgd", "lr": 0.05}},
                               step_events=False)
    assert final.last_metrics["val_mae"] < 0.02
    assert torch.allclose(model.fc.weight.detach()[0], true_w, atol=0.01)
    assert abs(float(model.fc.bias.detach()) - true_b) < 0.01
