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


def unwrap(model: torch.nn.Module) -> torch.nn.Module:
    """The plain module under DDP / torch.compile wrappers (for state_dict keys)."""
    while True:
        inner = getattr(model, "module", None) or getattr(model, "_orig_mod", None)
        if inner is None or not isinstance(inner, torch.nn.Module):
            return model
        model = inner
