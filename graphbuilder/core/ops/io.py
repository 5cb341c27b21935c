"""Graph inputs, outputs and learnable tensors."""

from __future__ import annotations

import torch
from torch import nn

from graphbuilder.core.params import Choice, Float, Shape
from graphbuilder.core.registry import OpSpec, register_op


def _build_parameter(p: dict, _shapes: list) -> nn.Parameter:
    data = torch.empty(p["shape"])
    if p["init"] == "zeros":
        nn.init.zeros_(data)
    elif p["init"] == "ones":
        nn.init.ones_(data)
    elif p["init"] == "normal":
        nn.init.normal_(data, std=p["std"])
    else:
        nn.init.trunc_normal_(data, std=p["std"])
    return nn.Parameter(data)


register_op(OpSpec(
    "Input", "Input/Output",
    "A graph input: one sample's shape, without the batch dimension (e.g. [3, 32, 32]).",
    kind="input", inputs=(),
    params=(
        Shape("shape", [3, 32, 32], "shape of one sample, without the batch axis", min=1),
        Choice("dtype", "float32", ("float32", "int64"), "int64 for token ids (Embedding)"),
    ),
    key_params=("shape",),
))

register_op(OpSpec(
    "Output", "Input/Output",
    "A graph output. Several outputs make a multi-head model; the node id names each.",
    kind="output",
))

register_op(OpSpec(
    "Parameter", "Tensor",
    "A learnable tensor such as a class token or a positional embedding (full shape).",
    kind="parameter", inputs=(),
    params=(
        Shape("shape", [1, 1, 64], "full shape of the tensor (no batch axis is added)", min=1),
        Choice("init", "zeros", ("zeros", "ones", "normal", "trunc_normal"), "initial values"),
        Float("std", 0.02, "standard deviation for normal initialisation", min=0.0),
    ),
    build=_build_parameter,
    key_params=("shape",),
))
