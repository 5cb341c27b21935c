"""Fully-connected layers and embeddings."""

from __future__ import annotations

from torch import nn

from graphbuilder.core.ops._util import fmt_shape
from graphbuilder.core.params import Bool, Int
from graphbuilder.core.registry import OpSpec, register_op


def _check_linear(p: dict, s: list) -> str | None:
    shape = s[0]
    if len(shape) < 2:
        return "Linear needs at least one feature axis"
    if len(shape) >= 4:
        return (
            f"Linear acts on the last axis only, but its input {fmt_shape(shape)} is "
            "image-like; add Flatten (or global average pooling) before it"
        )
    return None


register_op(OpSpec(
    "Linear", "Dense",
    "Fully-connected layer y = xWᵀ + b on the last axis; in_features is inferred.",
    params=(
        Int("out_features", 64, "number of output units", min=1),
        Bool("bias", True, "learn an additive bias"),
    ),
    build=lambda p, s: nn.Linear(s[0][-1], p["out_features"], bias=p["bias"]),
    check=_check_linear,
    key_params=("out_features",),
))


def _check_embedding(p: dict, s: list) -> str | None:
    if len(s[0]) < 2:
        return "Embedding needs token ids with at least one axis, e.g. [seq]"
    return None


register_op(OpSpec(
    "Embedding", "Dense",
    "Looks up a learned vector for each integer token id (input dtype int64).",
    params=(
        Int("num_embeddings", 1000, "vocabulary size", min=1),
        Int("embedding_dim", 64, "size of each vector", min=1),
        Int("padding_idx", None, "token id whose vector stays zero", min=0, optional=True),
    ),
    build=lambda p, s: nn.Embedding(p["num_embeddings"], p["embedding_dim"],
                                    padding_idx=p["padding_idx"]),
    check=_check_embedding,
    key_params=("num_embeddings", "embedding_dim"),
    int_inputs=True,
))
