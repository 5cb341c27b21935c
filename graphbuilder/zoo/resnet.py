"""Residual networks (He et al. 2015) with torchvision's exact module names.

Node ids follow ``torchvision.models.resnet``: ``conv1``, ``layer1.0.conv1``,
``layer2.0.downsample.0``... so a compiled template loads torchvision's ``state_dict``
strictly. Each residual block is a collapsible group (``layer3.5``).
"""

from __future__ import annotations

from graphbuilder.core.builder import NetBuilder
from graphbuilder.core.graph import ModelGraph
from graphbuilder.zoo.common import conv_bn_relu, finish, group_nodes, run_config

#: depth -> (block kind, blocks per stage), as in the paper's table 1.
CONFIGS: dict[int, tuple[str, tuple[int, int, int, int]]] = {
    18: ("basic", (2, 2, 2, 2)),
    34: ("basic", (3, 4, 6, 3)),
    50: ("bottleneck", (3, 4, 6, 3)),
    101: ("bottleneck", (3, 4, 23, 3)),
    152: ("bottleneck", (3, 8, 36, 3)),
}


def _shortcut(b: NetBuilder, x: str, in_ch: int, out_ch: int, stride: int) -> str:
    """Identity, or a strided 1x1 conv + BN projection when the shape changes."""
    if stride == 1 and in_ch == out_ch:
        return x
    with b.scope("downsample"):
        return conv_bn_relu(b, x, out_ch, 1, stride, 0, conv="0", bn="1", relu=None)


def basic_block(b: NetBuilder, x: str, in_ch: int, planes: int, stride: int = 1) -> str:
    """3x3 conv-BN-ReLU, 3x3 conv-BN, add the shortcut, ReLU (ResNet-18/34)."""
    h = conv_bn_relu(b, x, planes, 3, stride, conv="conv1", bn="bn1", relu="relu1")
    h = conv_bn_relu(b, h, planes, 3, 1, conv="conv2", bn="bn2", relu=None)
    h = b.add("add", "Add", [h, _shortcut(b, x, in_ch, planes, stride)])
    return b.add("relu2", "ReLU", h)


def bottleneck_block(b: NetBuilder, x: str, in_ch: int, planes: int, stride: int = 1,
                     expansion: int = 4) -> str:
    """1x1 reduce, 3x3 (strided, as torchvision's "ResNet v1.5"), 1x1 expand, add, ReLU."""
    h = conv_bn_relu(b, x, planes, 1, 1, conv="conv1", bn="bn1", relu="relu1")
    h = conv_bn_relu(b, h, planes, 3, stride, conv="conv2", bn="bn2", relu="relu2")
    h = conv_bn_relu(b, h, planes * expansion, 1, 1, conv="conv3", bn="bn3", relu=None)
    h = b.add("add", "Add", [h, _shortcut(b, x, in_ch, planes * expansion, stride)])
    return b.add("relu3", "ReLU", h)


def resnet_body(b: NetBuilder, x: str, depth: int, in_ch: int = 64) -> tuple[str, int]:
    """``layer1`` .. ``layer4``; returns the last node and its channel count."""
    kind, counts = CONFIGS[depth]
    block, expansion = (basic_block, 1) if kind == "basic" else (bottleneck_block, 4)
    h, ch = x, in_ch
    for stage, (count, planes) in enumerate(zip(counts, (64, 128, 256, 512), strict=True), 1):
        with b.scope(f"layer{stage}"):
            for i in range(count):
                stride = 2 if stage > 1 and i == 0 else 1
                label = f"{kind.capitalize()} block {stage}.{i}"
                with b.scope(str(i), label):
                    h = block(b, h, ch, planes, stride)
                ch = planes * expansion
    return h, ch


def resnet(depth: int, num_classes: int = 1000, size: int = 224,
           in_channels: int = 3) -> ModelGraph:
    """ResNet-``depth`` for ImageNet-style inputs (any size >= 32 works)."""
    b = NetBuilder(f"resnet{depth}")
    x = b.input("x", [in_channels, size, size])
    before = set(b.graph.nodes())
    h = conv_bn_relu(b, x, 64, 7, 2, 3, conv="conv1", bn="bn1", relu="relu")
    h = b.add("maxpool", "MaxPool2d", h, kernel_size=3, stride=2, padding=1)
    group_nodes(b, "stem", "Stem: 7x7 conv, max pool", before)
    h, ch = resnet_body(b, h, depth)
    before = set(b.graph.nodes())
    h = b.add("avgpool", "AdaptiveAvgPool2d", h, output_size=1)
    h = b.add("flatten", "Flatten", h)
    h = b.add("fc", "Linear", h, out_features=num_classes)
    group_nodes(b, "head", "Head: pool, classifier", before)
    b.output("y", h)
    kind, counts = CONFIGS[depth]
    return finish(
        b, title=f"ResNet-{depth}", category="Image classification",
        input_shape=[in_channels, size, size], source=f"resnet{depth}",
        description=(f"ResNet-{depth} ({kind} blocks {'-'.join(map(str, counts))}): residual "
                     "connections let very deep conv nets train. Same parameter names as "
                     f"torchvision.models.resnet{depth}, so its weights load directly."),
        training=run_config("imagefolder:PATH", epochs=90, batch_size=64, optimizer="sgd",
                            lr=0.1, weight_decay=1e-4, schedule="cosine",
                            augment=["crop", "hflip"]),
    )
