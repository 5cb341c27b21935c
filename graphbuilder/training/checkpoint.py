"""Checkpoints: weights + optimizer + scheduler + scaler + config, written atomically.

A checkpoint is a plain dict of tensors and JSON-like values so it loads with
``torch.load(weights_only=True)`` (no pickled code). The model itself is never pickled:
the graph file describes it and the state_dict fills it in.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import torch

from graphbuilder.core.atomic import atomic_write_with


class CheckpointError(ValueError):
    """A checkpoint that cannot be read or does not fit the model."""


def save_checkpoint(path: str | os.PathLike[str], state: dict[str, Any]) -> None:
    """Atomically ``torch.save`` ``state``: an interrupted write keeps the old file."""
    atomic_write_with(path, lambda fh: torch.save(state, fh))


def load_checkpoint(path: str | os.PathLike[str], map_location: Any = "cpu") -> dict[str, Any]:
    """Load a checkpoint safely (``weights_only=True``); clear error if it is not one."""
    p = Path(path)
    if not p.is_file():
        raise CheckpointError(f"checkpoint not found: {p} (expected a .pt file written by "
                              "GraphBuilder, e.g. RUN_DIR/last.pt)")
    try:
        state = torch.load(p, map_location=map_location, weights_only=True)
    except Exception as exc:  # noqa: BLE001 - any unpickling problem means "not ours"
        raise CheckpointError(f"{p} is not a readable checkpoint ({exc})") from None
    if not isinstance(state, dict) or "model" not in state:
        raise CheckpointError(f"{p} is not a GraphBuilder checkpoint (no 'model' entry)")
    return state


def training_state(model: torch.nn.Module, optimizer: torch.optim.Optimizer, schedule: Any,
                   scaler: torch.amp.GradScaler, data_generator: torch.Generator | None,
                   **extra: Any) -> dict[str, Any]:
    """Everything a resumed run needs: weights, optimizer, schedule, scaler, RNG states
    (torch, and the shuffling generator so the batch order continues) plus ``extra``
    (config, epoch, step, metrics, history...)."""
    state = {"format": 1, "model": unwrap(model).state_dict(),
             "optimizer": optimizer.state_dict(), "schedule": schedule.state_dict(),
             "scaler": scaler.state_dict(), "rng": torch.get_rng_state(), **extra}
    if data_generator is not None:
        state["data_rng"] = data_generator.get_state()
    return state


def restore_training_state(state: dict[str, Any], model: torch.nn.Module,
                           optimizer: torch.optim.Optimizer, schedule: Any,
                           scaler: torch.amp.GradScaler,
                           data_generator: torch.Generator | None) -> None:
    """Load what :func:`training_state` saved back into live objects."""
    try:
        unwrap(model).load_state_dict(state["model"])
    except RuntimeError as exc:
        raise CheckpointError(f"the checkpoint does not fit this model ({exc})") from None
    optimizer.load_state_dict(state["optimizer"])
    schedule.load_state_dict(state["schedule"])
    if state.get("scaler"):
        scaler.load_state_dict(state["scaler"])
    if "rng" in state:
        torch.set_rng_state(state["rng"].cpu())
    if "data_rng" in state and data_generator is not None:
        data_generator.set_state(state["data_rng"].cpu())


def unwrap(model: torch.nn.Module) -> torch.nn.Module:
    """The plain module under DDP / torch.compile wrappers (for state_dict keys)."""
    while True:
        inner = getattr(model, "module", None) or getattr(model, "_orig_mod", None)
        if inner is None or not isinstance(inner, torch.nn.Module):
            return model
        model = inner
