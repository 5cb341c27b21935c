"""Train a graph: compile it (seeded by the run config) and hand it to the Trainer."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from torch import nn

from graphbuilder.training.config import RunConfig
from graphbuilder.training.events import RunEnded, RunFailed
from graphbuilder.training.trainer import Listener, Trainer


def trainer_for_graph(graph: Any, config: RunConfig | dict | None = None, **kwargs: Any
                      ) -> Trainer:
    """Compile ``graph`` (seeded by the config) and wrap it in a :class:`Trainer`.

    ``config`` defaults to ``graph.training``; the Input node's shape sizes local images.
    """
    from graphbuilder.compiler.fx_compile import compile_graph

    cfg = RunConfig.from_dict(config if config is not None else graph.training)
    model = compile_graph(graph, seed=cfg.seed)
    shape = None
    inputs = graph.input_nodes()
    if len(inputs) == 1:
        shape = tuple(graph.params(inputs[0]).get("shape") or ()) or None
    kwargs.setdefault("input_shape", shape)
    return Trainer(model, cfg, **kwargs)


def train_graph(graph: Any, config: RunConfig | dict | None = None, *,
                listeners: Iterable[Listener] = (), **kwargs: Any
                ) -> tuple[nn.Module, RunEnded | RunFailed]:
    """Compile and train ``graph``; returns ``(trained GraphModule, final event)``."""
    trainer = trainer_for_graph(graph, config, **kwargs)
    final = trainer.fit(listeners)
    return trainer.model, final
