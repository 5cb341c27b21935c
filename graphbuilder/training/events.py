"""Events a training run (or LR range test) reports, as plain dataclasses.

The trainer is a generator of these (napari ``thread_worker`` style): the GUI runs it in a
worker thread and turns each yield into a Qt signal, the CLI drives tqdm with them, tests
just collect them. Nothing here knows about Qt.

Cheap step events: :class:`StepEnd` holds the loss as a detached tensor and converts it to
a float only when someone reads ``.loss``; reading forces a device sync, so a consumer
that only plots every N-th step pays for N-th steps only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import torch


@dataclass
class RunStarted:
    """First event of a run: what is about to happen."""

    config: dict[str, Any]
    device_name: str
    total_steps: int
    steps_per_epoch: int
    epochs: int
    run_dir: str | None = None
    num_params: int = 0
    train_samples: int = 0
    val_samples: int = 0
    start_epoch: int = 0  # > 0 when resumed from a checkpoint
    notes: list[str] = field(default_factory=list)  # e.g. "fp16 needs CUDA: using fp32"


@dataclass
class StepEnd:
    """After each optimizer step. ``step`` counts from 1 over the whole run."""

    step: int
    epoch: int  # 0-based
    loss_tensor: torch.Tensor  # detached, on the training device
    lr: float
    samples_per_s: float

    @property
    def loss(self) -> float:
        """The step's training loss as a float (syncs with the device on first read)."""
        cached = self.__dict__.get("_loss")
        if cached is None:
            cached = float(self.loss_tensor)
            self.__dict__["_loss"] = cached
        return cached


@dataclass
class EpochEnd:
    """After each epoch's validation pass.

    ``metrics`` holds ``loss`` / ``val_loss`` and ``NAME`` / ``val_NAME`` for every
    configured metric, plus ``lr`` and ``time_s``; ``is_best`` tells whether the monitored
    metric improved (and the best checkpoint was written).
    """

    epoch: int  # 0-based
    metrics: dict[str, float]
    is_best: bool = False
    step: int = 0


@dataclass
class CheckpointSaved:
    path: str
    kind: str  # "best" | "last"
    epoch: int


@dataclass
class RunPaused:
    step: int


@dataclass
class RunResumed:
    step: int


@dataclass
class RunEnded:
    """Last event of a run that did not fail.

    ``reason``: "completed", "max_steps", "early_stopping" or "stopped" (user).
    """

    reason: str
    best_metrics: dict[str, float]
    run_dir: str | None
    last_metrics: dict[str, float] = field(default_factory=dict)
    epochs_done: int = 0
    steps_done: int = 0


@dataclass
class RunFailed:
    """Last event of a failed run; ``kind``: "nan", "oom", "data", "config" or "error"."""

    message: str
    kind: str
    step: int = 0
    epoch: int = 0
    run_dir: str | None = None
    details: str = ""  # traceback for kind "error" (for a "details" box / bug reports)


@dataclass
class LRPoint:
    """One step of an LR range test (or one candidate of a grid sweep)."""

    index: int
    lr: float
    loss: float  # raw loss of that step (sweep: final loss of that candidate's short run)
    smoothed: float  # bias-corrected EMA (what the divergence test uses)


@dataclass
class SweepStep:
    """One optimizer step of one candidate of an LR grid sweep (``step`` counts from 1
    within the candidate; ``loss`` is that step's training loss, NaN/inf when it blew up)."""

    candidate: int  # index into the sweep's list of learning rates
    lr: float
    step: int
    loss: float


Event = (RunStarted | StepEnd | EpochEnd | CheckpointSaved | RunPaused | RunResumed | RunEnded
         | RunFailed | LRPoint | SweepStep)
FINAL_EVENTS = (RunEnded, RunFailed)
