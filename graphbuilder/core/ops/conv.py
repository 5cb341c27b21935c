"""Convolutions: 1-D, 2-D, transposed and depthwise. ``in_channels`` is inferred."""

from __future__ import annotations

from torch import nn

from graphbuilder.core.ops._util import (
    as_size,
    check_sizes,
    conv_sizes,
    conv_transpose_sizes,
    expand,
    fmt_shape,
    need_rank,
    pair,
    positive_sizes,
)
from graphbuilder.core.params import Bool, Choice, Int, Size
from graphbuilder.core.registry import OpSpec, register_op


def _conv_params(default_k: int = 3) -> tuple:
    return (
        Int("out_channels", 64, "number of filters (output channels)", min=1),
        Size("kernel_size", default_k, "filter size (int or [h, w])"),
        Size("stride", 1, "step between filter positions"),
        Size("padding", 0, "zeros added on each side, or 'same'/'valid'", min=0,
             extra=("same", "valid")),
        Size("dilation", 1, "spacing between filter taps"),
        Int("groups", 1, "split channels into groups (groups = in_channels is depthwise)",
            min=1),
        Bool("bias", True, "learn an additive bias"),
        Choice("padding_mode", "zeros", ("zeros", "reflect", "replicate", "circular"),
               "how borders are padded"),
    )


def _conv_check(op: str, rank: int, what: str):
    def check(p: dict, s: list) -> str | None:
        shape = s[0]
        msg = need_rank(op, shape, (rank,), what)
        if msg:
            return msg
        n = rank - 1
        msg = check_sizes(op, p, ("kernel_size", "stride", "padding", "dilation"), n)
        if msg:
            return msg
        cin = shape[1]
        if cin % p["groups"] or p["out_channels"] % p["groups"]:
            return (
                f"groups={p['groups']} must divide both the input channels ({cin}) "
                f"and out_channels ({p['out_channels']})"
            )
        if p["padding"] == "same" and any(st != 1 for st in expand(p["stride"], n)):
            return "padding='same' only works with stride 1"
        k = expand(p["kernel_size"], n)
        pad = p["padding"]
        if isinstance(pad, str):
            return None
        pads = expand(pad, n)
        dil = expand(p["dilation"], n)
        for size, kk, pp, dd in zip(shape[2:], k, pads, dil, strict=False):
            if size + 2 * pp < dd * (kk - 1) + 1:
                return (
                    f"kernel {kk} (dilation {dd}) is larger than the padded input "
                    f"{fmt_shape(shape)}; use a smaller kernel or fewer downsampling steps"
                )
        return None
    return check


def _one_entry(v) -> bool:  # noqa: ANN001
    """A 2-D kernel given as ``[k]`` builds a 3-D weight that torch then refuses."""
    return isinstance(v, list | tuple) and len(v) == 1


def _conv_shape(rank: int, depthwise: bool = False):
    """Exact output shape of a (depthwise) convolution in plain Python: the meta kernel of
    ``conv`` imports sympy on its first call (0.4-1.3 s on every CNN's first inference).
    ``None`` for what the meta run should judge (torch's error kept)."""
    def infer(p: dict, s: list) -> tuple[int, ...] | None:
        shape = s[0]
        n = rank - 1
        if len(shape) != rank + 1 or (not depthwise and p["padding_mode"] != "zeros"):
            return None  # non-zero padding modes pad with F.pad first, with its own checks
        if n > 1 and _one_entry(p["kernel_size"]):
            return None
        cin = shape[1]
        groups = cin if depthwise else p["groups"]
        cout = cin * p["multiplier"] if depthwise else p["out_channels"]
        if cin < 1 or cin % groups or cout % groups:
            return None
        k = expand(p["kernel_size"], n)
        stride = expand(p["stride"], n)
        dil = (1,) * n if depthwise else expand(p["dilation"], n)
        pad = p["padding"]
        if pad == "valid":
            pad = 0
        if pad == "same":
            # torch pads d * (k - 1) in all, so any kernel fits
            if any(st != 1 for st in stride) or not positive_sizes(shape[2:], k, dil):
                return None
            return (shape[0], cout, *shape[2:])
        if isinstance(pad, str):
            return None
        out = conv_sizes(shape[2:], k, stride, expand(pad, n), dil)
        return None if out is None else (shape[0], cout, *out)
    return infer


def _scalar(v):
    return v[0] if isinstance(v, list | tuple) and len(v) == 1 else v


def _build_conv(cls, rank: int):
    def build(p: dict, s: list) -> nn.Module:
        conv = as_size if rank == 3 else _scalar
        return cls(
            s[0][1], p["out_channels"], conv(p["kernel_size"]), stride=conv(p["stride"]),
            padding=conv(p["padding"]), dilation=conv(p["dilation"]), groups=p["groups"],
            bias=p["bias"], padding_mode=p["padding_mode"],
        )
    return build


