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
        num_classes: int = 2) -> ModelGraph:
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
                     "sized for the built-in 'spirals' dataset (2 features, 2 classes)."),
        training=run_config("spirals", epochs=50, batch_size=32, lr=1e-2),
    )


def lenet5(in_channels: int = 3, size: int = 32, num_classes: int = 3) -> ModelGraph:
    """LeNet-5 (LeCun et al. 1998): conv-tanh-avgpool twice, then 120-84-classes."""
    b = NetBuilder("lenet5")
    h = b.input("x", [in_channels, size, size])
    for i, ch in enumerate((6, 16), start=1):
        with b.scope(f"c{2 * i - 1}", f"C{2 * i - 1} + S{2 * i}: conv, tanh, subsample"):
            h = b.add("conv", "Conv2d", h, out_channels=ch, kernel_size=5)
            h = b.add("tanh", "Tanh", h)
            h = b.add("pool", "AvgPool2d", h, kernel_size=2)
    with b.scope("classifier", "F5, F6, output"):
        h = b.add("flatten", "Flatten", h)
        for j, width in enumerate((120, 84)):
            h = b.add(f"fc{j}", "Linear", h, out_features=width)
            h = b.add(f"tanh{j}", "Tanh", h)
        h = b.add("out", "Linear", h, out_features=num_classes)
    b.output("y", h)
    return finish(
        b, title="LeNet-5", category="Image classification",
        input_shape=[in_channels, size, size],
        description=("LeNet-5, the 1998 digit recogniser: two conv + average-pool stages with "
                     "tanh, then 120-84-class fully-connected layers. Set up for the 3x32x32 "
                     "'shapes' dataset; set the Input to [1, 32, 32] (or pad 28x28 digits) "
                     "for the original grayscale digits."),
        training=run_config("shapes", epochs=15, lr=1e-3),
    )


def autoencoder(in_channels: int = 3, size: int = 32, latent: int = 32) -> ModelGraph:
    """A convolutional encoder-decoder that reconstructs its input through a bottleneck."""
    b = NetBuilder("autoencoder")
    h = b.input("x", [in_channels, size, size])
    with b.scope("encoder", "Encoder"):
        for i, ch in enumerate((32, 64)):
            h = b.add(f"conv{i}", "Conv2d", h, out_channels=ch, kernel_size=3, stride=2,
                      padding=1)
            h = b.add(f"relu{i}", "ReLU", h)
        h = b.add("flatten", "Flatten", h)
        h = b.add("to_latent", "Linear", h, out_features=latent)
    s = size // 4
    with b.scope("decoder", "Decoder"):
        h = b.add("from_latent", "Linear", h, out_features=64 * s * s)
        h = b.add("relu_in", "ReLU", h)
        h = b.add("unflatten", "Reshape", h, shape=[64, s, s])
        h = b.add("up0", "ConvTranspose2d", h, out_channels=32, kernel_size=2, stride=2)
        h = b.add("relu0", "ReLU", h)
        h = b.add("up1", "ConvTranspose2d", h, out_channels=in_channels, kernel_size=2,
                  stride=2)
        h = b.add("squash", "Sigmoid", h)
    b.output("y", h)
    return finish(
        b, title="Conv autoencoder", category="Generative",
        input_shape=[in_channels, size, size],
        description=(f"Encoder (two strided convs) squeezes a {in_channels}x{size}x{size} "
                     f"image into {latent} numbers; the decoder (transposed convs) rebuilds "
                     "it. Trained to reproduce its input (MSE); outputs are in [0, 1]."),
        # task "reconstruction": the trainer uses each image as its own target
        training=run_config("shapes", epochs=20, loss="mse", metrics=["mse"], lr=1e-3,
                            task="reconstruction"),
    )
