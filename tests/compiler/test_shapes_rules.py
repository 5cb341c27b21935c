"""Shape rules that stand in for slow meta kernels must give exactly torch's shapes."""

from __future__ import annotations

import copy
import subprocess
import sys

import pytest
import torch
from torch import nn

from graphbuilder.compiler.shapes import _MODULE_RULES


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
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=240, check=False)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "[]", out.stdout
