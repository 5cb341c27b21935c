"""Checks made before anything starts: a run refused here costs nothing and says why."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QStandardPaths

from graphbuilder.core.graph import ModelGraph
from graphbuilder.training.config import RunConfig
from graphbuilder.training.datasets import BUILTINS


def default_runs_root() -> Path:
    base = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppLocalDataLocation)
    return Path(base or Path.home() / ".graphbuilder") / "runs"


def preflight(cfg: RunConfig, graph: ModelGraph) -> str | None:
    """Problems that would make a run fail at once, as a message (None: go ahead)."""
    name = cfg.data.dataset.strip()
    if ":" in name and name.split(":", 1)[0] not in BUILTINS:
        path = Path(name.split(":", 1)[1]).expanduser()
        if not path.exists():
            return f"data.dataset: {path} does not exist"
    elif name not in BUILTINS:
        return (f"data.dataset: unknown dataset {name!r}; choose a built-in "
                f"({', '.join(BUILTINS)}) or kind:PATH")
    if not graph.input_nodes() or not graph.output_nodes():
        return "the design needs an Input and an Output node to be trained"
    return None
