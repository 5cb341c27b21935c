"""Canvas edits of the main window: add ops and blocks, delete, clipboard, layout,
alignment and grouping. Each gesture builds core commands (see :mod:`edits`) and runs
them through ``self.editor`` as one undo step; nothing here touches items directly.
"""

from __future__ import annotations

import atexit
import json
from typing import TYPE_CHECKING

from PySide6.QtCore import QMimeData, QPointF, QSettings
from PySide6.QtGui import QCursor
from PySide6.QtWidgets import QApplication, QInputDialog

from graphbuilder.core.errors import GraphFormatError
from graphbuilder.core.fileformat import dumps_graph, loads_graph
from graphbuilder.ui import edits

if TYPE_CHECKING:
    from graphbuilder.ui.main_window import MainWindow

GRAPH_MIME = "application/x-graphbuilder-graph"
_clipboard_cleanup_installed = False


def _release_clipboard_at_exit() -> None:
    """Drop our clipboard data before Python shuts down.

    PySide6 6.12 segfaults at interpreter exit when the clipboard still owns a
    QMimeData we set (reproduced offscreen with a five-line script): the Python
    wrapper is finalised after Qt tore down the platform clipboard. Clearing it in
    an ``atexit`` hook runs while both are still alive. The data would vanish with the
    process anyway, so nothing a user relies on is lost.
    """
    global _clipboard_cleanup_installed
    if _clipboard_cleanup_installed:
        return
    _clipboard_cleanup_installed = True

    def clear() -> None:
        if QApplication.instance() is not None:
            clipboard = QApplication.clipboard()
            mime = clipboard.mimeData()
            if mime is not None and mime.hasFormat(GRAPH_MIME):
                clipboard.clear()

    atexit.register(clear)


