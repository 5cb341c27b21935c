"""Ops that join several paths: residual add, multiply, concat, identity."""

from __future__ import annotations

import functools
import operator

import torch

from graphbuilder.core.ops._util import (
    broadcast_shape,
    broadcast_shapes,
    fmt_shape,
    same_shape,
    tdim,
)
from graphbuilder.core.params import Int
from graphbuilder.core.registry import OpSpec, PortSpec, register_op

_MANY = (PortSpec("in", "connect two or more tensors", variadic=True, min_count=2),)


def _listing(shapes: list) -> str:
    txt = [fmt_shape(s) for s in shapes]
    return ", ".join(txt[:-1]) + " and " + txt[-1]


def _fix_hint(shapes: list) -> str:
    """Suggest the projection a residual add needs, the way a textbook would."""
    if all(len(s) == 4 for s in shapes):
        (a, b) = sorted(shapes[:2], key=lambda s: s[2], reverse=True)  # a: larger map
        if a[2] % b[2] == 0 and a[3] % b[3] == 0:
            stride = a[2] // b[2]
            extra = f" with stride {stride}" if stride > 1 else ""
            return (f"add a 1x1 conv to {b[1]} channels{extra} on the skip path "
                    f"(a projection shortcut)")
    if all(len(s) == 2 for s in shapes):
        return f"add a Linear to {shapes[0][1]} features on one path"
    return "make both paths produce the same shape"


def _check_elementwise(what: str):
    def check(p: dict, s: list) -> str | None:
        shapes = s[0]  # the variadic port's list of shapes
        try:
            broadcast_shapes(*shapes)
        except RuntimeError:
            return (f"inputs have shapes {_listing(shapes)}; a {what} needs equal shapes — "
                    f"{_fix_hint(shapes)}")
        return None
    return check


register_op(OpSpec(
    "Add", "Merge",
    "Element-wise sum of its inputs: the residual (skip) connection.",
    kind="function", inputs=_MANY,
    forward=lambda m, xs: functools.reduce(operator.add, xs),
    check=_check_elementwise("residual add"),
    int_inputs=True,
    infer=broadcast_shape,
))

register_op(OpSpec(
    "Multiply", "Merge",
    "Element-wise product of its inputs (gating, attention masks).",
    kind="function", inputs=_MANY,
    forward=lambda m, xs: functools.reduce(operator.mul, xs),
    check=_check_elementwise("multiply"),
    int_inputs=True,
    infer=broadcast_shape,
))


def _check_concat(p: dict, s: list) -> str | None:
    shapes = s[0]
    ranks = {len(s) for s in shapes}
    if len(ranks) != 1:
        return f"inputs have shapes {_listing(shapes)}; concat needs the same number of axes"
    rank = ranks.pop()
    d = tdim(p["dim"])
    if not (-rank < d < rank) or d in (0, -rank):
        return f"dim={p['dim']} is out of range for inputs with {rank - 1} axes"
    d %= rank
    for s in shapes[1:]:
        for ax in range(1, rank):
            if ax != d and s[ax] != shapes[0][ax]:
                axis_name = "spatial sizes" if rank == 4 and ax >= 2 else f"axis {ax - 1}"
                hint = (" — crop or resize one path (CenterCropLike / ResizeLike)"
                        if rank == 4 and ax >= 2 else "")
                return (f"inputs have shapes {_listing(shapes)}; concat along axis "
                        f"{p['dim']} needs equal {axis_name}{hint}")
    return None


def _concat_shape(p: dict, s: list) -> tuple[int, ...]:
    """Shape rule (torch.cat's meta kernel is a slow Python reference): sizes add up."""
    shapes = s[0]
    d = tdim(p["dim"]) % len(shapes[0])
    out = list(shapes[0])
    out[d] = sum(x[d] for x in shapes)
    return tuple(out)


register_op(OpSpec(
    "Concat", "Merge",
    "Joins its inputs along an axis (0 = channels) in port order: in0, in1, ...",
    kind="function", inputs=_MANY,
    params=(Int("dim", 0, "axis to join along, counted without the batch axis"),),
    forward=lambda m, xs, dim=0: torch.cat(xs, dim=tdim(dim)),
    check=_check_concat,
    key_params=("dim",),
    int_inputs=True,
    infer=_concat_shape,
))

register_op(OpSpec(
    "Identity", "Merge",
    "Passes its input through unchanged (a named junction, e.g. an empty skip path).",
    kind="function",
    forward=lambda m, x: x,
    int_inputs=True,
    infer=same_shape,
))
