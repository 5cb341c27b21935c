"""Small classic networks: the app's default CNN, an MLP, LeNet-5 and an autoencoder.

These are the first designs a student opens, so they stay short, use only the most
common ops and train in seconds on the built-in datasets.
"""

from __future__ import annotations

from graphbuilder.core.builder import NetBuilder
from graphbuilder.core.graph import ModelGraph
from graphbuilder.zoo.common import finish, run_config


def simple_cnn(in_channels: int = 3, size: int = 32, num_classes: int = 3) -> ModelGraph:
    """The built-in default design: two conv stages and a small classifier head."""
    b = NetBuilder("simple_cnn")
    x = b.input("x", [in_channels, size, size])
    h = x
    for i, ch in enumerate((16, 32), start=1):
        with b.scope(f"stage{i}", f"Conv stage {i}"):
            h = b.add("conv", "Conv2d", h, out_channels=ch, kernel_size=3, padding=1)
            h = b.add("relu", "ReLU", h)
            h = b.add("pool", "MaxPool2d", h, kernel_size=2)
    with b.scope("head", "Classifier"):
        h = b.add("flatten", "Flatten", h)
        h = b.add("fc1", "Linear", h, out_features=64)
        h = b.add("relu", "ReLU", h)
        h = b.add("fc2", "Linear", h, out_features=num_classes)
    b.output("y", h)
    return finish(
        b, title="Simple CNN", category="Basics", input_shape=[in_channels, size, size],
        description=("Two conv-ReLU-pool stages and a two-layer classifier: the default "
                     "design, sized for the built-in 3x32x32 'shapes' dataset (3 classes)."),
        training=run_config("shapes", epochs=10, lr=1e-3),
    )


def mlp(in_features: int = 2, hidden: tuple[int, ...] = (64, 64),
        num_classes: int = 3) -> ModelGraph:
    """A multi-layer perceptron for tabular / 2-D toy data such as 'spirals'."""
    b = NetBuilder("mlp")
    h = b.input("x", [in_features])
    for i, width in enumerate(hidden, start=1):
        with b.scope(f"hidden{i}", f"Hidden layer {i}"):
            h = b.add("fc", "Linear", h, out_features=width)
            h = b.add("act", "ReLU", h)
    h = b.add("out", "Linear", h, out_features=num_classes)
    b.output("y", h)
    return finish(
        b, title="MLP", category="Basics", input_shape=[in_features],
        description=("Fully-connected layers with ReLU for tabular or 2-D toy data; "
                     "sized for the built-in 'spirals' dataset (2 features, 3 classes)."),
        training=run_config("spirals", epochs=50, batch_size=32, lr=1e-2),
    )
