"""Every registered op against the torch code a person would write by hand.

For each op the table gives example inputs (shapes without batch), parameters and the
equivalent hand-written torch module or function. The test checks the inferred shape
and parameter count, then loads the reference weights into the compiled model and
compares outputs. An op without a table entry fails the suite: new ops need a case.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from graphbuilder.compiler.fx_compile import compile_graph
from graphbuilder.compiler.shapes import infer_shapes
from graphbuilder.core.builder import NetBuilder
from graphbuilder.core.registry import all_ops, get_op


@dataclass
class Case:
    inputs: list[Any]  # per port: a shape, ("int64", shape), or a list of shapes (variadic)
    params: dict[str, Any]
    ref: Callable[[], Any]  # -> nn.Module, or a plain function of the input tensors
    post: Callable[..., torch.Tensor] | None = None  # (module, *inputs) -> the tensor
    label: str = ""


def C(inputs, params, ref, post=None, label=""):
    return Case(inputs, params, ref, post, label)


first = lambda m, *xs: m(*xs)[0]  # noqa: E731 - RNN / attention return tuples
last_step = lambda m, x: m(x)[0][:, -1]  # noqa: E731

CASES: dict[str, list[Case]] = {
    "Input": [C([], {}, None)],
    "Output": [C([(5,)], {}, lambda: (lambda x: x))],
    "Parameter": [C([], {"shape": [1, 1, 8], "init": "normal"}, None)],
    "Linear": [C([(6,)], {"out_features": 4}, lambda: nn.Linear(6, 4)),
               C([(5, 6)], {"out_features": 3, "bias": False},
                 lambda: nn.Linear(6, 3, bias=False), label="seq")],
    "Embedding": [C([("int64", (7,))], {"num_embeddings": 10, "embedding_dim": 4},
                    lambda: nn.Embedding(10, 4)),
                  C([("int64", (7,))], {"num_embeddings": 10, "embedding_dim": 4,
                                        "padding_idx": 0},
                    lambda: nn.Embedding(10, 4, padding_idx=0), label="pad")],
    "Conv2d": [C([(3, 9, 9)], {"out_channels": 8, "kernel_size": 3, "stride": 2, "padding": 1},
                 lambda: nn.Conv2d(3, 8, 3, stride=2, padding=1)),
               C([(4, 8, 8)], {"out_channels": 8, "kernel_size": [3, 1], "padding": "same",
                               "groups": 2, "bias": False, "padding_mode": "reflect"},
                 lambda: nn.Conv2d(4, 8, (3, 1), padding="same", groups=2, bias=False,
                                   padding_mode="reflect"), label="same")],
    "Conv1d": [C([(3, 20)], {"out_channels": 5, "kernel_size": 5, "dilation": 2},
                 lambda: nn.Conv1d(3, 5, 5, dilation=2))],
    "ConvTranspose2d": [C([(4, 5, 5)], {"out_channels": 3, "kernel_size": 3, "stride": 2,
                                        "padding": 1, "output_padding": 1},
                          lambda: nn.ConvTranspose2d(4, 3, 3, stride=2, padding=1,
                                                     output_padding=1))],
    "DepthwiseConv2d": [C([(4, 8, 8)], {"kernel_size": 3, "multiplier": 2},
                          lambda: nn.Conv2d(4, 8, 3, padding=1, groups=4, bias=False))],
    "AdaptiveAvgPool1d": [C([(3, 12)], {"output_size": 4}, lambda: nn.AdaptiveAvgPool1d(4))],
    "AdaptiveAvgPool2d": [C([(3, 8, 8)], {"output_size": [2, 4]},
                            lambda: nn.AdaptiveAvgPool2d((2, 4)))],
    "AdaptiveMaxPool2d": [C([(3, 8, 8)], {"output_size": 1}, lambda: nn.AdaptiveMaxPool2d(1))],
    "AvgPool1d": [C([(3, 12)], {"kernel_size": 3, "stride": 2},
                    lambda: nn.AvgPool1d(3, stride=2))],
    "AvgPool2d": [C([(3, 9, 9)], {"kernel_size": 2, "ceil_mode": True},
                    lambda: nn.AvgPool2d(2, ceil_mode=True))],
    "MaxPool1d": [C([(3, 12)], {"kernel_size": 2}, lambda: nn.MaxPool1d(2))],
    "MaxPool2d": [C([(3, 9, 9)], {"kernel_size": 3, "stride": 2, "padding": 1},
                    lambda: nn.MaxPool2d(3, stride=2, padding=1))],
    "GlobalAvgPool2d": [C([(3, 5, 7)], {}, lambda: (lambda x: x.mean((2, 3))))],
    "CenterCropLike": [C([(2, 9, 10), (1, 5, 6)], {},
                         lambda: (lambda x, like: x[:, :, 2:7, 2:8]))],
    "ResizeLike": [C([(2, 5, 5), (1, 8, 12)], {"mode": "bilinear"},
                     lambda: (lambda x, like: F.interpolate(x, size=(8, 12), mode="bilinear")))],
    "Upsample": [C([(3, 4, 4)], {"scale_factor": 2.0},
                   lambda: nn.Upsample(scale_factor=2.0, mode="nearest")),
                 C([(3, 4, 4)], {"scale_factor": 1.5, "mode": "bilinear", "align_corners": True},
                   lambda: nn.Upsample(scale_factor=1.5, mode="bilinear", align_corners=True),
                   label="bilinear"),
                 C([(3, 6)], {"scale_factor": 3.0, "mode": "linear"},
                   lambda: nn.Upsample(scale_factor=3.0, mode="linear"), label="linear")],
    "BatchNorm1d": [C([(6,)], {"momentum": 0.2}, lambda: nn.BatchNorm1d(6, momentum=0.2)),
                    C([(4, 10)], {"affine": False}, lambda: nn.BatchNorm1d(4, affine=False),
                      label="seq")],
    "BatchNorm2d": [C([(4, 5, 5)], {"eps": 1e-3}, lambda: nn.BatchNorm2d(4, eps=1e-3))],
    "GroupNorm": [C([(8, 4, 4)], {"num_groups": 4}, lambda: nn.GroupNorm(4, 8))],
    "LayerNorm": [C([(5, 6)], {}, lambda: nn.LayerNorm(6)),
                  C([(3, 4, 4)], {"axes": 3, "elementwise_affine": False},
                    lambda: nn.LayerNorm([3, 4, 4], elementwise_affine=False), label="3axes")],
    "ELU": [C([(6,)], {"alpha": 0.5}, lambda: nn.ELU(0.5))],
    "GELU": [C([(6,)], {"approximate": "tanh"}, lambda: nn.GELU(approximate="tanh"))],
    "Hardswish": [C([(6,)], {}, lambda: nn.Hardswish())],
    "LeakyReLU": [C([(6,)], {"negative_slope": 0.2}, lambda: nn.LeakyReLU(0.2))],
    "LogSoftmax": [C([(3, 6)], {"dim": 0}, lambda: nn.LogSoftmax(dim=1))],
    "Mish": [C([(6,)], {}, lambda: nn.Mish())],
    "ReLU": [C([(3, 4, 4)], {}, lambda: nn.ReLU())],
    "ReLU6": [C([(6,)], {}, lambda: nn.ReLU6())],
    "SiLU": [C([(6,)], {}, lambda: nn.SiLU())],
    "Sigmoid": [C([(6,)], {}, lambda: nn.Sigmoid())],
    "Softmax": [C([(3, 6)], {}, lambda: nn.Softmax(dim=-1))],
    "Softplus": [C([(6,)], {}, lambda: nn.Softplus())],
    "Tanh": [C([(6,)], {}, lambda: nn.Tanh())],
    "Dropout": [C([(6,)], {"p": 0.3}, lambda: nn.Dropout(0.3))],
    "Dropout2d": [C([(3, 4, 4)], {"p": 0.3}, lambda: nn.Dropout2d(0.3))],
    "GRU": [C([(7, 5)], {"hidden_size": 6, "output": "last"},
              lambda: nn.GRU(5, 6, batch_first=True), post=last_step)],
    "LSTM": [C([(7, 5)], {"hidden_size": 6, "num_layers": 2, "bidirectional": True,
                          "dropout": 0.1},
               lambda: nn.LSTM(5, 6, num_layers=2, bidirectional=True, dropout=0.1,
                               batch_first=True), post=first)],
    "RNN": [C([(7, 5)], {"hidden_size": 6, "nonlinearity": "relu"},
              lambda: nn.RNN(5, 6, nonlinearity="relu", batch_first=True), post=first)],
    "MultiheadAttention": [
        C([(7, 16)], {"num_heads": 4},
          lambda: nn.MultiheadAttention(16, 4, batch_first=True),
          post=lambda m, x: m(x, x, x)[0], label="self"),
        C([(7, 16), (5, 12), (5, 10)], {"num_heads": 2, "bias": False},
          lambda: nn.MultiheadAttention(16, 2, bias=False, kdim=12, vdim=10, batch_first=True),
          post=first, label="cross"),
    ],
    "ScaledDotProductAttention": [
        C([(5, 8), (6, 8), (6, 3)], {},
          lambda: (lambda q, k, v: F.scaled_dot_product_attention(q, k, v))),
        C([(5, 8), (5, 8), (5, 8)], {"is_causal": True},
          lambda: (lambda q, k, v: F.scaled_dot_product_attention(q, k, v, is_causal=True)),
          label="causal"),
    ],
    "Add": [C([[(3, 4), (3, 4), (3, 4)]], {}, lambda: (lambda a, b, c: a + b + c))],
    "Multiply": [C([[(3, 4), (1, 4)]], {}, lambda: (lambda a, b: a * b))],
    "Concat": [C([[(3, 4, 4), (5, 4, 4)]], {}, lambda: (lambda a, b: torch.cat([a, b], 1))),
               C([[(3, 4), (3, 2)]], {"dim": -1}, lambda: (lambda a, b: torch.cat([a, b], -1)),
                 label="last")],
    "Identity": [C([(6,)], {}, lambda: (lambda x: x))],
    "Flatten": [C([(3, 4, 5)], {}, lambda: nn.Flatten())],
    "ImageToTokens": [C([(8, 3, 4)], {}, lambda: (lambda x: x.flatten(2).transpose(1, 2)))],
    "Permute": [C([(3, 4, 5)], {"dims": [2, 0, 1]}, lambda: (lambda x: x.permute(0, 3, 1, 2)))],
    "Reshape": [C([(3, 4, 5)], {"shape": [12, -1]}, lambda: (lambda x: x.reshape(2, 12, 5)))],
    "Mean": [C([(5, 6)], {"dim": 0, "keepdim": True}, lambda: (lambda x: x.mean(1, True)))],
    "PrependToken": [C([(5, 8), (1, 1, 8)], {},
                       lambda: (lambda x, t: torch.cat([t.expand(2, -1, -1), x], 1)))],
    "SelectToken": [C([(5, 8)], {"index": -1}, lambda: (lambda x: x[:, -1]))],
}


def _cases() -> list[Any]:
    out = []
    for spec in all_ops():
        for i, case in enumerate(CASES.get(spec.name, [None])):
            label = (case.label if case and case.label else str(i))
            out.append(pytest.param(spec.name, case, id=f"{spec.name}-{label}"))
    return out


def test_every_registered_op_has_a_case() -> None:
    missing = sorted({s.name for s in all_ops()} - set(CASES))
    assert not missing, f"ops without a test case in CASES: {missing}"
    unknown = sorted(set(CASES) - {s.name for s in all_ops()})
    assert not unknown, f"CASES lists ops that are not registered: {unknown}"


def _graph(op: str, case: Case):
    b = NetBuilder(f"t_{op}")
    srcs: list[Any] = []
    k = 0
    for port in case.inputs:
        if isinstance(port, list):
            group = []
            for shape in port:
                group.append(b.input(f"x{k}", list(shape)))
                k += 1
            srcs.append(group)
        elif op == "PrependToken" and k == 1:  # the token comes from a Parameter node
            srcs.append(b.param("tok", list(port), init="normal"))
            k += 1
        else:
            dtype, shape = port if isinstance(port[0], str) else ("float32", port)
            srcs.append(b.input(f"x{k}", list(shape), dtype=dtype))
            k += 1
    spec = get_op(op)
    if spec.kind == "input":
        b.output("y", b.input("n", [5]))
    elif spec.kind == "output":
        b.output("n", srcs[0])
    elif spec.kind == "parameter":
        b.graph.add_node("n", "Parameter", case.params)
        b.output("y", "n")
        b.output("z", b.input("x", [5]))
    else:
        b.output("y", b.add("n", op, *srcs, **case.params))
    return b.build()


@pytest.mark.parametrize(("op", "case"), _cases())
def test_op_matches_handwritten_torch(op: str, case: Case | None) -> None:
    assert case is not None, f"{op} has no entry in CASES: add one (new ops need a test)"
    graph = _graph(op, case)
    report = infer_shapes(graph)
    assert report.ok, report.errors
    gm = compile_graph(graph, seed=0).eval()
    info = report.nodes["n"]
    if get_op(op).kind in ("input", "parameter"):
        out = gm(torch.zeros(2, 5))
        if op == "Parameter":
            assert info.shape == (1, 1, 8) and info.params == info.trainable == 8
            assert not info.batched and report.total_params == 8
            assert out[0] is gm.n and out[1].shape == (2, 5)
        else:
            assert info.shape == (2, 5) and out.shape == (2, 5)
        return
    torch.manual_seed(0)
    xs = [torch.randint(0, 10, (2, *p[1])) if isinstance(p[0], str) else torch.randn(2, *p)
          for p in _flat(case.inputs) if not (op == "PrependToken" and p == (1, 1, 8))]
    ref = case.ref()
    if isinstance(ref, nn.Module):
        ref.eval()
        assert info.params == sum(p.numel() for p in ref.parameters())
        assert info.trainable == info.params
        gm.get_submodule("n").load_state_dict(ref.state_dict())
        with torch.no_grad():
            want = case.post(ref, *xs) if case.post else ref(*xs)
    else:
        assert info.params == 0
        args = [*xs, gm.tok] if op == "PrependToken" else xs
        with torch.no_grad():
            want = ref(*args)
    assert info.shape == tuple(want.shape), (info.shape, want.shape)
    with torch.no_grad():
        got = gm(*xs)
    torch.testing.assert_close(got, want, rtol=1e-5, atol=1e-6)


def _flat(inputs: list[Any]) -> list[Any]:
    return [s for port in inputs for s in (port if isinstance(port, list) else [port])]
