"""Put the Qt-free :class:`SetTrainingCommand` on the editor's ``QUndoStack``.

Consecutive changes of the same single setting (clicking a spin box's arrow five times)
merge into one undo step, so undo restores the value before the burst instead of
walking back one click at a time.
"""

from __future__ import annotations

import time
from typing import Any

from PySide6.QtGui import QUndoCommand, QUndoStack

from graphbuilder.core.graph import ModelGraph
from graphbuilder.training.config import ConfigError, RunConfig
from graphbuilder.ui.training.commands import SetTrainingCommand, changed_keys

MERGE_ID = 0x7A11
MERGE_WINDOW_S = 2.0


class TrainingUndoCommand(QUndoCommand):
    def __init__(self, graph: ModelGraph, command: SetTrainingCommand, keys: list[str]) -> None:
        super().__init__(command.text)
        self.graph = graph
        self.command = command
        self.keys = keys
        self.first: SetTrainingCommand = command
        self.when = time.monotonic()

    def id(self) -> int:
        return MERGE_ID

    def redo(self) -> None:
        self.command.do(self.graph)

    def undo(self) -> None:
        self.first.undo(self.graph)

    def mergeWith(self, other: QUndoCommand) -> bool:  # noqa: N802 - Qt API
        if not (isinstance(other, TrainingUndoCommand) and len(self.keys) == 1
                and other.keys == self.keys and other.when - self.when < MERGE_WINDOW_S):
            return False
        self.command = other.command  # redo goes to the newest value, undo to the first
        self.when = other.when
        return True


def push_command(stack: QUndoStack, graph: ModelGraph, command: SetTrainingCommand,
                 old: dict[str, Any] | None, new: dict[str, Any]) -> None:
    try:  # compare like with like: a template's sparse config against the full one
        old = RunConfig.from_dict(old).to_dict()
    except ConfigError:
        pass
    keys = changed_keys(old, new)
    if len(keys) == 1:
        command.text = f"Set {keys[0]}"
    stack.push(TrainingUndoCommand(graph, command, keys))
