"""Parameter-efficient CNNs: SqueezeNet (fire modules) and MobileNetV2 (inverted residuals).

Both use ``torchvision.models``' names (``features.3.squeeze``,
``features.2.conv.1.0``) so ``squeezenet1_1`` / ``mobilenet_v2`` weights load strictly.
"""

from __future__ import annotations

from graphbuilder.core.builder import NetBuilder
from graphbuilder.core.graph import ModelGraph
from graphbuilder.zoo.common import conv_bn_relu, finish, group_nodes, run_config

IMAGENET = dict(dataset="imagefolder:PATH", batch_size=64,
                augment=["crop", "hflip"])


def fire(b: NetBuilder, x: str, squeeze: int, expand1x1: int, expand3x3: int) -> str:
    """Squeeze with 1x1 convs, then expand with parallel 1x1 and 3x3 convs, concatenated."""
    s = b.add("squeeze", "Conv2d", x, out_channels=squeeze, kernel_size=1)
    s = b.add("squeeze_activation", "ReLU", s)
    e1 = b.add("expand1x1", "Conv2d", s, out_channels=expand1x1, kernel_size=1)
    e1 = b.add("expand1x1_activation", "ReLU", e1)
    e3 = b.add("expand3x3", "Conv2d", s, out_channels=expand3x3, kernel_size=3, padding=1)
    e3 = b.add("expand3x3_activation", "ReLU", e3)
    return b.add("concat", "Concat", [e1, e3])


#: SqueezeNet 1.1 ``features`` after the stem: "M" = max pool, tuples = fire modules.
SQUEEZENET_1_1 = ["M", (16, 64, 64), (16, 64, 64), "M", (32, 128, 128), (32, 128, 128), "M",
                  (48, 192, 192), (48, 192, 192), (64, 256, 256), (64, 256, 256)]


def squeezenet1_1(num_classes: int = 1000, size: int = 224) -> ModelGraph:
    b = NetBuilder("squeezenet1_1")
    h = b.input("x", [3, size, size])
    with b.scope("features"):
        before = set(b.graph.nodes())
        h = b.add("0", "Conv2d", h, out_channels=64, kernel_size=3, stride=2)
        h = b.add("1", "ReLU", h)
        group_nodes(b, "stem", "Stem: 3x3 conv", before)
        for i, item in enumerate(SQUEEZENET_1_1, start=2):
            if item == "M":
                h = b.add(str(i), "MaxPool2d", h, kernel_size=3, stride=2, ceil_mode=True)
            else:
                with b.scope(str(i), f"Fire module {i}"):
                    h = fire(b, h, *item)
    before = set(b.graph.nodes())
    with b.scope("classifier"):
        h = b.add("0", "Dropout", h, p=0.5)
        h = b.add("1", "Conv2d", h, out_channels=num_classes, kernel_size=1)
        h = b.add("2", "ReLU", h)
        h = b.add("3", "AdaptiveAvgPool2d", h, output_size=1)
    h = b.add("flatten", "Flatten", h)
    group_nodes(b, "head", "Head: 1x1 conv classifier, global pool", before)
    b.output("y", h)
    return finish(
        b, title="SqueezeNet 1.1", category="Image classification",
        input_shape=[3, size, size], source="squeezenet1_1",
        description=("SqueezeNet 1.1: AlexNet-level accuracy with 50x fewer parameters, "
                     "using fire modules (1x1 squeeze, parallel 1x1/3x3 expand) and a "
                     "convolutional classifier. Same names as torchvision.models.squeezenet1_1."),
        training=run_config(**IMAGENET, epochs=90, optimizer="sgd", lr=0.01,
                            weight_decay=2e-4, schedule="cosine"),
    )


def inverted_residual(b: NetBuilder, x: str, in_ch: int, out_ch: int, stride: int,
                      expand_ratio: int) -> str:
    """1x1 expand (ReLU6), 3x3 depthwise (ReLU6), 1x1 linear projection, + input if same."""
    hidden = in_ch * expand_ratio
    h, i = x, 0
    with b.scope("conv"):
        if expand_ratio != 1:
            with b.scope(str(i)):
                h = conv_bn_relu(b, h, hidden, 1, conv="0", bn="1", relu="2", act="ReLU6")
            i += 1
        with b.scope(str(i)):
            h = conv_bn_relu(b, h, hidden, 3, stride, conv="0", bn="1", relu="2",
                             act="ReLU6", groups=hidden)
        h = conv_bn_relu(b, h, out_ch, 1, conv=str(i + 1), bn=str(i + 2), relu=None)
    if stride == 1 and in_ch == out_ch:
        h = b.add("add", "Add", [h, x])
    return h


#: (expand ratio t, channels c, repeats n, first stride s), the paper's table 2.
MOBILENET_V2 = [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1),
                (6, 160, 3, 2), (6, 320, 1, 1)]


def mobilenet_v2(num_classes: int = 1000, size: int = 224) -> ModelGraph:
    b = NetBuilder("mobilenet_v2")
    h = b.input("x", [3, size, size])
    ch, idx = 32, 1
    with b.scope("features"):
        with b.scope("0", "Stem: 3x3 conv, stride 2"):
            h = conv_bn_relu(b, h, ch, 3, 2, conv="0", bn="1", relu="2", act="ReLU6")
        for t, c, n, s in MOBILENET_V2:
            for j in range(n):
                label = f"Inverted residual {idx} (x{t}, {c} ch)"
                with b.scope(str(idx), label):
                    h = inverted_residual(b, h, ch, c, s if j == 0 else 1, t)
                ch, idx = c, idx + 1
        with b.scope(str(idx), "Last 1x1 conv to 1280"):
            h = conv_bn_relu(b, h, 1280, 1, conv="0", bn="1", relu="2", act="ReLU6")
    before = set(b.graph.nodes())
    h = b.add("avgpool", "AdaptiveAvgPool2d", h, output_size=1)
    h = b.add("flatten", "Flatten", h)
    with b.scope("classifier"):
        h = b.add("0", "Dropout", h, p=0.2)
        h = b.add("1", "Linear", h, out_features=num_classes)
    group_nodes(b, "head", "Head: pool, classifier", before)
    b.output("y", h)
    return finish(
        b, title="MobileNetV2", category="Image classification",
        input_shape=[3, size, size], source="mobilenet_v2",
        description=("MobileNetV2: inverted residual blocks (1x1 expand, 3x3 depthwise, "
                     "linear 1x1 projection) keep compute low for phones. Same names as "
                     "torchvision.models.mobilenet_v2."),
        training=run_config(**IMAGENET, epochs=150, optimizer="sgd", lr=0.045,
                            weight_decay=4e-5, schedule="cosine"),
    )
