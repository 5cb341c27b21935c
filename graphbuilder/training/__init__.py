"""Qt-free training engine: run config, data, optimizers, schedules, trainer, LR finder.

Public API (the GUI and CLI build on these):

- :class:`RunConfig` / :class:`ConfigError` (``config``)
- :class:`Trainer`, :func:`train_graph`, :func:`trainer_for_graph` (``trainer``)
- event dataclasses (``events``): RunStarted, StepEnd, EpochEnd, CheckpointSaved,
  RunPaused, RunResumed, RunEnded, RunFailed, LRPoint, SweepStep
- :func:`preview_schedule` (``schedules``), :func:`device_info` (``device``)
- :func:`load_data` (``datasets``), LR range test and sweep (``lr_finder``)

Submodules import lazily so ``import graphbuilder.training`` stays cheap.
"""

from __future__ import annotations

from graphbuilder.training.config import ConfigError, RunConfig
from graphbuilder.training.device import device_info
from graphbuilder.training.events import (
    CheckpointSaved,
    EpochEnd,
    LRPoint,
    RunEnded,
    RunFailed,
    RunPaused,
    RunResumed,
    RunStarted,
    StepEnd,
    SweepStep,
)
from graphbuilder.training.graph_training import train_graph, trainer_for_graph
from graphbuilder.training.schedules import preview_schedule
from graphbuilder.training.trainer import Trainer

__all__ = [
    "CheckpointSaved", "ConfigError", "EpochEnd", "LRPoint", "RunConfig", "RunEnded",
    "RunFailed", "RunPaused", "RunResumed", "RunStarted", "StepEnd", "SweepStep", "Trainer",
    "device_info",
    "preview_schedule", "train_graph", "trainer_for_graph",
]
