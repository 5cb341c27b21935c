"""Zoo test fixtures: shrink inputs so big templates stay fast on CPU."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from graphbuilder.core.graph import ModelGraph

#: Smaller square inputs for templates whose architecture allows it (global pooling).
#: ViT-B/16 keeps 224: its positional embedding is sized for 14x14 patches.
SMALL_SIZE: dict[str, int] = {
    **{f"resnet{d}": 64 for d in (18, 34, 50, 101, 152)},
    "densenet121": 64, "googlenet": 64, "mobilenet_v2": 64, "squeezenet1_1": 64,
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
