"""Shape rules that stand in for slow meta kernels must give exactly torch's shapes."""

from __future__ import annotations

import copy
import subprocess
import sys

import pytest
import torch
from torch import nn

from graphbuilder.compiler.shapes import _MODULE_RULES, _NoMetaInit, infer_shapes
from graphbuilder.core.builder import NetBuilder
from graphbuilder.core.ops._util import broadcast_shapes
from graphbuilder.core.registry import get_op


def _torch_shape(module: nn.Module, shape: tuple[int, ...], device: str) -> tuple[int, ...]:
    with torch.device(device), torch.no_grad():
        return tuple(copy.deepcopy(module).to(device)(torch.zeros(shape)).shape)


CASES = [
    (nn.Linear(7, 5), (2, 7)),
    (nn.Linear(7, 5), (3, 4, 7)),
    (nn.Linear(7, 1, bias=False), (2, 3, 4, 7)),
    (nn.AdaptiveAvgPool1d(3), (2, 4, 10)),
    (nn.AdaptiveAvgPool1d(5), (4, 3)),
    (nn.AdaptiveAvgPool2d(1), (2, 8, 7, 7)),
    (nn.AdaptiveAvgPool2d((2, 3)), (3, 8, 9, 4)),
    (nn.AdaptiveAvgPool2d((None, 2)), (2, 8, 5, 6)),
    (nn.AdaptiveAvgPool2d((4, None)), (8, 5, 6)),
    (nn.AdaptiveAvgPool2d(7), (2, 3, 3, 3)),  # larger than the input: allowed
    (nn.AdaptiveAvgPool3d((1, None, 2)), (2, 3, 4, 5, 6)),
    (nn.AdaptiveMaxPool1d(2), (2, 3, 9)),
    (nn.AdaptiveMaxPool2d((3, 1)), (2, 3, 8, 8)),
    (nn.AdaptiveMaxPool3d(2), (3, 4, 5, 6)),
    # global average pooling is torch's mean over the last axes: any rank, empty axes
    (nn.AdaptiveAvgPool2d(1), (2, 8)),
    (nn.AdaptiveAvgPool2d(1), (2, 8, 0, 4)),
    (nn.AdaptiveAvgPool2d((None, 1)), (2, 3, 1, 5)),
    (nn.AdaptiveAvgPool2d(1), (2, 3, 4, 5, 6)),
    (nn.AdaptiveAvgPool3d(1), (2, 8, 3)),
    (nn.AdaptiveAvgPool3d(1), (2, 3, 0, 3, 3)),
    (nn.AdaptiveAvgPool1d(1), (2, 8, 0)),
]


@pytest.mark.parametrize(("module", "shape"), CASES, ids=lambda v: str(v))
def test_rule_matches_torch(module: nn.Module, shape: tuple[int, ...]) -> None:
    rule = _MODULE_RULES[type(module)]
    assert rule(module, shape) == _torch_shape(module, shape, "meta")
    assert rule(module, shape) == _torch_shape(module, shape, "cpu")


@pytest.mark.parametrize(("module", "shape"), [
    (nn.Linear(7, 5), (2, 6)),
    (nn.AdaptiveAvgPool2d(2), (2, 8, 0, 4)),
    (nn.AdaptiveAvgPool2d(2), (2, 3, 4, 5, 6)),
    (nn.AdaptiveAvgPool1d(1), (2, 3, 8, 5)),
    (nn.AdaptiveMaxPool2d(1), (2, 8)),
    (nn.AdaptiveMaxPool2d(1), (2, 8, 0, 4)),
    (nn.AdaptiveMaxPool1d(2), (1, 2, 3, 4)),
], ids=lambda v: str(v))
def test_rule_refuses_what_torch_refuses(module: nn.Module, shape: tuple[int, ...]) -> None:
    """Like the real kernels (the meta one lets an empty axis through avg pooling)."""
    with pytest.raises(RuntimeError):
        _torch_shape(module, shape, "cpu")
    with pytest.raises(RuntimeError):
        _MODULE_RULES[type(module)](module, shape)


def test_max_pool_with_indices_is_left_to_torch() -> None:
    m = nn.AdaptiveMaxPool2d(2, return_indices=True)
    assert _MODULE_RULES[type(m)](m, (2, 3, 8, 8)) is None


