"""Qt-free generators for the LR tools and evaluation, run by :class:`EventWorker`.

Each compiles the design (seeded like a real run), so what the LR range test probes is
exactly the model a run would start from. A SHA-1 digest of every parameter and buffer
is taken before and after: the engine promises to restore the weights bit-exactly and
the LR view shows the two digests side by side as proof.

The grid sweep is built here on :class:`~graphbuilder.training.Trainer` rather than on
``lr_finder.lr_sweep`` because the view draws one loss curve per candidate and the
engine's sweep only reports each candidate's final score.
"""

from __future__ import annotations

import copy
import hashlib
import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from graphbuilder.core.graph import ModelGraph
from graphbuilder.training.config import RunConfig
from graphbuilder.training.events import EpochEnd, RunFailed, StepEnd


@dataclass
class WeightsCheck:
    """Digests of the model's state before and after a trial run."""

    before: str
    after: str

    @property
    def restored(self) -> bool:
        return self.before == self.after


@dataclass
class SweepPoint:
    index: int  # candidate number
    lr: float
    step: int
    loss: float


@dataclass
class SweepDone:
    """One candidate finished: ``loss`` is its validation loss (else last train loss)."""

    index: int
    lr: float
    loss: float
    message: str = ""  # why it failed (NaN...), empty when it ran


@dataclass
class SweepSummary:
    lrs: list[float]
    losses: list[float]
    best_lr: float | None


def weights_digest(model: nn.Module) -> str:
    h = hashlib.sha1()
    for name, t in list(model.state_dict().items()):
        h.update(name.encode())
        h.update(t.detach().to("cpu").contiguous().view(-1).view(torch.uint8).numpy().tobytes())
    return h.hexdigest()[:12]


def input_shape_of(graph: ModelGraph) -> tuple[int, ...] | None:
    inputs = graph.input_nodes()
    if len(inputs) != 1:
        return None
    return tuple(graph.params(inputs[0]).get("shape") or ()) or None


def compile_for(graph: ModelGraph, cfg: RunConfig) -> nn.Module:
    from graphbuilder.compiler.fx_compile import compile_graph

    return compile_graph(graph, seed=cfg.seed)


def range_test_job(graph: ModelGraph, config: dict[str, Any], start_lr: float, end_lr: float,
                   num_steps: int) -> Iterator[Any]:
    """LRPoint per step, the LRFinderResult, then a :class:`WeightsCheck`."""
    from graphbuilder.training.lr_finder import lr_range_test

    cfg = RunConfig.from_dict(config)
    model = compile_for(graph, cfg)
    before = weights_digest(model)
    yield from lr_range_test(model, cfg, start_lr=start_lr, end_lr=end_lr,
                             num_steps=num_steps, input_shape=input_shape_of(graph))
    yield WeightsCheck(before, weights_digest(model))


def sweep_job(graph: ModelGraph, config: dict[str, Any], lrs: list[float], steps: int
              ) -> Iterator[Any]:
    """A short constant-LR run per candidate from the same weights and batch order."""
    from graphbuilder.training import Trainer
    from graphbuilder.training.datasets import load_data

    base = RunConfig.from_dict(config)
    model = compile_for(graph, base)
    before = weights_digest(model)
    snapshot = copy.deepcopy(model.state_dict())
    data = load_data(base.data, seed=base.seed, input_shape=input_shape_of(graph))
    losses: list[float] = []
    try:
        for i, lr in enumerate(lrs):
            model.load_state_dict(snapshot)
            cfg = base.replace(**{"optimizer.lr": lr, "max_steps": steps, "epochs": 10**6,
                                  "schedule": {"name": "constant"}, "early_stopping": None})
            trainer = Trainer(model, cfg, data=data, run_dir=None)
            score, last, message = math.inf, math.inf, ""
            for ev in trainer.run():
                if isinstance(ev, StepEnd):
                    last = ev.loss
                    yield SweepPoint(i, lr, ev.step, last)
                elif isinstance(ev, EpochEnd):
                    score = ev.metrics.get("val_loss", ev.metrics.get("loss", last))
                elif isinstance(ev, RunFailed):
                    message = ev.message
            if message or not math.isfinite(score):
                score = math.inf
            losses.append(score)
            yield SweepDone(i, lr, score, message)
    finally:
        model.load_state_dict(snapshot)
    finite = [(s, lr) for s, lr in zip(losses, lrs, strict=False) if math.isfinite(s)]
    yield SweepSummary(list(lrs), losses, min(finite)[1] if finite else None)
    yield WeightsCheck(before, weights_digest(model))
