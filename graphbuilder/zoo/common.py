"""Helpers shared by the template generators: run configs, metadata, conv+BN+ReLU.

Templates carry a suggested training setup (``graph.training``, the RunConfig JSON of
docs/CONTRACTS.md) and a description for the template browser (``graph.metadata``).
Building both through these helpers keeps every template's files the same shape.
"""

from __future__ import annotations

import copy
from typing import Any

from graphbuilder.compiler.shapes import infer_shapes
from graphbuilder.core.builder import NetBuilder
from graphbuilder.core.graph import ModelGraph

#: Templates bigger than this open with their blocks folded (ResNet-152 shows ~50 boxes,
#: not 517 nodes); smaller ones open expanded so students see every layer.
COLLAPSE_ABOVE = 150

#: Categories the template browser groups by.
CATEGORIES = ("Basics", "Image classification", "Segmentation", "Sequence", "Generative")


def run_config(dataset: str, *, epochs: int = 10, batch_size: int = 64,
               loss: str = "cross_entropy", metrics: list[str] | None = None,
               optimizer: str = "adam", lr: float = 1e-3, weight_decay: float = 0.0,
               schedule: str = "constant", warmup_steps: int = 0,
               augment: list[str] | None = None, task: str | None = None,
               monitor: str = "val_loss") -> dict[str, Any]:
    """A RunConfig document (only the keys a template suggests; readers fill defaults)."""
    data: dict[str, Any] = {"dataset": dataset, "val_fraction": 0.2, "batch_size": batch_size,
                            "augment": list(augment or [])}
    if task is not None:
        data["task"] = task
    return {
        "version": 1,
        "data": data,
        "epochs": epochs,
        "loss": loss,
        "metrics": list(metrics if metrics is not None else ["accuracy"]),
        "optimizer": {"name": optimizer, "lr": lr, "weight_decay": weight_decay},
        "schedule": {"name": schedule, "warmup_steps": warmup_steps},
        "checkpoint": {"keep_best": True, "monitor": monitor, "mode": "min"},
        "seed": 0,
    }


def group_nodes(b: NetBuilder, group_id: str, label: str, since: set[str]) -> None:
    """Group the nodes added since the snapshot ``since`` without prefixing their ids.

    ``NetBuilder.scope`` groups *and* prefixes; torchvision's stem (``conv1``, ``bn1``...)
    must keep its bare names yet still fold into one box in the editor.
    """
    nodes = [n for n in b.graph.nodes() if n not in since]
    b.group(group_id, label, nodes)


def finish(b: NetBuilder, *, title: str, description: str, category: str,
           input_shape: list[int], training: dict[str, Any],
           source: str | None = None, **extra: Any) -> ModelGraph:
    """Lay out the graph and attach the browser metadata and the suggested run config."""
    if category not in CATEGORIES:
        raise ValueError(f"unknown template category {category!r}")
    graph = b.build()
    if len(graph) > COLLAPSE_ABOVE:
        for group in graph.groups.values():
            group.collapsed = True
    meta: dict[str, Any] = {"title": title, "description": description, "category": category,
                            "input_shape": list(input_shape)}
    if source:
        meta["torchvision"] = source
    meta.update(extra)
    report = infer_shapes(graph)
    if not report.ok:
        raise ValueError(f"template {b.graph.name!r} is broken: {report.blocking[:3]}")
    meta["params"] = report.total_params
    graph.description = description
    graph.metadata = meta
    graph.training = copy.deepcopy(training)
    return graph


def conv_bn_relu(b: NetBuilder, x: str, out_channels: int, kernel_size: int = 3,
                 stride: int = 1, padding: int | None = None, *, conv: str = "conv",
                 bn: str = "bn", relu: str | None = "relu", groups: int = 1,
                 act: str = "ReLU", eps: float = 1e-5) -> str:
    """Conv2d (no bias) -> BatchNorm2d -> activation, ids chosen by the caller."""
    pad = (kernel_size - 1) // 2 if padding is None else padding
    params: dict[str, Any] = {"out_channels": out_channels, "kernel_size": kernel_size,
                              "bias": False}
    if stride != 1:
        params["stride"] = stride
    if pad:
        params["padding"] = pad
    if groups != 1:
        params["groups"] = groups
    h = b.add(conv, "Conv2d", x, **params)
    h = b.add(bn, "BatchNorm2d", h, **({"eps": eps} if eps != 1e-5 else {}))
    if relu is not None:
        h = b.add(relu, act, h)
    return h