def test_cnn_inference_does_not_import_dynamo() -> None:
    """Meta ``addmm``/``mean`` are Python references whose first call imports
    torch._dynamo (3-6 s); ResNet-18's Linear and global pooling use rules instead."""
    code = (
        "import sys\n"
        "from graphbuilder.compiler.shapes import infer_shapes\n"
        "from graphbuilder.zoo.catalog import load_template\n"
        "r = infer_shapes(load_template('resnet18'))\n"
        "assert r.ok and r.total_params == 11689512, (r.errors, r.total_params)\n"
        "assert r.nodes['y'].shape == (2, 1000), r.nodes['y']\n"
        "print(sorted(m for m in sys.modules if m.startswith('torch._dynamo'))[:3])\n"
    )
    _assert_no_dynamo_in_fresh_process(code)


# -- op ``infer`` rules that replace slow meta runs (attention, RNNs, token ops) ---------

def _op_shape(op: str, params: dict, shapes: list, device: str) -> tuple[int, ...]:
    """What the op's own build + forward give on ``device`` for batched input shapes."""
    spec = get_op(op)
    p = spec.resolve_params(params)
    with torch.device(device), torch.no_grad():
        m = spec.build(p, shapes) if spec.build else None
        if isinstance(m, nn.Module):
            m.eval()
        xs = [torch.randn(s) for s in shapes]
        out = spec.forward(m, *xs, **p) if spec.forward else m(*xs)
    return tuple(out.shape)


def _rule(op: str, params: dict, shapes: list) -> tuple[int, ...] | None:
    spec = get_op(op)
    return spec.infer(spec.resolve_params(params), shapes)


RNN = {"hidden_size": 6}
OP_CASES = [
    *[(cell, {**RNN, "num_layers": layers, "bidirectional": bi, "output": out}, [(2, 7, 5)])
      for cell in ("LSTM", "GRU", "RNN") for layers in (1, 3) for bi in (False, True)
      for out in ("sequence", "last")],
    ("LSTM", {**RNN, "output": "last"}, [(3, 1, 4)]),
    ("RNN", {**RNN, "nonlinearity": "relu", "bidirectional": True}, [(2, 9, 3)]),
    ("MultiheadAttention", {"num_heads": 4}, [(2, 7, 16)]),
    ("MultiheadAttention", {"num_heads": 2, "bias": False}, [(2, 7, 16), (2, 11, 12)]),
    ("MultiheadAttention", {"num_heads": 2}, [(2, 7, 16), (2, 3, 12), (2, 3, 10)]),
    ("MultiheadAttention", {"num_heads": 1}, [(3, 1, 8), (3, 5, 8), (3, 5, 8)]),
    ("ScaledDotProductAttention", {}, [(2, 7, 16), (2, 7, 16), (2, 7, 16)]),
    ("ScaledDotProductAttention", {}, [(2, 7, 16), (2, 11, 16), (2, 11, 5)]),
    ("ScaledDotProductAttention", {"is_causal": True}, [(2, 7, 8), (2, 4, 8), (2, 4, 8)]),
    ("ScaledDotProductAttention", {}, [(2, 3, 7, 8), (2, 3, 5, 8), (2, 3, 5, 6)]),
    ("Mean", {"dim": 0}, [(2, 7, 16)]),
    ("Mean", {"dim": 1, "keepdim": True}, [(2, 7, 16)]),
    ("Mean", {"dim": -1}, [(2, 3, 4, 5)]),
    ("Mean", {"dim": -3, "keepdim": True}, [(2, 3, 4, 5)]),
    ("PrependToken", {}, [(2, 7, 16), (1, 1, 16)]),
    ("PrependToken", {}, [(1, 1, 4), (1, 1, 4)]),
    ("GlobalAvgPool2d", {}, [(2, 3, 5, 7)]),
    ("GlobalAvgPool2d", {}, [(2, 3, 1, 1)]),
    *[("Upsample", {"scale_factor": f, "mode": mode}, [shape])
      for f in (2.0, 1.5, 0.5, 0.3, 2.7, 1.0 / 3) for mode, shape in
      (("nearest", (2, 3, 7, 9)), ("bilinear", (2, 3, 7, 9)), ("linear", (2, 3, 10)),
       ("nearest", (2, 3, 11)))],
    ("ResizeLike", {"mode": "bilinear"}, [(2, 3, 8, 8), (2, 5, 3, 11)]),
    ("ResizeLike", {}, [(2, 3, 8, 8), (2, 5, 13, 4)]),
]


@pytest.mark.parametrize(("op", "params", "shapes"), OP_CASES, ids=lambda v: str(v))
def test_op_rule_matches_torch(op: str, params: dict, shapes: list) -> None:
    want = _rule(op, params, shapes)
    assert want is not None
    assert want == _op_shape(op, params, shapes, "meta")
    assert want == _op_shape(op, params, shapes, "cpu")


