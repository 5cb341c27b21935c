"""An edge: a smooth curve from an output port to an input port, labelled with the
tensor shape that flows along it (the most requested feature of graph viewers)."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QPainter, QPainterPath, QPainterPathStroker, QPen
from PySide6.QtWidgets import QGraphicsItem, QGraphicsPathItem, QStyleOptionGraphicsItem, QWidget

from graphbuilder.core.layout import edge_lane, edge_route
from graphbuilder.ui.theme import Theme, ui_font


def curve(p1: QPointF, p2: QPointF, direction: str) -> QPainterPath:
    """One cubic leaving ``p1`` and entering ``p2`` along the flow direction (the rubber
    band while dragging a new connection)."""
    path = QPainterPath(p1)
    if direction == "TB":
        d = max(30.0, abs(p2.y() - p1.y()) * 0.5)
        path.cubicTo(QPointF(p1.x(), p1.y() + d), QPointF(p2.x(), p2.y() - d), p2)
    else:
        d = max(30.0, abs(p2.x() - p1.x()) * 0.5)
        path.cubicTo(QPointF(p1.x() + d, p1.y()), QPointF(p2.x() - d, p2.y()), p2)
    return path


def edge_path(p1: QPointF, p2: QPointF, direction: str) -> QPainterPath:
    """The edge from output port ``p1`` to input port ``p2``: one cubic across the gap
    between two rows, or, for an edge that skips rows, a run in its own lane (beside
    the column for a skip connection, down the source's lane for a side branch) that
    turns in and out within the gaps. The geometry is :func:`core.layout.edge_route`,
    which the auto-layout keeps clear of every card."""
    segs = edge_route((p1.x(), p1.y()), (p2.x(), p2.y()), direction)
    path = QPainterPath(p1)
    for start, c1, c2, end in segs:
        if c1 == start and c2 == end:  # a straight run
            path.lineTo(QPointF(*end))
        else:
            path.cubicTo(QPointF(*c1), QPointF(*c2), QPointF(*end))
    return path


class EdgeItem(QGraphicsPathItem):
    """``src`` -> ``dst``.``port``; the scene positions it via :meth:`set_ends`."""

    def __init__(self, src: str, dst: str, port: str, theme: Theme) -> None:
        super().__init__()
        self.src, self.dst, self.port = src, dst, port
        self.theme = theme
        self.label = ""
        self.bad = False
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable)
        self.setZValue(0)
        self._label_rect = QRectF()
        self._mid = QPointF()
        self.setToolTip(f"{src} → {dst}.{port}")

    @property
    def key(self) -> tuple[str, str]:
        return (self.dst, self.port)

    def set_ends(self, p1: QPointF, p2: QPointF, direction: str) -> None:
        self.prepareGeometryChange()
        lane = edge_lane((p1.x(), p1.y()), (p2.x(), p2.y()), direction)
        out = 0.0 if lane is None else lane - (p1.x() if direction == "TB" else p1.y())
        path = edge_path(p1, p2, direction)
        self.setPath(path)
        mid = path.pointAtPercent(0.5)
        self._mid = mid
        # beside the line, not on it: the centre is where ports and group titles sit
        if out > 0 and direction == "TB":  # runs right of the column: label further out
            self._label_rect = QRectF(mid.x() + 6, mid.y() - 8, 120, 16)
        elif direction == "TB":
            self._label_rect = QRectF(mid.x() - 126, mid.y() - 8, 120, 16)
        else:
            self._label_rect = QRectF(mid.x() - 60, mid.y() - 22, 120, 16)

    def set_label(self, text: str, bad: bool = False) -> None:
        if (text, bad) != (self.label, self.bad):
            self.label, self.bad = text, bad
            self.setToolTip(f"{self.src} → {self.dst}.{self.port}\n{text}")
            self.update()

    def boundingRect(self) -> QRectF:
        return super().boundingRect().adjusted(-4, -4, 4, 4).united(self._label_rect)

    def shape(self) -> QPainterPath:
        stroker = QPainterPathStroker()
        stroker.setWidth(10)
        return stroker.createStroke(self.path())

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem,
              widget: QWidget | None = None) -> None:
        t = self.theme
        lod = option.levelOfDetailFromTransform(painter.worldTransform())
        color = (t.c("selection") if self.isSelected() else t.c("error") if self.bad
                 else t.c("edge"))
        if lod > 0.35:
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QPen(color, 2.4 if self.isSelected() else 1.6))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawPath(self.path())
        if lod < 0.5 or not self.label:
            return
        painter.setFont(ui_font(7.3, mono=True))
        fm = painter.fontMetrics()
        w = fm.horizontalAdvance(self.label) + 10
        if self._label_rect.right() < self._mid.x():  # TB: right-aligned left of the line
            rect = QRectF(self._label_rect.right() - w, self._label_rect.top(), w, 16)
        else:
            rect = QRectF(self._label_rect.center().x() - w / 2, self._label_rect.top(), w, 16)
        painter.setPen(QPen(color, 0.8))
        painter.setBrush(t.c("edge_label_bg"))
        painter.drawRoundedRect(rect, 8, 8)
        painter.setPen(t.c("error") if self.bad else t.c("subtext"))
        painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, self.label)
