"""Small test networks written with NetBuilder (compiled with compile_graph in the tests)."""

from graphbuilder.core.builder import NetBuilder


def mlp(in_features: int = 2, hidden: int = 64, out: int = 2, bn: bool = False):
    b = NetBuilder("mlp")
    h = b.input("x", [in_features])
    for i in (1, 2):
        h = b.add(f"fc{i}", "Linear", h, out_features=hidden)
        if bn:
            h = b.add(f"bn{i}", "BatchNorm1d", h)
        h = b.add(f"act{i}", "ReLU", h)
    b.output("y", b.add("head", "Linear", h, out_features=out))
    return b.build(layout=False)


def linear(in_features: int, out: int = 1):
    b = NetBuilder("linear")
    x = b.input("x", [in_features])
    b.output("y", b.add("fc", "Linear", x, out_features=out))
    return b.build(layout=False)


def small_cnn(classes: int = 3):
    b = NetBuilder("small cnn")
    h = b.input("x", [3, 32, 32])
    for i, ch in enumerate((16, 32)):
        h = b.add(f"conv{i}", "Conv2d", h, out_channels=ch, kernel_size=3, padding=1)
        h = b.add(f"bn{i}", "BatchNorm2d", h)
        h = b.add(f"relu{i}", "ReLU", h)
        h = b.add(f"pool{i}", "MaxPool2d", h, kernel_size=2)
    h = b.add("gap", "GlobalAvgPool2d", h)
    b.output("y", b.add("fc", "Linear", h, out_features=classes))
    return b.build(layout=False)


def small_unet(classes: int = 4, width: int = 8):
    """Three-level U-Net: the receptive field must cover a whole shape to name its class."""
    b = NetBuilder("small unet")
    x = b.input("x", [3, 32, 32])

    def block(name, h, ch):
        for i in (1, 2):
            h = b.add(f"{name}.conv{i}", "Conv2d", h, out_channels=ch, kernel_size=3, padding=1)
            h = b.add(f"{name}.bn{i}", "BatchNorm2d", h)
            h = b.add(f"{name}.relu{i}", "ReLU", h)
        return h

    e1 = block("enc1", x, width)
    e2 = block("enc2", b.add("pool1", "MaxPool2d", e1, kernel_size=2), 2 * width)
    e3 = block("enc3", b.add("pool2", "MaxPool2d", e2, kernel_size=2), 4 * width)
    u2 = b.add("up2", "ConvTranspose2d", e3, out_channels=2 * width, kernel_size=2, stride=2)
    d2 = block("dec2", b.add("cat2", "Concat", [u2, e2], dim=0), 2 * width)
    u1 = b.add("up1", "ConvTranspose2d", d2, out_channels=width, kernel_size=2, stride=2)
    d1 = block("dec1", b.add("cat1", "Concat", [u1, e1], dim=0), width)
    b.output("y", b.add("head", "Conv2d", d1, out_channels=classes, kernel_size=1))
    return b.build(layout=False)


def rnn_classifier(classes: int = 3):
    b = NetBuilder("gru")
    x = b.input("x", [24, 1])
    h = b.add("gru", "GRU", x, hidden_size=32, output="last")
    b.output("y", b.add("fc", "Linear", h, out_features=classes))
    return b.build(layout=False)
