"""Segmentation networks: U-Net (Ronneberger et al. 2015) and a small FCN.

Both predict one score per class *per pixel* ([classes, H, W], same H and W as the
input) for the 'shapes_seg' style of dataset. The U-Net pads its 3x3 convs so no
cropping is needed: the input height and width must be multiples of 2**depth.
"""

from __future__ import annotations

from graphbuilder.core.builder import NetBuilder
from graphbuilder.core.graph import ModelGraph
from graphbuilder.zoo.common import conv_bn_relu, finish, run_config


def double_conv(b: NetBuilder, x: str, out_channels: int, batch_norm: bool = True) -> str:
    """Two 3x3 convs (padding 1) each followed by [BN and] ReLU."""
    h = x
    for i in (1, 2):
        if batch_norm:
            h = conv_bn_relu(b, h, out_channels, 3, conv=f"conv{i}", bn=f"bn{i}",
                             relu=f"relu{i}")
        else:
            h = b.add(f"conv{i}", "Conv2d", h, out_channels=out_channels, kernel_size=3,
                      padding=1)
            h = b.add(f"relu{i}", "ReLU", h)
    return h


def unet_down(b: NetBuilder, x: str, out_channels: int, batch_norm: bool = True) -> str:
    """Contracting step: 2x2 max pool, then a double conv."""
    h = b.add("pool", "MaxPool2d", x, kernel_size=2, stride=2)
    return double_conv(b, h, out_channels, batch_norm)


def unet_up(b: NetBuilder, x: str, skip: str, out_channels: int,
            batch_norm: bool = True) -> str:
    """Expanding step: 2x2 transposed conv (halves channels), concat the skip, double conv."""
    h = b.add("up", "ConvTranspose2d", x, out_channels=out_channels, kernel_size=2, stride=2)
    h = b.add("concat", "Concat", [skip, h])
    return double_conv(b, h, out_channels, batch_norm)


def unet(in_channels: int = 3, num_classes: int = 4, size: int = 32, base: int = 64,
         depth: int = 4, batch_norm: bool = True) -> ModelGraph:
    """Classic U-Net widths base..base*2**depth (64 -> 1024) with skip concatenations."""
    if size % (2 ** depth):
        raise ValueError(f"U-Net of depth {depth} needs a size divisible by {2 ** depth}")
    b = NetBuilder("unet")
    h = b.input("x", [in_channels, size, size])
    with b.scope("inc", "Input double conv"):
        h = double_conv(b, h, base, batch_norm)
    skips = [h]
    for i in range(1, depth + 1):
        with b.scope(f"down{i}", f"Down {i}: pool, double conv ({base * 2 ** i} ch)"):
            h = unet_down(b, h, base * 2 ** i, batch_norm)
        skips.append(h)
    skips.pop()
    for i in range(1, depth + 1):
        ch = base * 2 ** (depth - i)
        with b.scope(f"up{i}", f"Up {i}: transposed conv, concat skip, double conv"):
            h = unet_up(b, h, skips.pop(), ch, batch_norm)
    h = b.add("outc", "Conv2d", h, out_channels=num_classes, kernel_size=1)
    b.output("y", h)
    return finish(
        b, title="U-Net", category="Segmentation", input_shape=[in_channels, size, size],
        description=(f"U-Net: a contracting path ({base} -> {base * 2 ** depth} channels) and "
                     "an expanding path of transposed convolutions, joined by skip "
                     "concatenations; predicts a class per pixel at the input's resolution "
                     f"(height and width must be multiples of {2 ** depth}). Change the "
                     "Input's channels and 'outc' out_channels for your data."),
        training=run_config("shapes_seg", epochs=20, batch_size=16, lr=1e-3,
                            metrics=["accuracy", "iou"], task="segmentation"),
    )


def fcn(in_channels: int = 3, num_classes: int = 4, size: int = 32) -> ModelGraph:
    """A small fully-convolutional net: downsample x4, 1x1 class scores, learned upsample x4."""
    b = NetBuilder("fcn")
    h = b.input("x", [in_channels, size, size])
    for i, ch in enumerate((32, 64), start=1):
        with b.scope(f"block{i}", f"Conv block {i} + pool"):
            h = conv_bn_relu(b, h, ch, 3, conv="conv", bn="bn", relu="relu")
            h = b.add("pool", "MaxPool2d", h, kernel_size=2)
    with b.scope("block3", "Conv block 3"):
        h = conv_bn_relu(b, h, 128, 3, conv="conv", bn="bn", relu="relu")
    with b.scope("head", "Class scores, learned x4 upsampling"):
        h = b.add("score", "Conv2d", h, out_channels=num_classes, kernel_size=1)
        h = b.add("upsample", "ConvTranspose2d", h, out_channels=num_classes, kernel_size=4,
                  stride=4)
    b.output("y", h)
    return finish(
        b, title="FCN (small)", category="Segmentation", input_shape=[in_channels, size, size],
        description=("A fully-convolutional segmentation net: conv blocks downsample by 4, a "
                     "1x1 conv scores each class, a transposed conv upsamples the scores back "
                     "to the input's size (a multiple of 4). No Linear layer, so any size "
                     "works."),
        training=run_config("shapes_seg", epochs=20, batch_size=32, lr=1e-3,
                            metrics=["accuracy", "iou"], task="segmentation"),
    )
