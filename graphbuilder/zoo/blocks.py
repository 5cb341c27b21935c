"""Composite blocks for the palette: one parameterised unit, expanded into plain nodes.

``list_blocks()`` describes each block with :class:`ParamSpec` parameters (the inspector
builds its widgets from them, exactly as for ops). ``make_block(name, input_shape,
**params)`` returns a complete small graph: Input ``x`` -> the block's nodes, all in one
group -> Output ``y``. The editor inserts everything between ``x`` and ``y`` as one
undoable command; the block itself is gone after that, only ordinary nodes remain, so
files never depend on this module.

The builders are the same functions the templates use (``resnet.basic_block``...), so a
block dropped into a design is wired exactly like the block inside ResNet.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from graphbuilder.compiler.shapes import infer_shapes
from graphbuilder.core.builder import NetBuilder
from graphbuilder.core.graph import Group, ModelGraph
from graphbuilder.core.params import Bool, Choice, Float, Int, ParamSpec
from graphbuilder.zoo import densenet, inception, mobile, resnet, unet, vit
from graphbuilder.zoo.common import conv_bn_relu

#: builder(b, x, input_shape, params) -> output node id
BlockBuilder = Callable[[NetBuilder, str, list[int], dict[str, Any]], str]


class BlockError(ValueError):
    """Unknown block, bad parameter, or an input shape the block cannot take."""


@dataclass(frozen=True)
class BlockSpec:
    """A palette entry: what the block is, what it takes, and how to expand it."""

    name: str
    title: str
    doc: str
    input_kind: str  # "image" [C, H, W] or "sequence" [seq, features]
    example_shape: tuple[int, ...]  # a typical input, for previews and tests
    params: tuple[ParamSpec, ...]
    build: BlockBuilder

    def defaults(self) -> dict[str, Any]:
        return {p.name: p.default for p in self.params}


def _basic(b: NetBuilder, x: str, s: list[int], p: dict[str, Any]) -> str:
    return resnet.basic_block(b, x, s[0], p["out_channels"] or s[0], p["stride"])


def _bottleneck(b: NetBuilder, x: str, s: list[int], p: dict[str, Any]) -> str:
    return resnet.bottleneck_block(b, x, s[0], p["planes"], p["stride"], p["expansion"])


def _dense(b: NetBuilder, x: str, s: list[int], p: dict[str, Any]) -> str:
    with b.scope("block"):
        h = densenet.dense_block(b, x, p["num_layers"], p["growth_rate"])
    if not p["transition"]:
        return h
    channels = s[0] + p["num_layers"] * p["growth_rate"]
    with b.scope("transition"):
        return densenet.transition(b, h, max(1, int(channels * p["compression"])))


def _inception(b: NetBuilder, x: str, s: list[int], p: dict[str, Any]) -> str:
    return inception.inception(b, x, p["ch1x1"], p["ch3x3_reduce"], p["ch3x3"],
                               p["ch5x5_reduce"], p["ch5x5"], p["pool_proj"], kernel=5)


def _fire(b: NetBuilder, x: str, s: list[int], p: dict[str, Any]) -> str:
    return mobile.fire(b, x, p["squeeze"], p["expand1x1"], p["expand3x3"])


def _separable(b: NetBuilder, x: str, s: list[int], p: dict[str, Any]) -> str:
    """Depthwise 3x3 (per-channel) conv + BN + ReLU, then pointwise 1x1 conv + BN + ReLU."""
    h = b.add("depthwise", "DepthwiseConv2d", x, kernel_size=3, stride=p["stride"], padding=1)
    h = b.add("bn1", "BatchNorm2d", h)
    h = b.add("relu1", p["activation"], h)
    return conv_bn_relu(b, h, p["out_channels"], 1, conv="pointwise", bn="bn2",
                        relu="relu2", act=p["activation"])


def _inverted(b: NetBuilder, x: str, s: list[int], p: dict[str, Any]) -> str:
    return mobile.inverted_residual(b, x, s[0], p["out_channels"] or s[0], p["stride"],
                                    p["expand_ratio"])


def _unet_down(b: NetBuilder, x: str, s: list[int], p: dict[str, Any]) -> str:
    return unet.unet_down(b, x, p["out_channels"] or 2 * s[0], p["batch_norm"])


def _unet_level(b: NetBuilder, x: str, s: list[int], p: dict[str, Any]) -> str:
    """A U-Net level: double conv (kept as the skip), down stage, up stage, concat."""
    ch = p["out_channels"] or s[0]
    with b.scope("enc"):
        skip = unet.double_conv(b, x, ch, p["batch_norm"])
    with b.scope("down"):
        h = unet.unet_down(b, skip, 2 * ch, p["batch_norm"])
    with b.scope("up"):
        return unet.unet_up(b, h, skip, ch, p["batch_norm"])


def _encoder(b: NetBuilder, x: str, s: list[int], p: dict[str, Any]) -> str:
    return vit.encoder_block(b, x, s[-1], p["num_heads"], p["mlp_ratio"] * s[-1],
                             p["dropout"], eps=1e-6)


def _patch_embed(b: NetBuilder, x: str, s: list[int], p: dict[str, Any]) -> str:
    patch = p["patch_size"]
    tokens = (s[1] // patch) * (s[2] // patch)
    return vit.patch_embedding(b, x, p["width"], patch, tokens, group=False)


def _rnn_head(b: NetBuilder, x: str, s: list[int], p: dict[str, Any]) -> str:
    h = b.add("rnn", p["cell"], x, hidden_size=p["hidden_size"], num_layers=p["num_layers"],
              bidirectional=p["bidirectional"], output="last")
    return b.add("fc", "Linear", h, out_features=p["num_classes"])


_STRIDE = Int("stride", 1, "2 halves height and width", min=1, max=2)
_BN = Bool("batch_norm", True, "BatchNorm after each conv")

BLOCKS: dict[str, BlockSpec] = {s.name: s for s in (
    BlockSpec("residual_basic", "Residual block (basic)",
              "Two 3x3 conv-BN layers plus a skip connection (ResNet-18/34). A 1x1 "
              "projection shortcut is added when the channels or the stride change.",
              "image", (64, 32, 32),
              (Int("out_channels", None, "output channels (empty: same as input)", min=1,
                   optional=True), _STRIDE), _basic),
    BlockSpec("residual_bottleneck", "Residual block (bottleneck)",
              "1x1 reduce, 3x3, 1x1 expand (x expansion) plus a skip (ResNet-50+); "
              "projection shortcut when the shape changes.",
              "image", (256, 16, 16),
              (Int("planes", 64, "width of the 3x3 conv", min=1), _STRIDE,
               Int("expansion", 4, "output channels = planes x expansion", min=1)),
              _bottleneck),
    BlockSpec("dense_block", "Dense block + transition",
              "DenseNet: each BN-ReLU-conv layer sees the concatenation of all earlier "
              "feature maps; an optional transition (1x1 conv, 2x2 avg pool) compresses.",
              "image", (64, 32, 32),
              (Int("num_layers", 4, "dense layers", min=1, max=64),
               Int("growth_rate", 32, "channels each layer adds", min=1),
               Bool("transition", True, "end with a transition layer"),
               Float("compression", 0.5, "transition keeps this fraction of channels",
                     min=0.05, max=1.0)), _dense),
    BlockSpec("inception", "Inception module",
              "Parallel 1x1, 1x1-3x3, 1x1-5x5 and pool-1x1 paths concatenated on channels "
              "(GoogLeNet).", "image", (192, 28, 28),
              (Int("ch1x1", 64, "1x1 path channels", min=1),
               Int("ch3x3_reduce", 96, "1x1 before the 3x3", min=1),
               Int("ch3x3", 128, "3x3 path channels", min=1),
               Int("ch5x5_reduce", 16, "1x1 before the 5x5", min=1),
               Int("ch5x5", 32, "5x5 path channels", min=1),
               Int("pool_proj", 32, "1x1 after the max pool", min=1)), _inception),
    BlockSpec("fire", "Fire module",
              "SqueezeNet: a 1x1 squeeze conv, then parallel 1x1 and 3x3 expand convs "
              "concatenated.", "image", (96, 32, 32),
              (Int("squeeze", 16, "squeeze channels", min=1),
               Int("expand1x1", 64, "1x1 expand channels", min=1),
               Int("expand3x3", 64, "3x3 expand channels", min=1)), _fire),
    BlockSpec("separable_conv", "Depthwise-separable conv",
              "A 3x3 depthwise conv (one filter per channel) then a 1x1 pointwise conv, "
              "each with BN and activation (MobileNet v1): ~9x cheaper than a 3x3 conv.",
              "image", (32, 32, 32),
              (Int("out_channels", 64, "pointwise output channels", min=1), _STRIDE,
               Choice("activation", "ReLU", ("ReLU", "ReLU6", "SiLU"), "activation")),
              _separable),
    BlockSpec("inverted_residual", "Inverted residual (MobileNetV2)",
              "1x1 expand, 3x3 depthwise, linear 1x1 projection; adds the input back when "
              "the shape is unchanged.", "image", (32, 32, 32),
              (Int("out_channels", None, "output channels (empty: same as input)", min=1,
                   optional=True), _STRIDE,
               Int("expand_ratio", 6, "hidden width = input channels x ratio", min=1)),
              _inverted),
    BlockSpec("unet_down", "U-Net down stage",
              "2x2 max pool then two 3x3 convs: halves the size, usually doubles channels.",
              "image", (64, 32, 32),
              (Int("out_channels", None, "output channels (empty: twice the input)", min=1,
                   optional=True), _BN), _unet_down),
    BlockSpec("unet_level", "U-Net level (down + up with skip)",
              "Double conv kept as a skip, a down stage, a transposed-conv up stage and a "
              "concat with the skip: one level of a U; output has the input's size.",
              "image", (3, 32, 32),
              (Int("out_channels", 64, "channels of the level (empty: input's)", min=1,
                   optional=True), _BN), _unet_level),
    BlockSpec("transformer_encoder", "Transformer encoder block",
              "Pre-norm: x + MultiheadAttention(LayerNorm(x)), then + MLP(LayerNorm(.)) "
              "with GELU (ViT / BERT style). Input: a sequence [tokens, width].",
              "sequence", (65, 128),
              (Int("num_heads", 4, "attention heads (must divide the width)", min=1),
               Int("mlp_ratio", 4, "MLP hidden width = ratio x width", min=1),
               Float("dropout", 0.0, "dropout after attention and in the MLP",
                     min=0.0, max=1.0)), _encoder),
    BlockSpec("vit_patch_embedding", "ViT patch embedding",
              "Cuts the image into patches with a strided conv, turns them into tokens, "
              "prepends a learned class token and adds learned positional embeddings.",
              "image", (3, 32, 32),
              (Int("patch_size", 4, "patch side (must divide height and width)", min=1),
               Int("width", 128, "token width", min=1)), _patch_embed),
    BlockSpec("rnn_head", "LSTM/GRU sequence head",
              "A recurrent layer reads the sequence; its last hidden state goes to a "
              "linear classifier. Input: [steps, features].",
              "sequence", (24, 1),
              (Choice("cell", "LSTM", ("LSTM", "GRU", "RNN"), "recurrent cell"),
               Int("hidden_size", 64, "hidden state size", min=1),
               Int("num_layers", 1, "stacked layers", min=1, max=8),
               Bool("bidirectional", False, "also read backwards"),
               Int("num_classes", 3, "classifier outputs", min=1)), _rnn_head),
)}


def list_blocks() -> list[BlockSpec]:
    """Every composite block, in palette order."""
    return list(BLOCKS.values())


def get_block(name: str) -> BlockSpec:
    try:
        return BLOCKS[name]
    except KeyError:
        raise BlockError(f"there is no block '{name}'; available: "
                         f"{', '.join(BLOCKS)}") from None


def make_block(name: str, input_shape: list[int] | tuple[int, ...], **params: Any) -> ModelGraph:
    """Input ``x`` (shape without batch) -> block ``name`` (one group) -> Output ``y``.

    Raises :class:`BlockError` for unknown parameters, bad values, or an input the block
    cannot take (the message is the shape checker's, naming the inner node).
    """
    spec = get_block(name)
    known = {p.name: p for p in spec.params}
    for key, value in params.items():
        if key not in known:
            raise BlockError(f"block '{name}' has no parameter '{key}' "
                             f"(it takes: {', '.join(known)})")
        msg = known[key].check(value)
        if msg:
            raise BlockError(f"block '{name}': {msg}")
    shape = [int(d) for d in input_shape]
    rank = 3 if spec.input_kind == "image" else 2
    if len(shape) != rank:
        what = "an image [C, H, W]" if rank == 3 else "a sequence [steps, features]"
        raise BlockError(f"block '{name}' needs {what}, got input shape {shape}")
    values = {**spec.defaults(), **params}
    b = NetBuilder(name, spec.doc)
    x = b.input("x", shape)
    with b.scope(name, spec.title):
        h = spec.build(b, x, shape, values)
    b.output("y", h)
    graph = b.build()
    # one group for the whole block (inner scopes such as dense layers made their own)
    inner = [n for n in graph.nodes() if n not in ("x", "y")]
    graph.set_groups([Group(name, spec.title, inner)])
    graph.metadata = {"block": name, "params": values}
    report = infer_shapes(graph)
    if not report.ok:
        first = report.blocking[0]
        raise BlockError(f"block '{name}' does not fit input {shape}: {first}")
    return graph
