"""GoogLeNet / Inception v1 (Szegedy et al. 2014): parallel paths joined by a concat.

Names follow ``torchvision.models.googlenet`` (``inception3a.branch2.1.conv``), so its
weights load strictly into the template when torchvision's model is built with
``aux_logits=False`` (the auxiliary heads only matter while training; we leave them out).
torchvision's branch 3 uses a 3x3 conv where the paper has 5x5; we follow torchvision.
"""

from __future__ import annotations

from graphbuilder.core.builder import NetBuilder
from graphbuilder.core.graph import ModelGraph
from graphbuilder.zoo.common import conv_bn_relu, finish, group_nodes, run_config

BN_EPS = 1e-3  # torchvision's BasicConv2d


def basic_conv(b: NetBuilder, x: str, name: str, out_channels: int, kernel_size: int,
               stride: int = 1, padding: int | None = None) -> str:
    """torchvision's ``BasicConv2d``: conv (no bias) -> BN (eps 1e-3) -> ReLU."""
    with b.scope(name):
        return conv_bn_relu(b, x, out_channels, kernel_size, stride, padding, eps=BN_EPS)


def inception(b: NetBuilder, x: str, ch1x1: int, ch3x3red: int, ch3x3: int, ch5x5red: int,
              ch5x5: int, pool_proj: int, kernel: int = 3) -> str:
    """Four parallel paths (1x1 | 1x1-3x3 | 1x1-kxk | pool-1x1) concatenated on channels."""
    p1 = basic_conv(b, x, "branch1", ch1x1, 1)
    with b.scope("branch2"):
        p2 = basic_conv(b, basic_conv(b, x, "0", ch3x3red, 1), "1", ch3x3, 3)
    with b.scope("branch3"):
        p3 = basic_conv(b, basic_conv(b, x, "0", ch5x5red, 1), "1", ch5x5, kernel)
    with b.scope("branch4"):
        p4 = b.add("0", "MaxPool2d", x, kernel_size=3, stride=1, padding=1, ceil_mode=True)
        p4 = basic_conv(b, p4, "1", pool_proj, 1)
    return b.add("concat", "Concat", [p1, p2, p3, p4])


#: name -> (ch1x1, ch3x3red, ch3x3, ch5x5red, ch5x5, pool_proj); "maxpoolN": pool.
GOOGLENET = [
    ("inception3a", (64, 96, 128, 16, 32, 32)), ("inception3b", (128, 128, 192, 32, 96, 64)),
    ("maxpool3", (3, 2)),
    ("inception4a", (192, 96, 208, 16, 48, 64)), ("inception4b", (160, 112, 224, 24, 64, 64)),
    ("inception4c", (128, 128, 256, 24, 64, 64)), ("inception4d", (112, 144, 288, 32, 64, 64)),
    ("inception4e", (256, 160, 320, 32, 128, 128)),
    ("maxpool4", (2, 2)),
    ("inception5a", (256, 160, 320, 32, 128, 128)),
    ("inception5b", (384, 192, 384, 48, 128, 128)),
]


def googlenet(num_classes: int = 1000, size: int = 224) -> ModelGraph:
    b = NetBuilder("googlenet")
    h = b.input("x", [3, size, size])
    before = set(b.graph.nodes())
    h = basic_conv(b, h, "conv1", 64, 7, 2, 3)
    h = b.add("maxpool1", "MaxPool2d", h, kernel_size=3, stride=2, ceil_mode=True)
    h = basic_conv(b, h, "conv2", 64, 1)
    h = basic_conv(b, h, "conv3", 192, 3, 1, 1)
    h = b.add("maxpool2", "MaxPool2d", h, kernel_size=3, stride=2, ceil_mode=True)
    group_nodes(b, "stem", "Stem: convs and pools", before)
    for name, cfg in GOOGLENET:
        if name.startswith("maxpool"):
            h = b.add(name, "MaxPool2d", h, kernel_size=cfg[0], stride=cfg[1], ceil_mode=True)
        else:
            with b.scope(name, f"Inception {name[-2:]}"):
                h = inception(b, h, *cfg)
    before = set(b.graph.nodes())
    h = b.add("avgpool", "AdaptiveAvgPool2d", h, output_size=1)
    h = b.add("flatten", "Flatten", h)
    h = b.add("dropout", "Dropout", h, p=0.2)
    h = b.add("fc", "Linear", h, out_features=num_classes)
    group_nodes(b, "head", "Head: pool, dropout, classifier", before)
    b.output("y", h)
    return finish(
        b, title="GoogLeNet (Inception v1)", category="Image classification",
        input_shape=[3, size, size], source="googlenet",
        description=("GoogLeNet: nine Inception modules, each running 1x1, 3x3, 'wide' and "
                     "pooling paths in parallel and concatenating them. Same names as "
                     "torchvision.models.googlenet(aux_logits=False) (no auxiliary heads)."),
        training=run_config("imagefolder:PATH", epochs=90, batch_size=64, optimizer="sgd",
                            lr=0.01, weight_decay=1e-4, schedule="step",
                            augment=["crop", "hflip"]),
    )
