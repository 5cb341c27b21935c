"""The undoable "change the run config" edit (Qt-free, like the core commands).

The run config lives in ``graph.training`` so it is saved with the design; changing it
through a command puts the change on the editor's undo stack, which is also what marks
the document dirty. ``do``/``undo`` use ``graph.set_meta`` so every view hears one
``meta_changed`` event (the settings form reloads from it).
"""

from __future__ import annotations

import copy
from typing import Any

from graphbuilder.core.graph import ModelGraph


class SetTrainingCommand:
    """Replace ``graph.training`` with ``config`` (a JSON dict, or None for defaults)."""

    def __init__(self, config: dict[str, Any] | None, text: str = "Change training settings"
                 ) -> None:
        self.config = copy.deepcopy(config)
        self.text = text
        self._before: dict[str, Any] | None = None

    def do(self, graph: ModelGraph) -> None:
        self._before = copy.deepcopy(graph.training)
        graph.set_meta(training=copy.deepcopy(self.config))

    def undo(self, graph: ModelGraph) -> None:
        graph.set_meta(training=copy.deepcopy(self._before))


def changed_keys(old: dict[str, Any] | None, new: dict[str, Any], prefix: str = ""
                 ) -> list[str]:
    """Dotted keys whose values differ (names the undo step: "Set optimizer.lr")."""
    old = old or {}
    out: list[str] = []
    for key in sorted(set(old) | set(new)):
        a, b = old.get(key), new.get(key)
        if isinstance(a, dict) and isinstance(b, dict):
            out += changed_keys(a, b, f"{prefix}{key}.")
        elif a != b:
            out.append(prefix + key)
    return out
