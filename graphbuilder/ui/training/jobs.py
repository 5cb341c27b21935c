"""Qt-free generators for the LR tools and evaluation, run by :class:`EventWorker`.

Each compiles the design (seeded like a real run), so what the LR range test probes is
exactly the model a run would start from. A SHA-1 digest of every parameter and buffer
is taken before and after: the engine promises to restore the weights bit-exactly and
the LR view shows the two digests side by side as proof.

Both are thin: the range test and the grid sweep are the engine's
(:func:`~graphbuilder.training.lr_finder.lr_range_test`,
:func:`~graphbuilder.training.lr_finder.lr_sweep`), whose events pass through unchanged.

Stop (:class:`LRJob`) asks the job to end itself rather than closing it from the worker
(:meth:`EventWorker.cancel`): a closed generator restores the weights in the engine's
``finally`` but can yield nothing more, so the tab showed "restored" with no digests and
lost the candidates that had finished. Asked, the sweep ends through the engine's
``should_stop`` with a partial ``SweepResult``; the range test, which has no such hook,
is closed by the job itself, which then analyses the points it got. Either way the
weights check follows. Cancelling the worker still works (closing the window).
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from graphbuilder.core.graph import ModelGraph
from graphbuilder.training.config import RunConfig
from graphbuilder.training.events import LRPoint
from graphbuilder.training.lr_finder import LRFinderResult, analyse, lr_range_test, lr_sweep


@dataclass
class WeightsCheck:
    """Digests of the model's state before and after a trial run."""

    before: str
    after: str

    @property
    def restored(self) -> bool:
        return self.before == self.after


@dataclass
class StoppedRange(LRFinderResult):
    """A range test's result over the part of the ramp that ran before Stop: suggestions
    from a truncated curve, which the view words as such."""

    planned_steps: int = 0


class LRJob:
    """An LR job (``fn(should_stop=...)``) for :class:`EventWorker`, with a :meth:`stop`
    that lets it end itself with what it has (like :class:`TrainingJob`'s)."""

    def __init__(self, fn: Callable[..., Iterator[Any]]) -> None:
        self.fn = fn
        self.stopped = threading.Event()

    def __call__(self) -> Iterator[Any]:
        return self.fn(should_stop=self.stopped.is_set)

    def stop(self) -> None:
        """Thread-safe; the job sees it at its next optimizer step."""
        self.stopped.set()


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
                   num_steps: int, should_stop: Callable[[], bool] | None = None
                   ) -> Iterator[Any]:
    """LRPoint per step, the LRFinderResult (a :class:`StoppedRange` when ``should_stop``
    turned true first), then a :class:`WeightsCheck`."""
    cfg = RunConfig.from_dict(config)
    model = compile_for(graph, cfg)
    before = weights_digest(model)
    engine = lr_range_test(model, cfg, start_lr=start_lr, end_lr=end_lr,
                           num_steps=num_steps, input_shape=input_shape_of(graph))
    points: list[LRPoint] = []
    cut = False
    try:
        for ev in engine:
            yield ev
            if isinstance(ev, LRPoint):
                points.append(ev)
                cut = should_stop is not None and should_stop()
                if cut:
                    break
    finally:
        engine.close()  # a no-op when it finished; else its finally restores the weights
    if cut:
        part = analyse([p.lr for p in points], [p.loss for p in points])
        yield StoppedRange(**part.to_dict(), planned_steps=num_steps)
    yield WeightsCheck(before, weights_digest(model))


def sweep_job(graph: ModelGraph, config: dict[str, Any], lrs: list[float], steps: int,
              should_stop: Callable[[], bool] | None = None) -> Iterator[Any]:
    """The engine's grid sweep (a ``SweepStep`` per step, an ``LRPoint`` per candidate,
    the ``SweepResult`` with the curves, partial when ``should_stop`` turned true), then
    a :class:`WeightsCheck`."""
    cfg = RunConfig.from_dict(config)
    model = compile_for(graph, cfg)
    before = weights_digest(model)
    yield from lr_sweep(model, cfg, lrs=lrs, steps=steps, input_shape=input_shape_of(graph),
                        should_stop=should_stop)
    yield WeightsCheck(before, weights_digest(model))
