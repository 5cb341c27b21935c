"""Pieces of a training step shared by the trainer and the LR finder.

Seeding, calling a model on one or several inputs, moving batches, recognising
out-of-memory errors, explaining a model/data mismatch on the first step, and the
(DDP-collective) non-finite check. Kept apart so both loops behave the same and the
trainer file stays about the loop itself.
"""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import nn

from graphbuilder.training import distributed as dist_util
from graphbuilder.training.config import RunConfig
from graphbuilder.training.data import DataError


class NonFiniteLossError(RuntimeError):
    """The loss became NaN/inf (reported as RunFailed kind "nan")."""


def seed_everything(seed: int) -> None:
    """Seed torch (all devices), numpy and python's ``random``."""
    import random

    import numpy as np

    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def forward(model: nn.Module, x: Any) -> torch.Tensor:
    """Call the model on one input or a tuple of inputs; keep the first output."""
    out = model(*x) if isinstance(x, (tuple, list)) else model(x)
    return out[0] if isinstance(out, (tuple, list)) else out


def to_device(x: Any, device: torch.device, channels_last: bool = False) -> Any:
    if isinstance(x, (tuple, list)):
        return type(x)(to_device(v, device, channels_last) for v in x)
    x = x.to(device, non_blocking=True)
    if channels_last and x.ndim == 4:
        x = x.contiguous(memory_format=torch.channels_last)
    return x


def is_oom(exc: BaseException) -> bool:
    return isinstance(exc, torch.OutOfMemoryError) or (
        isinstance(exc, RuntimeError) and "out of memory" in str(exc).lower())


def first_loss(model: nn.Module, loss_fn: nn.Module, x: Any, y: Any, cfg: RunConfig,
               num_classes: int | None) -> torch.Tensor:
    """The loss of the first batch; a shape/dtype mismatch becomes a DataError in words."""
    shape = lambda t: list(t.shape[1:]) if hasattr(t, "shape") else "?"  # noqa: E731
    xs = [shape(v) for v in x] if isinstance(x, (tuple, list)) else shape(x)
    try:
        out = forward(model, x)
    except (RuntimeError, ValueError, IndexError, TypeError) as exc:
        if is_oom(exc):
            raise
        raise DataError(f"the model does not accept the data: samples are {xs} "
                        f"(without the batch axis); check the Input node's shape ({exc})"
                        ) from exc
    if cfg.loss == "cross_entropy" and out.ndim >= 2 and out.shape[1] == 1:
        raise DataError("loss 'cross_entropy' with a single model output is always 0: give the "
                        "last layer one output per class, or use 'mse' (regression) or "
                        "'bce_with_logits' (yes/no)")
    try:
        return loss_fn(out, y)
    except (RuntimeError, ValueError, IndexError) as exc:
        if is_oom(exc):
            raise
        hint = ""
        if cfg.loss == "cross_entropy" and num_classes and out.ndim >= 2 and \
                out.shape[1] != num_classes:
            hint = f"the last layer needs {num_classes} outputs (one per class), not " \
                   f"{out.shape[1]}; "
        elif cfg.loss == "cross_entropy" and y.is_floating_point() and y.shape != out.shape:
            hint = "cross_entropy needs class targets: for regression use loss 'mse'; "
        elif cfg.loss != "cross_entropy" and not y.is_floating_point():
            hint = f"loss '{cfg.loss}' needs numeric targets; for classes use 'cross_entropy'; "
        raise DataError(f"the model output {shape(out)} does not fit the targets {shape(y)} "
                        f"({str(y.dtype).replace('torch.', '')}) with loss '{cfg.loss}': "
                        f"{hint}({exc})") from exc


def finite(loss_sum: torch.Tensor, dist: Any) -> bool:
    """Is the running loss finite (on every rank, under DDP)?"""
    if dist is None:
        return math.isfinite(float(loss_sum))
    return math.isfinite(float(dist_util.all_reduce_sums({"s": loss_sum.reshape(1)})["s"][0]))