@pytest.mark.parametrize(("op", "params", "shapes"), [
    ("MultiheadAttention", {"num_heads": 2}, [(2, 7, 16), (1, 3, 16)]),  # unbatched key
    ("ScaledDotProductAttention", {}, [(2, 7, 8), (1, 5, 8), (1, 5, 8)]),  # broadcast
    ("ScaledDotProductAttention", {}, [(2, 4, 7, 8), (2, 5, 8), (2, 5, 8)]),
    ("Upsample", {"scale_factor": 0.1}, [(2, 3, 5, 5)]),  # empty result
], ids=lambda v: str(v))
def test_unusual_cases_are_left_to_torch(op: str, params: dict, shapes: list) -> None:
    assert _rule(op, params, shapes) is None


def test_left_to_torch_still_gives_torchs_error() -> None:
    b = NetBuilder("cross")
    q = b.input("q", [7, 16])
    key = b.param("k", [1, 3, 16], init="normal")
    b.output("y", b.add("attn", "MultiheadAttention", q, key, num_heads=2))
    r = infer_shapes(b.build())
    assert not r.ok and r.errors_for("attn")[0].message.startswith(
        "MultiheadAttention cannot take input [7, 16] and [3, 16]:")


def test_friendly_errors_still_come_first() -> None:
    b = NetBuilder("heads")
    x = b.input("x", [7, 18])
    b.output("y", b.add("attn", "MultiheadAttention", x, num_heads=4))
    (err,) = infer_shapes(b.build()).errors_for("attn")
    assert err.message == ("attention width 18 is not divisible by num_heads=4; "
                           "use 3 heads or a width that is a multiple of 4")


@pytest.mark.parametrize(("op", "params", "shapes"), [
    ("Parameter", {"shape": [1, 5, 8], "init": "normal"}, []),
    ("Parameter", {"shape": [3, 4], "init": "trunc_normal"}, []),
    ("Embedding", {"num_embeddings": 11, "embedding_dim": 6, "padding_idx": 0}, [(2, 7)]),
    ("MultiheadAttention", {"num_heads": 2}, [(2, 7, 16), (2, 3, 12), (2, 3, 10)]),
    ("LSTM", {"hidden_size": 6, "num_layers": 2, "bidirectional": True}, [(2, 7, 5)]),
])
def test_meta_build_without_init_has_exact_parameters(op: str, params: dict,
                                                      shapes: list) -> None:
    """Random init is skipped on meta tensors; parameter shapes stay those of a real build."""
    spec = get_op(op)
    p = spec.resolve_params(params)
    with torch.device("meta"), _NoMetaInit():
        meta = spec.build(p, shapes)
    real = spec.build(p, shapes)
    if isinstance(real, nn.Module):
        assert [(n, t.shape) for n, t in meta.named_parameters()] == \
            [(n, t.shape) for n, t in real.named_parameters()]
        assert all(t.is_meta for t in meta.parameters())
    else:
        assert meta.is_meta and meta.shape == real.shape
    assert torch.randn(3).device.type == "cpu"  # the mode ends with the block


def test_meta_init_mode_leaves_real_tensors_alone() -> None:
    with _NoMetaInit():
        t = nn.init.normal_(torch.zeros(1000), std=1.0)
    assert t.std() > 0.5


def test_sequence_inference_does_not_import_dynamo() -> None:
    """Attention, RNNs, Mean, PrependToken and normal-initialised Parameters/Embeddings
    have rules (or skip meta init) instead of Python meta kernels that import dynamo."""
    code = (
        "import sys\n"
        "from graphbuilder.compiler.shapes import infer_shapes\n"
        "from graphbuilder.zoo.catalog import load_template\n"
        "from graphbuilder.zoo.sequence import transformer_classifier\n"
        "for name, n in (('transformer_classifier', 101955), ('lstm_classifier', 50627),\n"
        "                ('vit_tiny', 810243)):\n"
        "    r = infer_shapes(load_template(name))\n"
        "    assert r.ok and r.total_params == n, (name, r.errors, r.total_params)\n"
        "r = infer_shapes(transformer_classifier(vocab=100))\n"
        "assert r.ok and r.total_params == 108227, (r.errors, r.total_params)\n"
        "print(sorted(m for m in sys.modules if m.startswith('torch._dynamo'))[:3])\n"
    )
    _assert_no_dynamo_in_fresh_process(code)


