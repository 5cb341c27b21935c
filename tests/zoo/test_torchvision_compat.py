"""Templates with a torchvision twin have its exact state_dict: weights load strictly.

``compile_graph(load_template(name)).load_state_dict(tv.state_dict(), strict=True)``
must work and the eval-mode outputs must agree. torchvision's random init leaves some
tensors trivial (zero classifier heads, BN statistics 0/1), which would hide a wrong
wiring, so the state dict is perturbed first. The same module then does the template's
train step (forward + backward), so these big models are built only once per test run.
"""

from __future__ import annotations

import pytest
import torch
import torchvision

from graphbuilder.compiler.fx_compile import compile_graph
from graphbuilder.zoo.catalog import list_templates, load_template

#: template -> torchvision builder kwargs
TWINS: dict[str, dict] = {
    **{f"resnet{d}": {} for d in (18, 34, 50, 101, 152)},
    "vit_b_16": {}, "alexnet": {}, "vgg11": {}, "vgg16": {}, "densenet121": {},
    "squeezenet1_1": {}, "mobilenet_v2": {},
    # the template leaves out the two auxiliary training heads
    "googlenet": {"aux_logits": False, "init_weights": False},
}


def _perturbed(state: dict[str, torch.Tensor], seed: int = 0) -> dict[str, torch.Tensor]:
    """Randomise the constant tensors (zero heads, BN stats and affines); keep the rest."""
    g = torch.Generator().manual_seed(seed)
    out = {}
    for key, value in state.items():
        if not value.is_floating_point() or value.min() != value.max():
            out[key] = value
        elif key.endswith("running_var"):
            out[key] = value * (1.0 + torch.rand(value.shape, generator=g))
        else:
            out[key] = value + 0.02 * torch.randn(value.shape, generator=g)
    return out


def test_metadata_names_the_twins() -> None:
    marked = {i.name for i in list_templates() if i.torchvision}
    assert marked == set(TWINS)


@pytest.mark.parametrize("name", sorted(TWINS))
def test_torchvision_weights_load_match_and_train(name: str, shrink, train_step) -> None:
    graph = shrink(name, load_template(name))  # smaller images where the pooling allows
    assert graph.metadata["torchvision"] == name
    size = graph.params("x")["shape"][-1]
    torch.manual_seed(0)
    reference = getattr(torchvision.models, name)(**TWINS[name])
    state = _perturbed(reference.state_dict())
    reference.load_state_dict(state)
    gm = compile_graph(graph)
    shapes = {k: tuple(v.shape) for k, v in gm.state_dict().items()}
    assert shapes == {k: tuple(v.shape) for k, v in reference.state_dict().items()}
    gm.load_state_dict(state, strict=True)
    gm.eval()
    reference.eval()
    batch = 1 if name == "vit_b_16" else 2  # ViT-B/16 (no BatchNorm) is heavy at 224
    x = torch.randn(batch, 3, size, size, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        want, got = reference(x), gm(x)
    assert got.shape == want.shape
    assert want.abs().max() > 1e-3, "degenerate reference output"
    diff = (got - want).abs().max().item()
    assert diff <= 1e-5 * max(1.0, want.abs().max().item()), f"{name}: max diff {diff:.3g}"
    del reference, state  # free torchvision's copy before the backward pass
    train_step(gm, x)
