"""Groups (a residual block, an encoder stage) on the canvas.

An expanded group is a labelled frame behind its members with a collapse button;
a collapsed group is one box standing in for all of them, with the shapes going in
and out. Collapse state lives in the graph (``Group.collapsed``) and changes through
an undoable ``SetGroupsCommand`` issued by the scene.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPen
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem, QWidget

from graphbuilder.ui.labels import fmt_count
from graphbuilder.ui.node_item import NODE_H, NODE_W
from graphbuilder.ui.theme import Theme, category_color, ui_font

if TYPE_CHECKING:
    from graphbuilder.ui.scene import GraphScene

BUTTON = 16.0


class GroupFrame(QGraphicsItem):
    """The frame drawn around the members of an expanded group."""

    def __init__(self, group_id: str, label: str, theme: Theme) -> None:
        super().__init__()
        self.group_id, self.label, self.theme = group_id, label, theme
        self.rect = QRectF()
        self.setZValue(-1)
        self.setToolTip(f"{label} ({group_id}) — click ▾ to collapse into one node")

    def set_rect(self, rect: QRectF) -> None:
        self.prepareGeometryChange()
        self.rect = rect.adjusted(-14, -24, 14, 8)

    def boundingRect(self) -> QRectF:
        return self.rect.adjusted(-2, -2, 2, 2)

    def button_rect(self) -> QRectF:
        return QRectF(self.rect.left() + 5, self.rect.top() + 4, BUTTON, BUTTON)

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem,
              widget: QWidget | None = None) -> None:
        t = self.theme
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QPen(t.c("group_border"), 1.2, Qt.PenStyle.DashLine))
        painter.setBrush(t.c("group_fill"))
        painter.drawRoundedRect(self.rect, 10, 10)
        painter.setPen(t.c("subtext"))
        painter.setFont(ui_font(8, bold=True))
        painter.drawText(self.button_rect(), Qt.AlignmentFlag.AlignCenter, "▾")
        # title top-right: edge shape labels sit left of the centre line
        painter.setFont(ui_font(7.6, bold=True))
        title = QRectF(self.rect.center().x() + 8, self.rect.top() + 3,
                       self.rect.width() / 2 - 14, 18)
        painter.drawText(title, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight,
                         painter.fontMetrics().elidedText(self.label or self.group_id,
                                                          Qt.TextElideMode.ElideRight,
                                                          int(title.width())))

    def mousePressEvent(self, event: Any) -> None:
        if self.button_rect().contains(event.pos()):
            scene: GraphScene = self.scene()  # type: ignore[assignment]
            scene.set_group_collapsed(self.group_id, True)
            event.accept()
            return
        event.ignore()


class CollapsedGroupItem(QGraphicsItem):
    """One box for a whole group; double-click (or ▸) opens it for editing."""

    def __init__(self, group_id: str, label: str, members: list[str], theme: Theme,
                 direction: str) -> None:
        super().__init__()
        self.group_id, self.label, self.members = group_id, label, members
        self.theme, self.direction = theme, direction
        self.in_text = self.out_text = ""
        self.params = 0
        self.problem = False
        self.setFlags(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable
                      | QGraphicsItem.GraphicsItemFlag.ItemIsMovable)
        self.setZValue(1)
        self.setToolTip(f"{label} ({group_id}): {len(members)} layers\n"
                        "Double-click to expand and edit inside")

    def set_info(self, in_text: str, out_text: str, params: int, problem: bool) -> None:
        self.in_text, self.out_text, self.params, self.problem = (in_text, out_text, params,
                                                                  problem)
        self.update()

    def in_anchor(self) -> QPointF:
        return self.mapToScene(QPointF(0, -NODE_H / 2) if self.direction == "TB"
                               else QPointF(-NODE_W / 2, 0))

    def out_anchor(self) -> QPointF:
        return self.mapToScene(QPointF(0, NODE_H / 2) if self.direction == "TB"
                               else QPointF(NODE_W / 2, 0))

    def boundingRect(self) -> QRectF:
        return QRectF(-NODE_W / 2 - 6, -NODE_H / 2 - 6, NODE_W + 12, NODE_H + 12)

    def mouseDoubleClickEvent(self, event: Any) -> None:
        scene: GraphScene = self.scene()  # type: ignore[assignment]
        scene.set_group_collapsed(self.group_id, False)
        event.accept()

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem,
              widget: QWidget | None = None) -> None:
        t = self.theme
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        rect = QRectF(-NODE_W / 2, -NODE_H / 2, NODE_W, NODE_H)
        # a second card peeking out behind: "there is more inside"
        painter.setPen(QPen(t.c("node_border"), 1))
        painter.setBrush(t.c("group_fill"))
        painter.drawRoundedRect(rect.translated(4, 4), 7, 7)
        border = (t.c("selection") if self.isSelected() else t.c("error") if self.problem
                  else t.c("group_border"))
        painter.setPen(QPen(border, 2.2 if self.isSelected() or self.problem else 1.4))
        painter.setBrush(t.c("node"))
        painter.drawRoundedRect(rect, 7, 7)
        painter.fillRect(QRectF(rect.left(), rect.top() + 6, 5, rect.height() - 12),
                         category_color("Blocks"))
        painter.setPen(t.c("text"))
        painter.setFont(ui_font(8.8, bold=True))
        title = QRectF(rect.left() + 12, rect.top() + 4, rect.width() - 20, 18)
        painter.drawText(title, Qt.AlignmentFlag.AlignVCenter, painter.fontMetrics().elidedText(
            f"▸ {self.label or self.group_id}", Qt.TextElideMode.ElideRight, int(title.width())))
        painter.setPen(t.c("subtext"))
        painter.setFont(ui_font(7.8))
        count = f" · {fmt_count(self.params)} params" if self.params else ""
        painter.drawText(QRectF(rect.left() + 12, rect.top() + 22, rect.width() - 20, 16),
                         Qt.AlignmentFlag.AlignVCenter, f"{len(self.members)} layers{count}")
        painter.setFont(ui_font(7.8, mono=True))
        painter.setPen(t.c("error") if self.problem else QColor(t.subtext))
        shape = f"{self.in_text} → {self.out_text}" if self.out_text else ""
        painter.drawText(QRectF(rect.left() + 12, rect.bottom() - 20, rect.width() - 20, 16),
                         Qt.AlignmentFlag.AlignVCenter,
                         painter.fontMetrics().elidedText(shape, Qt.TextElideMode.ElideLeft,
                                                          int(rect.width() - 20)))
