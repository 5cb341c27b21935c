"""Activation functions: each is a parameter-free torch module."""

from __future__ import annotations

from torch import nn

from graphbuilder.core.ops._util import same_shape, tdim
from graphbuilder.core.params import Choice, Float, Int
from graphbuilder.core.registry import OpSpec, register_op

_SIMPLE = (
    ("ReLU", nn.ReLU, "max(0, x): the default hidden activation."),
    ("ReLU6", nn.ReLU6, "min(max(0, x), 6), used by MobileNets."),
    ("Sigmoid", nn.Sigmoid, "1 / (1 + e^-x): squashes to (0, 1); binary outputs and gates."),
    ("Tanh", nn.Tanh, "Hyperbolic tangent: squashes to (-1, 1)."),
    ("SiLU", nn.SiLU, "x * sigmoid(x), also called swish."),
    ("Mish", nn.Mish, "x * tanh(softplus(x))."),
    ("Hardswish", nn.Hardswish, "Piecewise-linear swish, cheap on mobile hardware."),
    ("Softplus", nn.Softplus, "log(1 + e^x): a smooth ReLU."),
)

for _name, _cls, _doc in _SIMPLE:
    register_op(OpSpec(_name, "Activation", _doc,
                       build=(lambda cls: lambda p, s: cls())(_cls), infer=same_shape))

register_op(OpSpec(
    "LeakyReLU", "Activation", "x if x > 0 else slope * x: keeps a small gradient below zero.",
    params=(Float("negative_slope", 0.01, "slope for negative inputs", min=0.0, max=1.0),),
    build=lambda p, s: nn.LeakyReLU(p["negative_slope"]),
    key_params=("negative_slope",),
    infer=same_shape,
))

register_op(OpSpec(
    "ELU", "Activation", "Exponential linear unit: smooth below zero, saturating at -alpha.",
    params=(Float("alpha", 1.0, "saturation value for negative inputs", min=0.0),),
    build=lambda p, s: nn.ELU(p["alpha"]),
    infer=same_shape,
))

register_op(OpSpec(
    "GELU", "Activation", "Gaussian error linear unit, the transformer activation.",
    params=(Choice("approximate", "none", ("none", "tanh"), "exact or tanh approximation"),),
    build=lambda p, s: nn.GELU(approximate=p["approximate"]),
    infer=same_shape,
))


def _check_dim(op: str):
    def check(p: dict, s: list) -> str | None:
        axes = len(s[0]) - 1
        if not -axes <= p["dim"] < axes:
            return f"{op} dim={p['dim']} is out of range for an input with {axes} axes"
        return None
    return check


register_op(OpSpec(
    "Softmax", "Activation",
    "Turns scores into probabilities that sum to 1 along an axis (axes count without batch).",
    params=(Int("dim", -1, "axis to normalise over (0 = first axis after the batch)"),),
    build=lambda p, s: nn.Softmax(dim=tdim(p["dim"])),
    check=_check_dim("Softmax"),
    infer=same_shape,
))

register_op(OpSpec(
    "LogSoftmax", "Activation",
    "log(softmax(x)): pair it with NLL loss.",
    params=(Int("dim", -1, "axis to normalise over (0 = first axis after the batch)"),),
    build=lambda p, s: nn.LogSoftmax(dim=tdim(p["dim"])),
    check=_check_dim("LogSoftmax"),
    infer=same_shape,
))
