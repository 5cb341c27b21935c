"""Pooling and upsampling."""

from __future__ import annotations

import torch.nn.functional as F
from torch import nn

from graphbuilder.core.ops._util import (
    as_size,
    check_sizes,
    expand,
    fmt_shape,
    need_rank,
    pool_sizes,
)
from graphbuilder.core.params import Bool, Choice, Float, Size
from graphbuilder.core.registry import OpSpec, PortSpec, register_op

IMG = "an image-like tensor [channels, height, width]"
SEQ = "a [channels, length] tensor"


def _pool_check(op: str, rank: int):
    def check(p: dict, s: list) -> str | None:
        what = IMG if rank == 3 else SEQ
        msg = need_rank(op, s[0], (rank,), what)
        msg = msg or check_sizes(op, p, ("kernel_size", "stride", "padding"), rank - 1)
        if msg:
            return msg
        k = expand(p["kernel_size"], rank - 1)
        pad = expand(p["padding"], rank - 1)
        if any(pp > kk // 2 for pp, kk in zip(pad, k, strict=False)):
            return "padding must be at most half the kernel size"
        if any(size + 2 * pp < kk for size, kk, pp in zip(s[0][2:], k, pad, strict=False)):
            return (f"pooling window {p['kernel_size']} is larger than the input "
                    f"{fmt_shape(s[0])}; remove a pooling step or use a smaller window")
        return None
    return check


def _pool_shape(rank: int):
    """Exact output shape of max/average pooling in plain Python: their meta kernels import
    sympy on the first call. ``None`` leaves unusual cases to the meta run."""
    def infer(p: dict, s: list) -> tuple[int, ...] | None:
        shape = s[0]
        n = rank - 1
        if len(shape) != rank + 1 or any(isinstance(p[k], str)
                                          for k in ("kernel_size", "stride", "padding")):
            return None
        k = expand(p["kernel_size"], n)
        stride = k if p["stride"] is None else expand(p["stride"], n)
        out = pool_sizes(shape[2:], k, stride, expand(p["padding"], n), bool(p["ceil_mode"]))
        return None if out is None else (*shape[:2], *out)
    return infer


def _pool_params(default_k: int = 2) -> tuple:
    return (
        Size("kernel_size", default_k, "window size"),
        Size("stride", None, "step (default: the window size)", optional=True),
        Size("padding", 0, "implicit padding on each side", min=0),
        Bool("ceil_mode", False, "round the output size up instead of down"),
    )


for _name, _cls, _rank in (
    ("MaxPool2d", nn.MaxPool2d, 3), ("MaxPool1d", nn.MaxPool1d, 2),
    ("AvgPool2d", nn.AvgPool2d, 3), ("AvgPool1d", nn.AvgPool1d, 2),
):
    _kind = "maximum" if _name.startswith("Max") else "average"
    register_op(OpSpec(
        _name, "Pooling",
        f"Takes the {_kind} over each window; shrinks the spatial size by the stride.",
        params=_pool_params(),
        build=(lambda cls: lambda p, s: cls(
            as_size(p["kernel_size"]), stride=as_size(p["stride"]), padding=as_size(p["padding"]),
            ceil_mode=p["ceil_mode"]))(_cls),
        check=_pool_check(_name, _rank),
        infer=_pool_shape(_rank),
        key_params=("kernel_size", "stride"),
    ))

for _name, _cls, _rank in (
    ("AdaptiveAvgPool2d", nn.AdaptiveAvgPool2d, 3), ("AdaptiveAvgPool1d", nn.AdaptiveAvgPool1d, 2),
    ("AdaptiveMaxPool2d", nn.AdaptiveMaxPool2d, 3),
):
    register_op(OpSpec(
        _name, "Pooling",
        "Pools to a fixed output size whatever the input size (1 = global pooling).",
        params=(Size("output_size", 1, "output spatial size"),),
        build=(lambda cls: lambda p, s: cls(as_size(p["output_size"])))(_cls),
        check=(lambda n, r: lambda p, s: need_rank(n, s[0], (r,), IMG if r == 3 else SEQ))(
            _name, _rank),
        key_params=("output_size",),
    ))

register_op(OpSpec(
    "GlobalAvgPool2d", "Pooling",
    "Averages each channel over height and width: [C, H, W] -> [C].",
    kind="function",
    forward=lambda m, x: x.mean((2, 3)),
    infer=lambda p, s: tuple(s[0][:2]),
    check=lambda p, s: need_rank("GlobalAvgPool2d", s[0], (3,), IMG),
))


def _upsample_check(p: dict, s: list) -> str | None:
    msg = need_rank("Upsample", s[0], (2, 3), "a [C, L] or [C, H, W] tensor")
    if msg:
        return msg
    if p["mode"] == "bilinear" and len(s[0]) != 4:
        return "bilinear upsampling needs an image-like [C, H, W] input; use 'linear' for 1-D"
    if p["mode"] == "linear" and len(s[0]) != 3:
        return "linear upsampling needs a [C, L] input; use 'bilinear' for images"
    return None


def _upsample_shape(p: dict, s: list) -> tuple[int, ...] | None:
    """torch's rule (UpSample.cpp compute_output_size): floor(size * scale) per axis."""
    size = tuple(int(n * p["scale_factor"]) for n in s[0][2:])
    if 0 in size:
        return None  # torch's own error for an empty result
    return (*s[0][:2], *size)


register_op(OpSpec(
    "Upsample", "Pooling",
    "Enlarges the spatial size by a factor (nearest or bilinear interpolation, no weights).",
    params=(
        Float("scale_factor", 2.0, "size multiplier", min=0.01, max=64),
        Choice("mode", "nearest", ("nearest", "bilinear", "linear"), "interpolation"),
        Bool("align_corners", False, "bilinear: align the corner pixels"),
    ),
    build=lambda p, s: nn.Upsample(
        scale_factor=p["scale_factor"], mode=p["mode"],
        align_corners=p["align_corners"] if p["mode"] != "nearest" else None),
    check=_upsample_check, infer=_upsample_shape,
    key_params=("scale_factor", "mode"),
))


def _crop_like(m, x, like):
    h, w = like.shape[-2], like.shape[-1]
    top = (x.shape[-2] - h) // 2
    left = (x.shape[-1] - w) // 2
    return x[:, :, top:top + h, left:left + w]


def _crop_check(p: dict, s: list) -> str | None:
    x, like = s
    if len(x) != 4 or len(like) != 4:
        return "CenterCropLike needs two image-like tensors [C, H, W]"
    if x[2] < like[2] or x[3] < like[3]:
        return (f"cannot crop {fmt_shape(x)} down to the size of {fmt_shape(like)}: "
                "it is smaller; use ResizeLike instead")
    return None


register_op(OpSpec(
    "CenterCropLike", "Pooling",
    "Crops the centre of 'in' to the height/width of 'like' (the classic U-Net skip crop).",
    kind="function",
    inputs=(PortSpec("in"), PortSpec("like", "tensor whose height and width to match")),
    forward=_crop_like,
    check=_crop_check,
    int_inputs=True,
))


def _resize_like(m, x, like, mode="nearest"):
    return F.interpolate(x, size=(like.shape[-2], like.shape[-1]), mode=mode)


register_op(OpSpec(
    "ResizeLike", "Pooling",
    "Resizes 'in' to the height/width of 'like' by interpolation.",
    kind="function",
    inputs=(PortSpec("in"), PortSpec("like", "tensor whose height and width to match")),
    params=(Choice("mode", "nearest", ("nearest", "bilinear"), "interpolation"),),
    forward=_resize_like,
    infer=lambda p, s: (*s[0][:2], *s[1][2:]),
    check=lambda p, s: None if len(s[0]) == 4 and len(s[1]) == 4
    else "ResizeLike needs two image-like tensors [C, H, W]",
))
