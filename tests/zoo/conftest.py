"""Zoo test fixtures: shrink inputs so big templates stay fast on CPU."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
import torch

from graphbuilder.core.graph import ModelGraph

#: Smaller square inputs for templates whose architecture allows it (global or adaptive
#: pooling before the classifier): the smallest size every pooling step still accepts.
#: ViT-B/16 keeps 224: its positional embedding is sized for 14x14 patches.
SMALL_SIZE: dict[str, int] = {
    **{f"resnet{d}": 32 for d in (18, 34, 50, 101, 152)},
    "densenet121": 32, "googlenet": 32, "mobilenet_v2": 32, "squeezenet1_1": 32,
    "alexnet": 64, "vgg11": 32, "vgg16": 32,
}


def _shrink(name: str, graph: ModelGraph) -> ModelGraph:
    """Set the Input's height/width to ``SMALL_SIZE[name]`` (no-op for other templates)."""
    size = SMALL_SIZE.get(name)
    if size is not None:
        (node,) = graph.input_nodes()
        params = dict(graph.raw_params(node))
        params["shape"] = [params["shape"][0], size, size]
        graph.set_params(node, params)
    return graph


@pytest.fixture
def shrink() -> Callable[[str, ModelGraph], ModelGraph]:
    """``shrink(name, graph)``: the template with its test-sized input."""
    return _shrink


def _train_step(gm: torch.nn.Module, x: torch.Tensor) -> torch.Tensor:
    """One forward + backward in train mode; checks the loss and every gradient."""
    gm.train()
    out = gm(x)
    loss = out.float().pow(2).mean()
    loss.backward()
    assert torch.isfinite(loss)
    for name, p in gm.named_parameters():
        assert p.grad is not None and torch.isfinite(p.grad).all(), f"bad gradient: {name}"
    return out


@pytest.fixture
def train_step() -> Callable[[torch.nn.Module, torch.Tensor], torch.Tensor]:
    """``train_step(gm, x)``: forward + backward in train mode, gradients checked."""
    return _train_step


@pytest.fixture(autouse=True)
def _one_torch_thread() -> Iterator[None]:
    """Run zoo tests on one intra-op thread, restored afterwards.

    These tests are many small CPU kernels; on the shared 2-core CI machine, two OpenMP
    threads competing with other jobs were measured 10-20x *slower* than one (ResNet-34
    forward at 32x32: 0.1 s with 1 thread, 1.5-2.7 s with 2 under a load of 5).
    """
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)
