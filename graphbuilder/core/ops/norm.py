"""Normalisation and dropout layers."""

from __future__ import annotations

from torch import nn

from graphbuilder.core.ops._util import need_rank, same_shape
from graphbuilder.core.params import Bool, Float, Int
from graphbuilder.core.registry import OpSpec, register_op


def _bn_params() -> tuple:
    return (
        Float("eps", 1e-5, "added to the variance for stability", min=0.0),
        Float("momentum", 0.1, "running-statistics update rate", min=0.0, max=1.0),
        Bool("affine", True, "learn a per-channel scale and shift"),
    )


register_op(OpSpec(
    "BatchNorm2d", "Normalization",
    "Normalises each channel over the batch and spatial axes, then scales and shifts it.",
    params=_bn_params(),
    build=lambda p, s: nn.BatchNorm2d(s[0][1], eps=p["eps"], momentum=p["momentum"],
                                      affine=p["affine"]),
    check=lambda p, s: need_rank("BatchNorm2d", s[0], (3,), "an image-like tensor [C, H, W]"),
    infer=same_shape,
))

register_op(OpSpec(
    "BatchNorm1d", "Normalization",
    "Normalises each feature (or channel of a [C, L] tensor) over the batch.",
    params=_bn_params(),
    build=lambda p, s: nn.BatchNorm1d(s[0][1], eps=p["eps"], momentum=p["momentum"],
                                      affine=p["affine"]),
    check=lambda p, s: need_rank("BatchNorm1d", s[0], (1, 2), "a [features] or [C, L] tensor"),
    infer=same_shape,
))


def _check_ln(p: dict, s: list) -> str | None:
    if p["axes"] > len(s[0]) - 1:
        return f"LayerNorm over {p['axes']} axes needs an input with that many axes"
    return None


register_op(OpSpec(
    "LayerNorm", "Normalization",
    "Normalises each sample over its last axes (the feature axis by default).",
    params=(
        Int("axes", 1, "how many trailing axes to normalise over", min=1, max=4),
        Float("eps", 1e-5, "added to the variance for stability", min=0.0),
        Bool("elementwise_affine", True, "learn a scale and shift"),
    ),
    build=lambda p, s: nn.LayerNorm(list(s[0][-p["axes"]:]), eps=p["eps"],
                                    elementwise_affine=p["elementwise_affine"]),
    check=_check_ln,
    infer=same_shape,
))


def _check_gn(p: dict, s: list) -> str | None:
    if len(s[0]) < 2:
        return "GroupNorm needs a channel axis"
    if s[0][1] % p["num_groups"]:
        return f"num_groups={p['num_groups']} must divide the {s[0][1]} channels"
    return None


register_op(OpSpec(
    "GroupNorm", "Normalization",
    "Normalises groups of channels per sample; works with any batch size.",
    params=(
        Int("num_groups", 8, "number of channel groups", min=1),
        Float("eps", 1e-5, "added to the variance for stability", min=0.0),
        Bool("affine", True, "learn a per-channel scale and shift"),
    ),
    build=lambda p, s: nn.GroupNorm(p["num_groups"], s[0][1], eps=p["eps"], affine=p["affine"]),
    check=_check_gn,
    key_params=("num_groups",),
    infer=same_shape,
))

register_op(OpSpec(
    "Dropout", "Regularization",
    "Randomly zeroes a fraction p of the values while training (and rescales the rest).",
    params=(Float("p", 0.5, "probability of dropping a value", min=0.0, max=1.0),),
    build=lambda p, s: nn.Dropout(p["p"]),
    key_params=("p",),
    infer=same_shape,
))

register_op(OpSpec(
    "Dropout2d", "Regularization",
    "Randomly zeroes whole channels while training.",
    params=(Float("p", 0.5, "probability of dropping a channel", min=0.0, max=1.0),),
    build=lambda p, s: nn.Dropout2d(p["p"]),
    check=lambda p, s: need_rank("Dropout2d", s[0], (3,), "an image-like tensor [C, H, W]"),
    key_params=("p",),
    infer=same_shape,
))