@pytest.mark.parametrize("shapes", [
    [(2, 3)], [(2, 3), (2, 3)], [(2, 1, 4), (3, 1)], [(1,), (2, 0)], [(2, 1), (1, 0)],
    [(5, 1, 7), (1, 6, 1), (6, 7)], [(), (2, 3)], [(2, 3), (3, 2)], [(2, 0), (2, 3)],
    [(2, 3), (2, 1), (4, 2, 3)], [(2, 4, 1), (2, 3, 1), (1,)], [(2, 3, 4), (2, 3, 4, 1)],
], ids=str)
def test_broadcast_shapes_matches_torch(shapes: list) -> None:
    """Add/Multiply's check and rule broadcast in plain Python (torch's imports sympy)."""
    try:
        want = tuple(torch.broadcast_shapes(*shapes))
    except RuntimeError:
        with pytest.raises(RuntimeError):
            broadcast_shapes(*shapes)
    else:
        assert broadcast_shapes(*shapes) == want


def _assert_no_dynamo_in_fresh_process(code: str) -> None:
    """Run ``code`` (which prints the torch._dynamo modules it loaded) in a new
    interpreter: only a fresh process shows what a first inference imports."""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=240, check=False)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "[]", out.stdout


# -- convolution and pooling rules (their meta kernels import sympy) -----------------------

def _grid(**axes: tuple) -> list[dict]:
    out: list[dict] = [{}]
    for name, values in axes.items():
        out = [{**d, name: v} for d in out for v in values]
    return out


_PADS = (0, 1, 2, "same")
CONV_CASES = [
    *[("Conv2d", {"out_channels": 4, **g}, [(2, 4, 7, 9), (2, 4, 5, 5), (3, 4, 1, 6)])
      for g in _grid(kernel_size=(1, 3, 5), stride=(1, 2, 3), padding=_PADS,
                     dilation=(1, 2), groups=(1, 2))],
    *[("Conv1d", {"out_channels": 6, **g}, [(2, 3, 7), (2, 3, 10), (3, 3, 2)])
      for g in _grid(kernel_size=(1, 3, 5, [3]), stride=(1, 2, 3), padding=_PADS,
                     dilation=(1, 2), groups=(1, 3))],
    *[("Conv2d", {"out_channels": 4, **g}, [(2, 2, 7, 9), (2, 2, 4, 11)])
      for g in _grid(kernel_size=([3, 1], [1, 5], [2, 4], [3]), stride=([2, 1], [1, 3], [2]),
                     padding=([1, 0], [0, 2], [1], "valid", "same"),
                     dilation=([1, 2], [2, 1]))],
    *[("DepthwiseConv2d", g, [(2, 3, 7, 9), (2, 2, 5, 5), (3, 1, 2, 6)])
      for g in _grid(kernel_size=(1, 3, 5, [3, 1], [3]), stride=(1, 2, 3, [1, 2]),
                     padding=(*_PADS, [2, 0]), multiplier=(1, 2))],
    *[("ConvTranspose2d", {"out_channels": 4, **g}, [(2, 4, 3, 5), (2, 4, 1, 1)])
      for g in _grid(kernel_size=(1, 2, 3, 5), stride=(1, 2, 3), padding=(0, 1, 2),
                     output_padding=(0, 1, 2), dilation=(1, 2), groups=(1, 2))],
    *[("ConvTranspose2d", {"out_channels": 2, **g}, [(2, 2, 3, 4)])
      for g in _grid(kernel_size=([3, 1], [2], 3), stride=([2, 1], [3]),
                     padding=([1, 0], [0]), output_padding=([1, 0], [0, 2]))],
    *[(op, g, [(2, 3, 7, 9), (2, 3, 8, 8), (3, 2, 5, 2)] if op.endswith("2d")
       else [(2, 3, 7), (2, 3, 8), (3, 2, 3)])
      for op in ("MaxPool2d", "AvgPool2d", "MaxPool1d", "AvgPool1d")
      for g in _grid(kernel_size=(1, 2, 3, 5), stride=(None, 1, 2, 3), padding=(0, 1, 2),
                     ceil_mode=(False, True))],
    *[(op, g, [(2, 3, 7, 9), (2, 3, 6, 5)])
      for op in ("MaxPool2d", "AvgPool2d")
      for g in _grid(kernel_size=([3, 2], [2], [3]), stride=([1, 2], [3, 1], [2], None),
                     padding=([1, 0], [0, 1]), ceil_mode=(False, True))],
]


def _outcome(op: str, params: dict, shape: tuple, device: str) -> tuple | None:
    try:
        return _op_shape(op, params, [shape], device)
    except Exception:  # torch's refusals: RuntimeError, ValueError, IndexError (meta)
        return None


