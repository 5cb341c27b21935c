"""The one adapter between Qt's undo stack and the Qt-free core commands.

Every model edit in the editor goes through :meth:`Editor.execute`: the core command
runs once *before* it is pushed, so a refused edit (duplicate id, bad value, locked
document) never reaches the stack and the user gets the model's own message. The
``QUndoCommand`` then only replays ``do``/``undo``.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoCommand, QUndoStack

from graphbuilder.core.commands import Command
from graphbuilder.core.graph import ModelGraph


class GraphUndoCommand(QUndoCommand):
    """A core command on Qt's stack; the first ``redo`` is skipped (it already ran)."""

    def __init__(self, graph: ModelGraph, command: Command, already_done: bool = True) -> None:
        super().__init__(command.text)
        self.graph = graph
        self.command = command
        self._skip_first_redo = already_done

    def redo(self) -> None:
        if self._skip_first_redo:
            self._skip_first_redo = False
            return
        self.command.do(self.graph)

    def undo(self) -> None:
        self.command.undo(self.graph)


class Editor(QObject):
    """Runs edits against the document and records them; refuses them while locked."""

    refused = Signal(str)  # a message for the status bar / a dialog
    lock_changed = Signal(bool, str)

    def __init__(self, graph: ModelGraph, stack: QUndoStack,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.graph = graph
        self.stack = stack
        self.locked = False
        self.lock_reason = ""

    def execute(self, command: Command) -> bool:
        """Apply ``command`` as one undo step; False (and a message) when refused."""
        if self.locked:
            self.refused.emit(f"Editing is locked: {self.lock_reason}")
            return False
        try:
            command.do(self.graph)
        except (ValueError, KeyError) as exc:  # GraphEditError, UnknownOpError...
            self.refused.emit(str(exc).strip("'\""))
            return False
        self.stack.push(GraphUndoCommand(self.graph, command))
        return True

    def set_locked(self, locked: bool, reason: str = "") -> None:
        self.locked = locked
        self.lock_reason = reason if locked else ""
        self.lock_changed.emit(locked, self.lock_reason)
