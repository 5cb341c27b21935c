"""Ops that change a tensor's layout: flatten, reshape, permute, token ops, mean."""

from __future__ import annotations

import math

import torch
from torch import nn

from graphbuilder.core.ops._util import fmt_shape, tdim
from graphbuilder.core.params import Bool, Int, Shape
from graphbuilder.core.registry import OpSpec, PortSpec, register_op

register_op(OpSpec(
    "Flatten", "Reshape",
    "Flattens every axis except the batch into one: [C, H, W] -> [C*H*W].",
    build=lambda p, s: nn.Flatten(1),
    int_inputs=True,
))


def _reshape(m, x, shape=()):
    return x.reshape(x.shape[0], *shape)


def _check_reshape(p: dict, s: list) -> str | None:
    shape = p["shape"]
    have = math.prod(s[0][1:])
    if sum(1 for d in shape if d == -1) > 1:
        return "only one axis of the target shape may be -1"
    known = math.prod(d for d in shape if d != -1)
    if known <= 0 or (-1 in shape and have % known) or (-1 not in shape and known != have):
        return (f"cannot reshape {fmt_shape(s[0])} ({have} values) into {list(shape)} "
                f"({known} values)")
    return None


register_op(OpSpec(
    "Reshape", "Reshape",
    "Reshapes each sample to a new shape (without batch axis; one entry may be -1).",
    kind="function",
    params=(Shape("shape", [-1], "target shape without the batch axis"),),
    forward=_reshape, check=_check_reshape, key_params=("shape",),
    int_inputs=True,
))


def _permute(m, x, dims=()):
    return x.permute(0, *[d + 1 for d in dims])


def _check_permute(p: dict, s: list) -> str | None:
    n = len(s[0]) - 1
    if sorted(p["dims"]) != list(range(n)):
        return (f"dims must be an ordering of 0..{n - 1} for input {fmt_shape(s[0])}, "
                f"got {list(p['dims'])}")
    return None


register_op(OpSpec(
    "Permute", "Reshape",
    "Reorders the axes of each sample, e.g. dims [1, 0] turns [C, L] into [L, C].",
    kind="function",
    params=(Shape("dims", [1, 0], "new order of the axes (without the batch axis)", min=0),),
    forward=_permute, check=_check_permute, key_params=("dims",),
    int_inputs=True,
))


def _flatten_tokens(m, x):
    return x.flatten(2).transpose(1, 2)


register_op(OpSpec(
    "ImageToTokens", "Reshape",
    "Turns a feature map [C, H, W] into a token sequence [H*W, C] (ViT patch tokens).",
    kind="function", forward=_flatten_tokens,
    check=lambda p, s: None if len(s[0]) == 4 else
    f"ImageToTokens needs an image-like input [C, H, W], got {fmt_shape(s[0])}",
    int_inputs=True,
))


def _prepend(m, x, token):
    return torch.cat([token.expand(x.shape[0], -1, -1), x], dim=1)


def _prepend_shape(p: dict, s: list) -> tuple[int, ...]:
    x = s[0]
    return (x[0], x[1] + 1, x[2])


def _check_prepend(p: dict, s: list) -> str | None:
    x, tok = s
    if len(x) != 3 or len(tok) != 3 or tok[0] != 1 or tok[1] != 1 or tok[2] != x[2]:
        return (f"PrependToken needs tokens [seq, d] and a token Parameter of shape [1, 1, d]; "
                f"got {fmt_shape(x)} and {list(tok)}")
    return None


register_op(OpSpec(
    "PrependToken", "Tensor",
    "Puts a learned token (e.g. ViT's class token) in front of every sequence.",
    kind="function",
    inputs=(PortSpec("in"), PortSpec("token", "a Parameter of shape [1, 1, d]")),
    forward=_prepend, check=_check_prepend, infer=_prepend_shape,
))


def _select(m, x, index=0):
    return x[:, index]


register_op(OpSpec(
    "SelectToken", "Tensor",
    "Takes one position of a sequence, e.g. index 0 = the class token: [seq, d] -> [d].",
    kind="function",
    params=(Int("index", 0, "position to take (-1 = last)"),),
    forward=_select,
    check=lambda p, s: None if len(s[0]) >= 3 and -s[0][1] <= p["index"] < s[0][1]
    else f"index {p['index']} is out of range for a sequence {fmt_shape(s[0])}",
    key_params=("index",),
    int_inputs=True,
))


def _mean(m, x, dim=0, keepdim=False):
    return x.mean(dim=tdim(dim), keepdim=keepdim)


def _mean_shape(p: dict, s: list) -> tuple[int, ...]:
    shape = list(s[0])
    axis = tdim(p["dim"]) % len(shape)
    if p["keepdim"]:
        shape[axis] = 1
    else:
        del shape[axis]
    return tuple(shape)


register_op(OpSpec(
    "Mean", "Tensor",
    "Averages over one axis, e.g. dim 0 of [seq, d] gives the mean token [d].",
    kind="function",
    params=(Int("dim", 0, "axis to average over, counted without the batch axis"),
            Bool("keepdim", False, "keep the averaged axis with size 1")),
    forward=_mean, infer=_mean_shape,
    check=lambda p, s: None if -(len(s[0]) - 1) <= p["dim"] < len(s[0]) - 1
    else f"dim={p['dim']} is out of range for input {fmt_shape(s[0])}",
    key_params=("dim",),
))
