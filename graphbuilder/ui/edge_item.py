"""An edge: a smooth curve from an output port to an input port, labelled with the
tensor shape that flows along it (the most requested feature of graph viewers)."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QPainter, QPainterPath, QPainterPathStroker, QPen
from PySide6.QtWidgets import QGraphicsItem, QGraphicsPathItem, QStyleOptionGraphicsItem, QWidget

from graphbuilder.ui.theme import Theme, ui_font

LONG_EDGE = 260.0  # edges longer than this skip layers: bow them out of the column


def bow_for(p1: QPointF, p2: QPointF, direction: str) -> float:
    """Sideways offset for an edge that skips layers (residual, U-Net skip), else 0.

    Layered layouts stack a network in one column, so a skip connection would run
    straight behind the cards it skips; routing it beside the column keeps it visible.
    Longer skips go further out, so nested skips (U-Net) do not overlap.
    """
    span = (p2.y() - p1.y()) if direction == "TB" else (p2.x() - p1.x())
    side = abs(p2.x() - p1.x()) if direction == "TB" else abs(p2.y() - p1.y())
    if span < LONG_EDGE or side > 60:  # a side lane already keeps it clear
        return 0.0
    return 125.0 + min(220.0, span * 0.02)


def curve(p1: QPointF, p2: QPointF, direction: str, bow: float = 0.0) -> QPainterPath:
    """A cubic leaving ``p1`` and entering ``p2`` along the flow direction; with a
    ``bow``, a bracket: out to the side, along the column, back in at the end."""
    path = QPainterPath(p1)
    tb = direction == "TB"

    def pt(along: float, across: float, base: QPointF) -> QPointF:
        return QPointF(base.x() + across, base.y() + along) if tb else \
            QPointF(base.x() + along, base.y() + across)

    if bow:  # one straight run beside the column, whatever the two ports' offsets
        a1, a2 = (p1.x(), p2.x()) if tb else (p1.y(), p2.y())
        out1, out2 = max(a1, a2) + bow - a1, max(a1, a2) + bow - a2
        path.cubicTo(pt(45, 0, p1), pt(25, out1, p1), pt(80, out1, p1))
        path.lineTo(pt(-80, out2, p2))
        path.cubicTo(pt(-25, out2, p2), pt(-45, 0, p2), p2)
        return path
    if tb:
        d = max(30.0, abs(p2.y() - p1.y()) * 0.5)
        path.cubicTo(QPointF(p1.x(), p1.y() + d), QPointF(p2.x(), p2.y() - d), p2)
    else:
        d = max(30.0, abs(p2.x() - p1.x()) * 0.5)
        path.cubicTo(QPointF(p1.x() + d, p1.y()), QPointF(p2.x() - d, p2.y()), p2)
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
        bow = bow_for(p1, p2, direction)
        path = curve(p1, p2, direction, bow)
        self.setPath(path)
        mid = path.pointAtPercent(0.5)
        self._mid = mid
        # beside the line, not on it: the centre is where ports and group titles sit
        if bow and direction == "TB":  # bowed out right: label further out
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
