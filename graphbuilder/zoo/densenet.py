"""DenseNet (Huang et al. 2017): every layer sees the concatenation of all earlier ones.

Names follow ``torchvision.models.densenet`` (``features.denseblock1.denselayer1.conv1``,
``features.transition1.conv``), so ``densenet121`` weights load strictly. Each dense
layer is one group; its input is an explicit ``Concat`` of the block's feature maps, the
same ``torch.cat`` torchvision runs.
"""

from __future__ import annotations

from graphbuilder.core.builder import NetBuilder
from graphbuilder.core.graph import ModelGraph
from graphbuilder.zoo.common import finish, group_nodes, run_config

CONFIGS: dict[int, tuple[int, tuple[int, ...], int]] = {
    # depth: (growth rate, layers per block, initial features)
    121: (32, (6, 12, 24, 16), 64),
    169: (32, (6, 12, 32, 32), 64),
}


def dense_layer(b: NetBuilder, features: list[str], growth: int, bn_size: int = 4) -> str:
    """BN-ReLU-1x1 conv (bottleneck to bn_size*growth) then BN-ReLU-3x3 conv (growth)."""
    h = features[0] if len(features) == 1 else b.add("concat", "Concat", list(features))
    h = b.add("norm1", "BatchNorm2d", h)
    h = b.add("relu1", "ReLU", h)
    h = b.add("conv1", "Conv2d", h, out_channels=bn_size * growth, kernel_size=1, bias=False)
    h = b.add("norm2", "BatchNorm2d", h)
    h = b.add("relu2", "ReLU", h)
    return b.add("conv2", "Conv2d", h, out_channels=growth, kernel_size=3, padding=1,
                 bias=False)


def dense_block(b: NetBuilder, x: str, num_layers: int, growth: int) -> str:
    """``num_layers`` dense layers; returns the concat of the input and every new map."""
    features = [x]
    for i in range(1, num_layers + 1):
        with b.scope(f"denselayer{i}", f"Dense layer {i}"):
            features.append(dense_layer(b, features, growth))
    return b.add("concat", "Concat", features)


def transition(b: NetBuilder, x: str, out_channels: int) -> str:
    """BN-ReLU-1x1 conv to halve the channels, 2x2 average pool to halve the size."""
    h = b.add("norm", "BatchNorm2d", x)
    h = b.add("relu", "ReLU", h)
    h = b.add("conv", "Conv2d", h, out_channels=out_channels, kernel_size=1, bias=False)
    return b.add("pool", "AvgPool2d", h, kernel_size=2, stride=2)


def densenet(depth: int = 121, num_classes: int = 1000, size: int = 224) -> ModelGraph:
    growth, blocks, ch = CONFIGS[depth]
    b = NetBuilder(f"densenet{depth}")
    h = b.input("x", [3, size, size])
    with b.scope("features"):
        before = set(b.graph.nodes())
        h = b.add("conv0", "Conv2d", h, out_channels=ch, kernel_size=7, stride=2, padding=3,
                  bias=False)
        h = b.add("norm0", "BatchNorm2d", h)
        h = b.add("relu0", "ReLU", h)
        h = b.add("pool0", "MaxPool2d", h, kernel_size=3, stride=2, padding=1)
        group_nodes(b, "stem", "Stem: 7x7 conv, max pool", before)
        for i, n in enumerate(blocks, start=1):
            with b.scope(f"denseblock{i}"):
                h = dense_block(b, h, n, growth)
            ch += n * growth
            if i < len(blocks):
                with b.scope(f"transition{i}", f"Transition {i}"):
                    h = transition(b, h, ch // 2)
                ch //= 2
        before = set(b.graph.nodes())
        h = b.add("norm5", "BatchNorm2d", h)
    h = b.add("relu", "ReLU", h)
    h = b.add("avgpool", "AdaptiveAvgPool2d", h, output_size=1)
    h = b.add("flatten", "Flatten", h)
    h = b.add("classifier", "Linear", h, out_features=num_classes)
    group_nodes(b, "head", "Head: BN, ReLU, pool, classifier", before)
    b.output("y", h)
    return finish(
        b, title=f"DenseNet-{depth}", category="Image classification",
        input_shape=[3, size, size], source=f"densenet{depth}",
        description=(f"DenseNet-{depth}: inside a dense block each layer receives the "
                     f"concatenation of all earlier feature maps (growth rate {growth}); "
                     "transitions halve channels and size. Same names as "
                     f"torchvision.models.densenet{depth}."),
        training=run_config("imagefolder:PATH", epochs=90, batch_size=64, optimizer="sgd",
                            lr=0.1, weight_decay=1e-4, schedule="step",
                            augment=["crop", "hflip"]),
    )