class EditingMixin:
    """Mixed into :class:`MainWindow`; ``self`` is the window."""

    def _drop_point(self: MainWindow) -> QPointF:
        pos = self.view.mapFromGlobal(QCursor.pos())
        if self.view.viewport().rect().contains(pos):
            return self.view.mapToScene(pos)
        return self.view.mapToScene(self.view.viewport().rect().center())

    def add_op(self: MainWindow, op: str, pos: QPointF | None = None,
               feed: bool = True) -> str | None:
        """Add ``op`` at ``pos``; without a position, fed by and placed after the selection."""
        selected = self.scene.selected_node_ids()
        src = selected[0] if feed and len(selected) == 1 else None
        if pos is None:
            if src:
                pos = self._free_spot_after(src)
            else:
                pos = self.view.mapToScene(self.view.viewport().rect().center())
        command, node_id = edits.add_op(self.graph, op, self.scene.snapped(pos.x(), pos.y()),
                                        src)
        if self.editor.execute(command):
            self.scene.select_nodes([node_id])
            return node_id
        return None

    def _free_spot_after(self: MainWindow, src: str) -> QPointF:
        """Below (or right of) ``src``, sliding sideways until no card is in the way."""
        x, y = self.graph.pos(src)
        tb = self.scene.direction == "TB"
        cx, cy = (x, y + 120) if tb else (x + 240, y)
        taken = [self.graph.pos(n) for n in self.graph.nodes()]
        for _ in range(50):
            if all(abs(px - cx) > 190 or abs(py - cy) > 90 for px, py in taken):
                break
            cx, cy = (cx + 220, cy) if tb else (cx, cy + 110)
        return QPointF(cx, cy)

    def splice_op(self: MainWindow, op: str, dst: str, port: str) -> str | None:
        """Drop on a wire: the new layer goes between its two ends (one undo step)."""
        made = edits.splice(self.graph, op, dst, port)
        if made is None:
            return self.add_op(op, self._drop_point(), feed=False)
        command, node_id = made
        if self.editor.execute(command):
            self.scene.select_nodes([node_id])
            return node_id
        return None

    def insert_block(self: MainWindow, name: str, pos: QPointF | None = None) -> list[str]:
        """Insert a zoo block fed by the selected node (sized to its output) as one step."""
        selected = self.scene.selected_node_ids()
        src = selected[0] if len(selected) == 1 else None
        info = self.analysis.report.nodes.get(src) if src else None
        try:
            from graphbuilder.zoo.blocks import get_block, make_block
            spec = get_block(name)
            shape = list(info.feature_shape) if info and info.feature_shape \
                else list(spec.example_shape)
            block = make_block(name, shape)
        except Exception as exc:  # wrong input rank for this block, or zoo missing
            self.statusBar().showMessage(f"⚠ Cannot insert {name} here: {exc}", 8000)
            return []
        at = pos or (self._free_spot_after(src) if src else self._drop_point())
        command, ids = edits.insert_block(self.graph, block, (at.x(), at.y()), src, name,
                                          spec.title)
        if self.editor.execute(command):
            self.scene.select_nodes(ids)
            return ids
        return []

    def palette_activated(self: MainWindow, kind: str, name: str) -> None:
        if kind == "op":
            self.add_op(name)
        else:
            self.insert_block(name)

    def delete_selection(self: MainWindow) -> None:
        command = edits.delete(self.graph, self.scene.selected_node_ids(),
                               [e.key for e in self.scene.selected_edges()])
        if command is not None:
            self.editor.execute(command)

    def select_all(self: MainWindow) -> None:
        for item in [*self.scene.nodes.values(), *self.scene.collapsed.values()]:
            if item.isVisible():
                item.setSelected(True)

    def copy(self: MainWindow) -> bool:
        ids = self.scene.selected_node_ids()
        if not ids:
            return False
        text = dumps_graph(edits.subgraph(self.graph, ids))
        mime = QMimeData()
        mime.setData(GRAPH_MIME, text.encode())
        mime.setText(text)
        _release_clipboard_at_exit()
        QApplication.clipboard().setMimeData(mime)
        self.statusBar().showMessage(f"Copied {len(ids)} nodes", 3000)
        return True

    def cut(self: MainWindow) -> None:
        if self.copy():
            self.delete_selection()

    def paste(self: MainWindow, at: QPointF | None = None) -> list[str]:
        mime = QApplication.clipboard().mimeData()
        if mime is None:
            return []
        text = (bytes(mime.data(GRAPH_MIME).data()).decode() if mime.hasFormat(GRAPH_MIME)
                else mime.text())
        try:
            json.loads(text)
            sub = loads_graph(text, "clipboard")
        except (ValueError, GraphFormatError):
            self.statusBar().showMessage("Nothing to paste: the clipboard holds no layers", 4000)
            return []
        point = at or self._drop_point()
        command, ids = edits.paste(self.graph, sub, (point.x(), point.y()))
        if command is not None and self.editor.execute(command):
            self.scene.select_nodes(ids)
            return ids
        return []

    def duplicate(self: MainWindow) -> None:
        ids = self.scene.selected_node_ids()
        if ids:
            command, new = edits.paste(self.graph, edits.subgraph(self.graph, ids), None,
                                       "Duplicate")
            if command is not None and self.editor.execute(command):
                self.scene.select_nodes(new)

    def auto_layout(self: MainWindow, direction: str) -> None:
        if self.editor.execute(edits.auto_layout(self.graph, direction)):
            self.scene.set_direction(direction)
            QSettings().setValue("canvas/direction", direction)
            self.view.zoom_to_fit()

    def align(self: MainWindow, axis: str) -> None:
        command = edits.align(self.graph, self.scene.selected_node_ids(), axis)
        if command is not None:
            self.editor.execute(command)

    def group_selection(self: MainWindow) -> None:
        ids = self.scene.selected_node_ids()
        label, ok = QInputDialog.getText(self, "Group selection", "Group label:",
                                         text="Block") if len(ids) > 1 else ("", False)
        command = edits.group(self.graph, ids, label.strip() or "Block") if ok else None
        if command is not None:
            self.editor.execute(command)

    def ungroup_selection(self: MainWindow) -> None:
        command = edits.ungroup(self.graph, self.scene.selected_node_ids())
        if command is not None:
            self.editor.execute(command)

    def set_all_groups(self: MainWindow, collapsed: bool) -> None:
        command = edits.set_all_collapsed(self.graph, collapsed, self.scene.direction)
        if command is not None:
            self.editor.execute(command)

