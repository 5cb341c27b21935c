"""The run config contract (docs/CONTRACTS.md): defaults, round trips, keyed errors."""

import json

import pytest
from training_models import mlp

from graphbuilder.core.fileformat import load_graph, save_graph
from graphbuilder.training.config import ConfigError, RunConfig

CONTRACT_EXAMPLE = {
    "version": 1,
    "data": {"dataset": "shapes", "val_fraction": 0.2, "batch_size": 64, "augment": [],
             "mixup_alpha": 0.0, "cutmix_alpha": 0.0, "num_workers": 0,
             "target_column": None, "task": None},
    "epochs": 10, "max_steps": None, "loss": "cross_entropy", "metrics": ["accuracy"],
    "optimizer": {"name": "adam", "lr": 0.001, "weight_decay": 0.0, "momentum": 0.9,
                  "nesterov": False, "betas": [0.9, 0.999]},
    "schedule": {"name": "constant", "warmup_steps": 0},
    "early_stopping": None,
    "checkpoint": {"keep_best": True, "monitor": "val_loss", "mode": "min"},
    "seed": 0, "device": "auto", "precision": "fp32", "compile": False, "channels_last": False,
}


def test_contract_example_reads_and_round_trips():
    cfg = RunConfig.from_dict(CONTRACT_EXAMPLE)
    doc = cfg.to_dict()
    assert RunConfig.from_dict(json.loads(json.dumps(doc))) == cfg
    assert RunConfig.from_dict({}) == RunConfig()
    assert RunConfig.from_dict(None).optimizer.lr == 1e-3


@pytest.mark.parametrize("doc,key", [
    ({"optimizer": {"lr": -1}}, "optimizer.lr"),
    ({"optimizer": {"lr": "fast"}}, "optimizer.lr"),
    ({"optimizer": {"name": "lbfgs"}}, "optimizer.name"),
    ({"data": {"batch_size": 0}}, "data.batch_size"),
    ({"data": {"batch_sise": 3}}, "data.batch_sise"),
    ({"epochs": 2.5}, "epochs"),
    ({"schedule": {"name": "onecycle", "warmup_steps": 10}}, "schedule.warmup_steps"),
    ({"metrics": ["acc"]}, "metrics"),
    ({"early_stopping": {"mode": "up"}}, "early_stopping.mode"),
    ({"early_stopping": {"monitor": "val_acc"}}, "early_stopping.monitor"),
    ({"checkpoint": {"monitor": "val_accuracy"}}, "checkpoint.mode"),
    ({"checkpoint": {"monitor": "val_mae", "mode": "min"}}, "checkpoint.monitor"),
    ({"precision": "fp8"}, "precision"),
    ({"version": 2}, "version"),
    ({"bogus": 1}, "bogus"),
    ({"optimizer": {"name": "adam", "nesterov": True}}, "optimizer.nesterov"),
])
def test_bad_values_name_the_key(doc, key):
    with pytest.raises(ConfigError) as info:
        RunConfig.from_dict(doc)
    assert info.value.key == key
    assert str(info.value).startswith(key + ":")
    assert isinstance(info.value, ValueError)


def test_monitors_of_configured_metrics_are_accepted():
    cfg = RunConfig.from_dict({"metrics": ["iou"], "checkpoint": {"monitor": "val_iou",
                                                                  "mode": "max"},
                               "early_stopping": {"monitor": "loss"}})
    assert cfg.checkpoint.monitor == "val_iou" and cfg.early_stopping.mode == "min"


def test_replace_and_exponential_default():
    cfg = RunConfig().replace(**{"optimizer.lr": 0.1, "early_stopping.patience": 2})
    assert cfg.optimizer.lr == 0.1 and cfg.early_stopping.patience == 2
    assert RunConfig.from_dict({"schedule": {"name": "exponential"}}).schedule.gamma == 0.9


def test_config_travels_inside_the_graph_file(tmp_path):
    graph = mlp()
    graph.training = RunConfig.from_dict({"epochs": 3, "data": {"dataset": "spirals"}}).to_dict()
    save_graph(graph, tmp_path / "g.json")
    again = load_graph(tmp_path / "g.json")
    assert RunConfig.from_dict(again.training).epochs == 3
