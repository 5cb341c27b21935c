"""A node on the canvas: a card with the op, its key parameters, shape and size.

The item holds no model state: the scene pushes what it shows (``set_info``) after
each shape inference, and positions come from the graph. Painting is level-of-detail
aware so a ResNet-152 zoomed out stays smooth (only coloured boxes are drawn).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import (
    QGraphicsEllipseItem,
    QGraphicsItem,
    QStyleOptionGraphicsItem,
    QWidget,
)

from graphbuilder.core.registry import OpSpec, get_op, has_op
from graphbuilder.ui.labels import fmt_count, key_param_text
from graphbuilder.ui.theme import Theme, category_color, ui_font

if TYPE_CHECKING:
    from graphbuilder.ui.scene import GraphScene

NODE_W, NODE_H, HEADER_H, PORT_R = 176.0, 74.0, 22.0, 5.5


class PortItem(QGraphicsEllipseItem):
    """An input or output port; dragging from it starts a connection."""

    def __init__(self, node: NodeItem, name: str, is_output: bool, label: str = "") -> None:
        super().__init__(-PORT_R, -PORT_R, 2 * PORT_R, 2 * PORT_R, node)
        self.node = node
        self.name = name
        self.is_output = is_output
        self.highlighted = False
        self.setAcceptHoverEvents(True)
        self.setCursor(Qt.CursorShape.CrossCursor)
        self.setZValue(2)
        kind = "output" if is_output else f"input '{name}'"
        self.setToolTip(f"{node.node_id} — {kind}{': ' + label if label else ''}\n"
                        "Drag to another port to connect")
        self.restyle()

    def restyle(self) -> None:
        theme = self.node.theme
        color = theme.c("valid_target") if self.highlighted else category_color(
            self.node.category)
        self.setBrush(QBrush(color if (self.is_output or self.highlighted)
                             else theme.c("node")))
        self.setPen(QPen(color, 2.0))
        self.setScale(1.35 if self.highlighted else 1.0)

    def hoverEnterEvent(self, event: object) -> None:
        self.setScale(1.5)
        super().hoverEnterEvent(event)  # type: ignore[arg-type]

    def hoverLeaveEvent(self, event: object) -> None:
        self.setScale(1.35 if self.highlighted else 1.0)
        super().hoverLeaveEvent(event)  # type: ignore[arg-type]

    def set_highlighted(self, on: bool) -> None:
        if on != self.highlighted:
            self.highlighted = on
            self.restyle()


class NodeItem(QGraphicsItem):
    """The card for one graph node. ``direction`` is "TB" (ports top/bottom) or "LR"."""

    def __init__(self, node_id: str, op: str, params: dict[str, Any], theme: Theme,
                 direction: str = "TB") -> None:
        super().__init__()
        self.node_id = node_id
        self.theme = theme
        self.direction = direction
        self.op = op
        self.spec: OpSpec | None = get_op(op) if has_op(op) else None
        self.category = self.spec.category if self.spec else "Tensor"
        self.params_text = ""
        self.shape_text = ""
        self.count_text = ""
        self.problem: str | None = None
        self.severity = ""
        self.in_ports: dict[str, PortItem] = {}
        self.out_port: PortItem | None = None
        self._info_key: tuple = ()
        self.setFlags(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable
                      | QGraphicsItem.GraphicsItemFlag.ItemIsMovable)
        self.setAcceptHoverEvents(True)
        self.setZValue(1)
        self.set_params(params)

    # ------------------------------------------------------------------ content
    def set_params(self, params: dict[str, Any]) -> None:
        self.params_text = key_param_text(self.spec.key_params, params) if self.spec else ""
        self._update_tooltip()
        self.update()

    def set_ports(self, inputs: list[tuple[str, str]], has_output: bool) -> None:
        """(name, doc) for each input port to show; rebuilt only when the list changes."""
        names = [n for n, _ in inputs]
        if names != list(self.in_ports) or has_output != (self.out_port is not None):
            for port in [*self.in_ports.values(), self.out_port]:
                if port is not None and port.scene() is not None:
                    port.scene().removeItem(port)
            self.in_ports = {n: PortItem(self, n, False, doc) for n, doc in inputs}
            self.out_port = PortItem(self, "out", True) if has_output else None
        self.layout_ports()

    def layout_ports(self) -> None:
        n = len(self.in_ports)
        for i, port in enumerate(self.in_ports.values()):
            t = (i + 1) / (n + 1)
            if self.direction == "TB":
                port.setPos(-NODE_W / 2 + NODE_W * t, -NODE_H / 2)
            else:
                port.setPos(-NODE_W / 2, -NODE_H / 2 + NODE_H * t)
        if self.out_port is not None:
            self.out_port.setPos(QPointF(0, NODE_H / 2) if self.direction == "TB"
                                 else QPointF(NODE_W / 2, 0))

    def set_info(self, shape_text: str, params: int, problem: str | None,
                 severity: str = "") -> bool:
        """Show inference results; returns False (and repaints nothing) when unchanged."""
        key = (shape_text, params, problem, severity)
        if key == self._info_key:
            return False
        self._info_key = key
        self.shape_text = shape_text
        self.count_text = fmt_count(params) if params else ""
        self.problem, self.severity = problem, severity
        if self.out_port is not None:
            self.out_port.setToolTip(f"{self.node_id} — output {shape_text or '(shape unknown)'}"
                                     "\nDrag to an input port to connect")
        self._update_tooltip()
        self.update()
        return True

    def _update_tooltip(self) -> None:
        lines = [f"<b>{self.node_id}</b> — {self.op}"]
        if self.spec:
            lines.append(f"<i>{self.spec.doc}</i>")
        if self.shape_text:
            lines.append(f"output: {self.shape_text}")
        if self.problem:
            lines.append(f"<span style='color:{self.theme.error}'>⚠ {self.problem}</span>")
        self.setToolTip("<br>".join(lines))

    def set_theme(self, theme: Theme) -> None:
        self.theme = theme
        for port in [*self.in_ports.values(), self.out_port]:
            if port is not None:
                port.restyle()
        self.update()

    # ------------------------------------------------------------------ geometry
    def boundingRect(self) -> QRectF:
        return QRectF(-NODE_W / 2 - 4, -NODE_H / 2 - 4, NODE_W + 8, NODE_H + 8)

    def shape(self) -> QPainterPath:
        path = QPainterPath()
        path.addRoundedRect(QRectF(-NODE_W / 2, -NODE_H / 2, NODE_W, NODE_H), 7, 7)
        return path

    def mouseDoubleClickEvent(self, event: Any) -> None:
        scene: GraphScene | None = self.scene()  # type: ignore[assignment]
        if scene is not None:
            scene.node_activated.emit(self.node_id)
        super().mouseDoubleClickEvent(event)

    # ------------------------------------------------------------------ painting
    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem,
              widget: QWidget | None = None) -> None:
        t = self.theme
        rect = QRectF(-NODE_W / 2, -NODE_H / 2, NODE_W, NODE_H)
        color = category_color(self.category)
        lod = option.levelOfDetailFromTransform(painter.worldTransform())
        selected = self.isSelected()
        border = (t.c("selection") if selected else t.c("error") if self.severity == "error"
                  else t.c("warning") if self.severity == "warning" else t.c("node_border"))
        if lod < 0.35:  # far away: a coloured block is all one can see
            painter.setPen(QPen(border, 4 if selected or self.problem else 1))
            painter.setBrush(color)
            painter.drawRect(rect)
            return
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QPen(border, 2.4 if selected or self.severity == "error" else 1.2))
        painter.setBrush(t.c("node"))
        painter.drawRoundedRect(rect, 7, 7)
        painter.save()
        painter.setClipPath(self.shape())
        painter.fillRect(QRectF(rect.left(), rect.top(), rect.width(), HEADER_H), color)
        painter.restore()
        pad = 9.0
        painter.setPen(QColor("#FFFFFF"))
        painter.setFont(ui_font(8.5, bold=True))
        head = QRectF(rect.left() + pad, rect.top(), rect.width() - 2 * pad, HEADER_H)
        painter.drawText(head, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft,
                         self.op)
        if self.count_text:
            painter.setFont(ui_font(7.5))
            painter.drawText(head, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight,
                             self.count_text)
        body = QRectF(rect.left() + pad, rect.top() + HEADER_H + 3, rect.width() - 2 * pad, 16)
        painter.setPen(t.c("text"))
        painter.setFont(ui_font(8.5, bold=True))
        fm = painter.fontMetrics()
        painter.drawText(body, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                         fm.elidedText(self.node_id, Qt.TextElideMode.ElideMiddle,
                                       int(body.width())))
        if self.params_text:
            painter.setPen(t.c("subtext"))
            painter.setFont(ui_font(7.8))
            painter.drawText(body.translated(0, 15),
                             Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                             painter.fontMetrics().elidedText(
                                 self.params_text, Qt.TextElideMode.ElideRight,
                                 int(body.width())))
        self._paint_shape(painter, rect, pad)

    def _paint_shape(self, painter: QPainter, rect: QRectF, pad: float) -> None:
        t = self.theme
        line = QRectF(rect.left() + pad, rect.bottom() - 19, rect.width() - 2 * pad, 16)
        if self.severity == "error":
            painter.setPen(t.c("error"))
            painter.setFont(ui_font(7.8, bold=True))
            painter.drawText(line, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                             painter.fontMetrics().elidedText(
                                 "⚠ " + (self.problem or ""), Qt.TextElideMode.ElideRight,
                                 int(line.width())))
            return
        painter.setPen(t.c("subtext"))
        painter.setFont(ui_font(7.8, mono=True))
        text = f"→ {self.shape_text}" if self.shape_text else ""
        painter.drawText(line, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                         text)
        if self.severity == "warning":
            painter.setPen(t.c("warning"))
            painter.setFont(ui_font(8.5, bold=True))
            painter.drawText(line, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                             "⚠")
