"""AlexNet and VGG: the plain conv stacks of 2012-2014, with torchvision's names.

torchvision keeps these as ``nn.Sequential`` (``features.0``, ``classifier.6``), so the
node ids are those indices; every conv stage (convs up to a max pool) is one group.
"""

from __future__ import annotations

from graphbuilder.core.builder import NetBuilder
from graphbuilder.core.graph import ModelGraph
from graphbuilder.zoo.common import finish, group_nodes, run_config

#: VGG configurations from the paper (numbers: conv widths, "M": max pool).
VGG_CFGS: dict[str, list[int | str]] = {
    "vgg11": [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "vgg13": [64, 64, "M", 128, 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "vgg16": [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M",
              512, 512, 512, "M"],
}

IMAGENET_TRAINING = dict(dataset="imagefolder:PATH", batch_size=64,
                         augment=["crop", "hflip"])


def _classifier(b: NetBuilder, h: str, hidden: int, num_classes: int,
                dropout_first: bool) -> str:
    """torchvision's classifier Sequential: [Dropout,] Linear, ReLU, Dropout, Linear..."""
    before = set(b.graph.nodes())
    h = b.add("flatten", "Flatten", h)
    i = 0
    with b.scope("classifier"):
        for _ in range(2):
            if dropout_first:
                h = b.add(str(i), "Dropout", h, p=0.5)
                i += 1
            h = b.add(str(i), "Linear", h, out_features=hidden)
            h = b.add(str(i + 1), "ReLU", h)
            i += 2
            if not dropout_first:
                h = b.add(str(i), "Dropout", h, p=0.5)
                i += 1
        h = b.add(str(i), "Linear", h, out_features=num_classes)
    group_nodes(b, "classifier", "Classifier", before)
    return h


def vgg(name: str = "vgg16", num_classes: int = 1000, size: int = 224) -> ModelGraph:
    """VGG-11/13/16 without batch norm (``torchvision.models.vgg16``)."""
    b = NetBuilder(name)
    h = b.input("x", [3, size, size])
    i, stage, before = 0, 1, set(b.graph.nodes())
    with b.scope("features"):
        for item in VGG_CFGS[name]:
            if item == "M":
                h = b.add(str(i), "MaxPool2d", h, kernel_size=2, stride=2)
                group_nodes(b, f"stage{stage}", f"Stage {stage}: 3x3 convs, max pool", before)
                i, stage, before = i + 1, stage + 1, set(b.graph.nodes())
            else:
                h = b.add(str(i), "Conv2d", h, out_channels=item, kernel_size=3, padding=1)
                h = b.add(str(i + 1), "ReLU", h)
                i += 2
    h = b.add("avgpool", "AdaptiveAvgPool2d", h, output_size=7)
    h = _classifier(b, h, 4096, num_classes, dropout_first=False)
    b.output("y", h)
    depth = sum(1 for c in VGG_CFGS[name] if c != "M") + 3
    return finish(
        b, title=f"VGG-{depth}", category="Image classification", input_shape=[3, size, size],
        source=name,
        description=(f"VGG-{depth}: stacks of 3x3 convolutions and max pools, then three "
                     "fully-connected layers (most of its parameters). Same names as "
                     f"torchvision.models.{name}; the 7x7 adaptive pool expects 224x224 "
                     "inputs for pretrained weights."),
        training=run_config(**IMAGENET_TRAINING, epochs=74, optimizer="sgd", lr=0.01,
                            weight_decay=5e-4, schedule="step"),
    )


def alexnet(num_classes: int = 1000, size: int = 224) -> ModelGraph:
    """AlexNet as in ``torchvision.models.alexnet`` (the one-GPU variant, no LRN)."""
    b = NetBuilder("alexnet")
    h = b.input("x", [3, size, size])
    layers = [(64, 11, 4, 2, True), (192, 5, 1, 2, True), (384, 3, 1, 1, False),
              (256, 3, 1, 1, False), (256, 3, 1, 1, True)]
    i, before = 0, set(b.graph.nodes())
    with b.scope("features"):
        for n, (ch, k, s, p, pool) in enumerate(layers, start=1):
            h = b.add(str(i), "Conv2d", h, out_channels=ch, kernel_size=k, stride=s, padding=p)
            h = b.add(str(i + 1), "ReLU", h)
            i += 2
            if pool:
                h = b.add(str(i), "MaxPool2d", h, kernel_size=3, stride=2)
                i += 1
            group_nodes(b, f"conv{n}", f"Conv {n}" + (" + max pool" if pool else ""), before)
            before = set(b.graph.nodes())
    h = b.add("avgpool", "AdaptiveAvgPool2d", h, output_size=6)
    h = _classifier(b, h, 4096, num_classes, dropout_first=True)
    b.output("y", h)
    return finish(
        b, title="AlexNet", category="Image classification", input_shape=[3, size, size],
        source="alexnet",
        description=("AlexNet (2012): five convolutions with ReLU and overlapping max pools, "
                     "then dropout-regularised fully-connected layers. Same names as "
                     "torchvision.models.alexnet (which drops the original local response "
                     "normalisation)."),
        training=run_config(**IMAGENET_TRAINING, epochs=90, optimizer="sgd", lr=0.01,
                            weight_decay=5e-4, schedule="step"),
    )
