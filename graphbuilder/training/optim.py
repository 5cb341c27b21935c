"""Optimizers: the config's ``optimizer`` section -> a ``torch.optim`` instance.

Only torch.optim classes are used, so behaviour (and state_dict layout, which checkpoints
store) is exactly upstream's. Weight decay is not applied to biases and norm weights
(1-D parameters): decaying them hurts and every modern recipe excludes them.
"""

from __future__ import annotations

from collections.abc import Iterable

import torch
from torch import nn

from graphbuilder.training.config import OptimizerConfig


def param_groups(model: nn.Module, weight_decay: float) -> list[dict]:
    """Two groups: decayed (>= 2-D weights) and not decayed (biases, norms, tokens)."""
    decay, no_decay = [], []
    for p in model.parameters():
        if not p.requires_grad:
            continue
        (decay if p.ndim >= 2 else no_decay).append(p)
    groups = [{"params": decay, "weight_decay": weight_decay}]
    if no_decay:
        groups.append({"params": no_decay, "weight_decay": 0.0})
    return groups


def make_optimizer(params: nn.Module | Iterable, cfg: OptimizerConfig,
                   lr: float | None = None) -> torch.optim.Optimizer:
    """Build the optimizer named in ``cfg`` (``lr`` overrides ``cfg.lr``)."""
    lr = cfg.lr if lr is None else lr
    groups = param_groups(params, cfg.weight_decay) if isinstance(params, nn.Module) else params
    wd = cfg.weight_decay
    betas = tuple(cfg.betas)
    name = cfg.name
    if name == "sgd":
        return torch.optim.SGD(groups, lr=lr, momentum=cfg.momentum, nesterov=cfg.nesterov,
                               weight_decay=wd)
    if name == "adagrad":
        return torch.optim.Adagrad(groups, lr=lr, weight_decay=wd)
    if name == "rmsprop":
        return torch.optim.RMSprop(groups, lr=lr, momentum=cfg.momentum, weight_decay=wd)
    if name == "adadelta":
        return torch.optim.Adadelta(groups, lr=lr, weight_decay=wd)
    if name == "adam":
        return torch.optim.Adam(groups, lr=lr, betas=betas, weight_decay=wd)
    if name == "adamw":
        return torch.optim.AdamW(groups, lr=lr, betas=betas, weight_decay=wd)
    if name == "nadam":
        return torch.optim.NAdam(groups, lr=lr, betas=betas, weight_decay=wd)
    raise ValueError(f"optimizer.name: unknown optimizer {name!r}")


def set_lr(optimizer: torch.optim.Optimizer, lr: float) -> None:
    """Set every group's lr (LR range test, sweeps)."""
    for g in optimizer.param_groups:
        g["lr"] = lr
