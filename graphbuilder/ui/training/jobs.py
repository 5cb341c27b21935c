"""Qt-free generators for the LR tools and evaluation, run by :class:`EventWorker`.

Each compiles the design (seeded like a real run), so what the LR range test probes is
exactly the model a run would start from. A SHA-1 digest of every parameter and buffer
is taken before and after: the engine promises to restore the weights bit-exactly and
the LR view shows the two digests side by side as proof.

Both are thin: the range test and the grid sweep are the engine's
(:func:`~graphbuilder.training.lr_finder.lr_range_test`,
:func:`~graphbuilder.training.lr_finder.lr_sweep`), whose events pass through unchanged.
Stopping closes the generator (:meth:`EventWorker.cancel`), which restores the weights.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from graphbuilder.core.graph import ModelGraph
from graphbuilder.training.config import RunConfig


@dataclass
class WeightsCheck:
    """Digests of the model's state before and after a trial run."""

    before: str
    after: str

    @property
    def restored(self) -> bool:
        return self.before == self.after


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
    """The engine's grid sweep (a ``SweepStep`` per step, an ``LRPoint`` per candidate,
    the ``SweepResult`` with the curves), then a :class:`WeightsCheck`."""
    from graphbuilder.training.lr_finder import lr_sweep

    cfg = RunConfig.from_dict(config)
    model = compile_for(graph, cfg)
    before = weights_digest(model)
    yield from lr_sweep(model, cfg, lrs=lrs, steps=steps, input_shape=input_shape_of(graph))
    yield WeightsCheck(before, weights_digest(model))
