"""Bit-equal parity with a hand-written loop on the same GraphModule (Lightning/Fabric style)."""

import copy

import torch
from training_models import mlp

from graphbuilder.compiler.fx_compile import compile_graph
from graphbuilder.training import Trainer
from graphbuilder.training.datasets import spirals


def test_trainer_matches_a_hand_written_loop_bit_for_bit():
    x, y = spirals(512, seed=3)
    ds = torch.utils.data.TensorDataset(x, y)
    model = compile_graph(mlp(bn=True), seed=0)
    reference = copy.deepcopy(model)
    cfg = {"data": {"batch_size": 32}, "epochs": 3, "seed": 5,
           "optimizer": {"name": "sgd", "lr": 0.05, "momentum": 0.9, "nesterov": True},
           "schedule": {"name": "cosine"}}

    # the hand-written loop
    torch.manual_seed(5)
    g = torch.Generator().manual_seed(5)
    loader = torch.utils.data.DataLoader(ds, batch_size=32, shuffle=True, generator=g)
    decay = [p for p in reference.parameters() if p.ndim >= 2]
    no_decay = [p for p in reference.parameters() if p.ndim < 2]
    opt = torch.optim.SGD([{"params": decay}, {"params": no_decay, "weight_decay": 0.0}],
                          lr=0.05, momentum=0.9, nesterov=True)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=3 * len(loader))
    reference.train()
    for _ in range(3):
        for xb, yb in loader:
            loss = torch.nn.functional.cross_entropy(reference(xb), yb)
            loss.backward()
            opt.step()
            opt.zero_grad(set_to_none=True)
            sched.step()

    final = Trainer(model, cfg, data=(loader_like(ds, 5), None), step_events=False).fit()
    assert final.reason == "completed"
    ours, theirs = model.state_dict(), reference.state_dict()
    for k in theirs:
        assert torch.equal(ours[k], theirs[k]), k


def loader_like(ds, seed):
    return torch.utils.data.DataLoader(ds, batch_size=32, shuffle=True,
                                       generator=torch.Generator().manual_seed(seed))


def test_trainer_own_loaders_match_the_hand_loop_order():
    """Built-in data + our whole-batch loader give the same weights as the hand loop."""
    from graphbuilder.training.data import tensor_split

    x, y = spirals(256, seed=2)
    bundle = tensor_split("spirals", x, y, 0.0, 0, task="classification", num_classes=2)
    model = compile_graph(mlp(), seed=0)
    reference = copy.deepcopy(model)
    torch.manual_seed(0)
    loader = loader_like(bundle.train, 0)
    opt = torch.optim.Adam(reference.parameters(), lr=0.01)
    for _ in range(2):
        for xb, yb in loader:
            torch.nn.functional.cross_entropy(reference(xb), yb).backward()
            opt.step()
            opt.zero_grad(set_to_none=True)
    cfg = {"data": {"batch_size": 32, "val_fraction": 0.0}, "epochs": 2,
           "optimizer": {"name": "adam", "lr": 0.01}}
    Trainer(model, cfg, data=bundle, step_events=False).fit()
    for k, v in reference.state_dict().items():
        assert torch.equal(model.state_dict()[k], v), k