register_op(OpSpec(
    "Conv2d", "Convolution",
    "2-D convolution over [channels, height, width]; in_channels is inferred.",
    params=_conv_params(),
    build=_build_conv(nn.Conv2d, 3),
    check=_conv_check("Conv2d", 3, "an image-like tensor [channels, height, width]"),
    infer=_conv_shape(3),
    key_params=("out_channels", "kernel_size", "stride"),
))

register_op(OpSpec(
    "Conv1d", "Convolution",
    "1-D convolution over [channels, length]; in_channels is inferred.",
    params=_conv_params(),
    build=_build_conv(nn.Conv1d, 2),
    check=_conv_check("Conv1d", 2, "a [channels, length] tensor"),
    infer=_conv_shape(2),
    key_params=("out_channels", "kernel_size", "stride"),
))


def _check_tconv(p: dict, s: list) -> str | None:
    msg = need_rank("ConvTranspose2d", s[0], (3,), "an image-like tensor [channels, h, w]")
    msg = msg or check_sizes("ConvTranspose2d", p, ("kernel_size", "stride", "padding",
                                                    "output_padding", "dilation"), 2)
    if msg:
        return msg
    if s[0][1] % p["groups"] or p["out_channels"] % p["groups"]:
        return f"groups={p['groups']} must divide input and output channels"
    if any(op >= max(st, d) for op, st, d in zip(pair(p["output_padding"]), pair(p["stride"]),
                                                 pair(p["dilation"]), strict=False)):
        return "output_padding must be smaller than stride or dilation"
    return None


def _tconv_shape(p: dict, s: list) -> tuple[int, ...] | None:
    """Exact output shape of ConvTranspose2d (its meta kernel imports sympy too)."""
    shape = s[0]
    if _one_entry(p["kernel_size"]) or len(shape) != 4 or shape[1] < 1 or shape[1] % p["groups"] \
            or p["out_channels"] % p["groups"]:
        return None
    sizes = [p[name] for name in ("kernel_size", "stride", "padding", "output_padding",
                                  "dilation")]
    if any(isinstance(v, str) for v in sizes):
        return None
    out = conv_transpose_sizes(shape[2:], *(expand(v, 2) for v in sizes))
    return None if out is None else (shape[0], p["out_channels"], *out)


register_op(OpSpec(
    "ConvTranspose2d", "Convolution",
    "Transposed ('up') convolution: learnable upsampling, e.g. kernel 2 stride 2 doubles h, w.",
    params=(
        Int("out_channels", 64, "number of output channels", min=1),
        Size("kernel_size", 2, "filter size"),
        Size("stride", 2, "upsampling factor"),
        Size("padding", 0, "implicit padding removed from the output", min=0),
        Size("output_padding", 0, "extra size added to one side of the output", min=0),
        Size("dilation", 1, "spacing between filter taps"),
        Int("groups", 1, "channel groups", min=1),
        Bool("bias", True, "learn an additive bias"),
    ),
    build=lambda p, s: nn.ConvTranspose2d(
        s[0][1], p["out_channels"], as_size(p["kernel_size"]), stride=as_size(p["stride"]),
        padding=as_size(p["padding"]), output_padding=as_size(p["output_padding"]),
        groups=p["groups"], bias=p["bias"], dilation=as_size(p["dilation"]),
    ),
    check=_check_tconv,
    infer=_tconv_shape,
    key_params=("out_channels", "kernel_size", "stride"),
))


register_op(OpSpec(
    "DepthwiseConv2d", "Convolution",
    "Depthwise convolution: one filter per channel (groups = channels). Follow it with a "
    "1x1 Conv2d to get a depthwise-separable convolution.",
    params=(
        Size("kernel_size", 3, "filter size"),
        Size("stride", 1, "step between filter positions"),
        Size("padding", 1, "zeros added on each side, or 'same'", min=0, extra=("same",)),
        Int("multiplier", 1, "output channels per input channel", min=1),
        Bool("bias", False, "learn an additive bias"),
    ),
    build=lambda p, s: nn.Conv2d(
        s[0][1], s[0][1] * p["multiplier"], as_size(p["kernel_size"]), stride=as_size(p["stride"]),
        padding=as_size(p["padding"]), groups=s[0][1], bias=p["bias"],
    ),
    check=lambda p, s: need_rank("DepthwiseConv2d", s[0], (3,), "an image-like tensor")
    or check_sizes("DepthwiseConv2d", p, ("kernel_size", "stride", "padding"), 2),
    infer=_conv_shape(3, depthwise=True),
    key_params=("kernel_size", "stride"),
))
