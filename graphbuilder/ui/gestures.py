"""Mouse gestures on the canvas, mixed into :class:`~graphbuilder.ui.scene.GraphScene`.

Gestures end as core commands: a port drag becomes a ``ConnectCommand`` (only the
highlighted, valid targets can take it), a finished item drag one ``MoveNodesCommand``
(snapped to the grid), a palette drop a request to the window, a right-click a request
for the context menu.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QPointF, Qt
from PySide6.QtWidgets import QGraphicsSceneMouseEvent

from graphbuilder.core.commands import MoveNodesCommand
from graphbuilder.core.registry import get_op, has_op
from graphbuilder.ui.connect_drag import ConnectionDrag
from graphbuilder.ui.edge_item import EdgeItem
from graphbuilder.ui.edits import group_anchor
from graphbuilder.ui.group_item import CollapsedGroupItem
from graphbuilder.ui.node_item import NodeItem, PortItem

if TYPE_CHECKING:
    from graphbuilder.ui.scene import GraphScene

OP_MIME = "application/x-graphbuilder-op"
BLOCK_MIME = "application/x-graphbuilder-block"


class GestureMixin:
    # ------------------------------------------------------------------ gestures
    def mousePressEvent(self: GraphScene, event: QGraphicsSceneMouseEvent) -> None:
        item = self.itemAt(event.scenePos(), self.views()[0].transform()) if self.views() \
            else None
        if isinstance(item, PortItem) and not self.locked and \
                event.button() == Qt.MouseButton.LeftButton:
            self._drag = ConnectionDrag(self, item)
            self._drag.move(event.scenePos())
            event.accept()
            return
        super().mousePressEvent(event)

    def mouseMoveEvent(self: GraphScene, event: QGraphicsSceneMouseEvent) -> None:
        if self._drag is not None:
            self._drag.move(event.scenePos())
            event.accept()
            return
        super().mouseMoveEvent(event)
        if event.buttons() & Qt.MouseButton.LeftButton and self.mouseGrabberItem() is not None:
            self._follow_dragged_items()

    def _follow_dragged_items(self: GraphScene) -> None:
        """Keep edges and frames attached while items are dragged (no itemChange:
        PySide's itemChange round-trip of ``None`` values corrupts refcounts)."""
        for item in self.selectedItems():
            if isinstance(item, NodeItem):
                self.node_item_moved(item)
            elif isinstance(item, CollapsedGroupItem):
                self.group_item_moved(item)

    def mouseReleaseEvent(self: GraphScene, event: QGraphicsSceneMouseEvent) -> None:
        if self._drag is not None:
            drag, self._drag = self._drag, None
            command = drag.finish(event.scenePos())
            if command is not None:
                self.editor.execute(command)
            event.accept()
            return
        super().mouseReleaseEvent(event)
        self.commit_moves()

    def snapped(self: GraphScene, x: float, y: float) -> tuple[float, float]:
        if not self.snap:
            return (round(x, 2), round(y, 2))
        return (round(x / self.grid) * self.grid, round(y / self.grid) * self.grid)

    def commit_moves(self: GraphScene) -> None:
        """Turn dragged items into one undoable MoveNodesCommand."""
        moves: dict[str, tuple[float, float]] = {}
        for nid, item in self.nodes.items():
            if item.isVisible() and (item.x(), item.y()) != self.graph.pos(nid):
                moves[nid] = self.snapped(item.x(), item.y())
        for box in self.collapsed.values():
            cx, cy = group_anchor(self.graph, box.members, self.direction)
            dx, dy = box.x() - cx, box.y() - cy
            if abs(dx) > 0.5 or abs(dy) > 0.5:
                dx, dy = self.snapped(dx, dy)
                for n in box.members:
                    x, y = self.graph.pos(n)
                    moves[n] = (x + dx, y + dy)
        if not moves:
            return
        if not self.editor.execute(MoveNodesCommand(moves, "Move")):
            for nid, item in self.nodes.items():
                item.setPos(*self.graph.pos(nid))
        self._groups_timer.start()

    def keyPressEvent(self: GraphScene, event: Any) -> None:
        if self._drag is not None and event.key() == Qt.Key.Key_Escape:
            self._drag.finish(QPointF(1e9, 1e9))  # released nowhere: cancelled
            self._drag = None
            event.accept()
            return
        super().keyPressEvent(event)

    def nudge(self: GraphScene, dx: float, dy: float) -> None:
        """Move the selected nodes by (dx, dy) as one undo step (arrow keys)."""
        ids = self.selected_node_ids()
        if ids:
            moves = {n: (self.graph.pos(n)[0] + dx, self.graph.pos(n)[1] + dy) for n in ids}
            self.editor.execute(MoveNodesCommand(moves, "Nudge"))

    def contextMenuEvent(self: GraphScene, event: Any) -> None:
        item = self.itemAt(event.scenePos(), self.views()[0].transform()) if self.views() \
            else None
        while item is not None and item.parentItem() is not None:
            item = item.parentItem()
        node_id = None
        if isinstance(item, NodeItem):
            node_id = item.node_id
        elif isinstance(item, CollapsedGroupItem):
            node_id = item.members[0]
        if node_id is not None and node_id not in self.selected_node_ids():
            self.select_nodes([node_id])
        self.context_requested.emit(node_id, event.screenPos())
        event.accept()

    # ------------------------------------------------------------------ drops
    def dragEnterEvent(self: GraphScene, event: Any) -> None:
        mime = event.mimeData()
        event.setAccepted(mime.hasFormat(OP_MIME) or mime.hasFormat(BLOCK_MIME))

    def dragMoveEvent(self: GraphScene, event: Any) -> None:
        self.dragEnterEvent(event)

    def edge_at(self: GraphScene, pos: Any) -> EdgeItem | None:
        """The wire under ``pos`` (within a few pixels), if no card is on top of it."""
        for item in self.items(pos):
            if isinstance(item, EdgeItem) and item.isVisible():
                return item
            if isinstance(item, NodeItem | CollapsedGroupItem):
                return None
        return None

    def dropEvent(self: GraphScene, event: Any) -> None:
        mime = event.mimeData()
        if mime.hasFormat(OP_MIME):
            name = bytes(mime.data(OP_MIME).data()).decode()
            edge = self.edge_at(event.scenePos())
            if has_op(name) and edge is not None:  # dropped on a wire: splice it in
                self.op_dropped_on_edge.emit(get_op(name).name, edge.dst, edge.port)
            elif has_op(name):
                self.op_dropped.emit(get_op(name).name, event.scenePos())
        elif mime.hasFormat(BLOCK_MIME):
            self.block_dropped.emit(bytes(mime.data(BLOCK_MIME).data()).decode(),
                                   event.scenePos())
        event.acceptProposedAction()