@pytest.mark.parametrize(("op", "params", "shapes"), CONV_CASES, ids=lambda v: str(v))
def test_conv_and_pool_rules_match_torch(op: str, params: dict, shapes: list) -> None:
    """Where the op's check lets a case through, the rule gives exactly what the real CPU
    forward and the meta forward give, or ``None`` where torch refuses it (the meta run
    then keeps torch's error)."""
    spec = get_op(op)
    p = spec.resolve_params(params)
    for shape in shapes:
        if spec.check(p, [shape]):
            continue  # a friendly message; the rule is never asked
        rule = _rule(op, params, [shape])
        cpu = _outcome(op, params, shape, "cpu")
        meta = _outcome(op, params, shape, "meta")
        if rule is None:  # only where torch refuses (the CPU kernel may give an empty one)
            assert cpu is None or meta is None, (shape, cpu, meta)
        elif 0 in rule:  # the meta run's empty output (inference then reports it); CPU
            # kernels differ on empty transposed convolutions
            assert rule == meta and cpu in (None, rule), (shape, rule, cpu, meta)
        else:
            assert rule == cpu == meta, (shape, rule, cpu, meta)


def test_conv_and_pool_grid_exercises_the_rules() -> None:
    """The grid above must mostly reach the rule (not just the checks or refusals)."""
    answered = sum(
        _rule(op, params, [shape]) is not None
        for op, params, shapes in CONV_CASES for shape in shapes
        if not get_op(op).check(get_op(op).resolve_params(params), [shape]))
    assert answered > 2000


@pytest.mark.parametrize(("op", "params", "shape"), [
    ("Conv2d", {"padding_mode": "reflect", "padding": 1}, (2, 3, 5, 5)),  # F.pad first
    ("Conv2d", {"padding_mode": "circular", "padding": 2}, (2, 3, 1, 5)),
    ("ConvTranspose2d", {"kernel_size": 2, "stride": 1, "padding": 2}, (2, 3, 1, 1)),
    ("DepthwiseConv2d", {"kernel_size": 5, "padding": 0}, (2, 3, 4, 4)),
    ("DepthwiseConv2d", {"padding": "same", "stride": 2}, (2, 3, 4, 4)),
    ("MaxPool2d", {"kernel_size": 2, "padding": 2}, (2, 3, 4, 4)),
    ("Conv2d", {"kernel_size": [3]}, (2, 3, 5, 5)),  # a 3-D weight torch refuses
    ("ConvTranspose2d", {"kernel_size": [2]}, (2, 3, 5, 5)),
    ("ConvTranspose2d", {"kernel_size": 1, "stride": 2, "padding": 1}, (2, 3, 1, 1)),
], ids=str)
def test_conv_and_pool_unusual_cases_are_left_to_torch(op: str, params: dict,
                                                       shape: tuple) -> None:
    assert _rule(op, params, [shape]) is None


@pytest.mark.parametrize(("op", "params", "shape", "start"), [
    ("DepthwiseConv2d", {"kernel_size": 5, "padding": 0}, [3, 4, 4], "DepthwiseConv2d "),
    ("ConvTranspose2d", {"kernel_size": 2, "stride": 1, "padding": 2}, [3, 1, 1],
     "ConvTranspose2d "),
    ("Conv2d", {"padding_mode": "reflect", "padding": 3}, [3, 2, 2], "Conv2d "),
], ids=str)
def test_conv_refusals_still_give_torchs_error(op: str, params: dict, shape: list,
                                               start: str) -> None:
    b = NetBuilder("refused")
    x = b.input("x", shape)
    b.output("y", b.add("n", op, x, **params))
    r = infer_shapes(b.build())
    (err,) = r.errors_for("n")
    assert not r.ok and err.message.startswith(start), err.message


def test_cnn_inference_imports_neither_dynamo_nor_sympy() -> None:
    """Conv2d, MaxPool2d and friends have rules: their meta kernels import sympy (through
    torch.fx.experimental.symbolic_shapes) on the first call, 0.4-1.3 s per CNN."""
    code = (
        "import sys\n"
        "from graphbuilder.compiler.shapes import infer_shapes\n"
        "from graphbuilder.zoo.catalog import load_template\n"
        "for name, n, out in (('resnet18', 11689512, (2, 1000)),\n"
        "                     ('simple_cnn', 136419, (2, 3))):\n"
        "    r = infer_shapes(load_template(name))\n"
        "    assert r.ok and r.total_params == n, (name, r.errors, r.total_params)\n"
        "    assert r.nodes['y'].shape == out, (name, r.nodes['y'])\n"
        "print(sorted(m for m in sys.modules\n"
        "             if m.startswith(('torch._dynamo', 'sympy')))[:3])\n"
    )
    _assert_no_dynamo_in_fresh_process(code)
