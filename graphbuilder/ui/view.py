"""The canvas view: zoom and pan with mouse and keyboard, rubber-band selection,
zoom-to-fit, and a banner while editing is locked (e.g. during training)."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QKeyEvent, QMouseEvent, QPainter, QWheelEvent
from PySide6.QtWidgets import QGraphicsView, QLabel, QWidget

from graphbuilder.ui.scene import GraphScene

MIN_ZOOM, MAX_ZOOM = 0.05, 3.0
READABLE = 0.55  # below this zoom node text is too small to read


class EditorView(QGraphicsView):
    def __init__(self, scene: GraphScene, parent: QWidget | None = None) -> None:
        super().__init__(scene, parent)
        self.setRenderHints(QPainter.RenderHint.Antialiasing
                            | QPainter.RenderHint.TextAntialiasing)
        self.setDragMode(QGraphicsView.DragMode.RubberBandDrag)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.SmartViewportUpdate)
        self.setAcceptDrops(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.lock_text = ""
        self._banner = QLabel(self.viewport())
        self._banner.setVisible(False)
        self._banner.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self._pan_from: QPointF | None = None
        self.minimap: QGraphicsView | None = None

    def graph_scene(self) -> GraphScene:
        return self.scene()  # type: ignore[return-value]

    # ------------------------------------------------------------------ zoom
    def zoom(self) -> float:
        return self.transform().m11()

    def zoom_by(self, factor: float) -> None:
        new = min(MAX_ZOOM, max(MIN_ZOOM, self.zoom() * factor))
        f = new / self.zoom()
        self.scale(f, f)

    def zoom_to_fit(self) -> None:
        """Fit the whole design; if that would make text unreadable, show its start."""
        rect = self._content_rect()
        if rect.isEmpty():
            return
        self.fitInView(rect.adjusted(-40, -40, 40, 40), Qt.AspectRatioMode.KeepAspectRatio)
        if self.zoom() > 1.0:  # fitting a tiny graph should not blow it up
            self.zoom_by(1.0 / self.zoom())
        elif self.zoom() < READABLE:
            self.zoom_by(READABLE / self.zoom())
            vw = self.viewport().width() / self.zoom()
            vh = self.viewport().height() / self.zoom()
            if self.graph_scene().direction == "TB":
                self.centerOn(rect.center().x(), rect.top() - 30 + vh / 2)
            else:
                self.centerOn(rect.left() - 30 + vw / 2, rect.center().y())

    def _content_rect(self) -> QRectF:
        rect = QRectF()
        for item in [*self.graph_scene().nodes.values(), *self.graph_scene().collapsed.values()]:
            if item.isVisible():
                rect = rect.united(item.sceneBoundingRect())
        return rect

    def reset_zoom(self) -> None:
        self.zoom_by(1.0 / self.zoom())

    def center_on_node(self, node_id: str) -> None:
        item = self.graph_scene().item_for(node_id)
        if item is not None:
            if self.zoom() < 0.6:
                self.zoom_by(0.9 / self.zoom())
            self.centerOn(item)

    def wheelEvent(self, event: QWheelEvent) -> None:
        if event.modifiers() & Qt.KeyboardModifier.ShiftModifier:
            super().wheelEvent(event)  # shift+wheel scrolls
            return
        delta = event.angleDelta().y()
        if delta:
            self.zoom_by(1.0015 ** delta)
        event.accept()

    # ------------------------------------------------------------------ pan
    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.MiddleButton:
            self._pan_from = event.position()
            self.setCursor(Qt.CursorShape.ClosedHandCursor)
            event.accept()
            return
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._pan_from is not None:
            d = event.position() - self._pan_from
            self._pan_from = event.position()
            self.horizontalScrollBar().setValue(int(self.horizontalScrollBar().value() - d.x()))
            self.verticalScrollBar().setValue(int(self.verticalScrollBar().value() - d.y()))
            event.accept()
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if self._pan_from is not None and event.button() == Qt.MouseButton.MiddleButton:
            self._pan_from = None
            self.unsetCursor()
            event.accept()
            return
        super().mouseReleaseEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        step = 60
        keys = {Qt.Key.Key_Left: (-step, 0), Qt.Key.Key_Right: (step, 0),
                Qt.Key.Key_Up: (0, -step), Qt.Key.Key_Down: (0, step)}
        if event.key() in keys:
            dx, dy = keys[event.key()]
            if self.graph_scene().selectedItems():  # arrows nudge the selection
                f = self.graph_scene().grid / step
                self.graph_scene().nudge(dx * f, dy * f)
            else:
                self.horizontalScrollBar().setValue(self.horizontalScrollBar().value() + dx)
                self.verticalScrollBar().setValue(self.verticalScrollBar().value() + dy)
            return
        if event.key() in (Qt.Key.Key_Plus, Qt.Key.Key_Equal):
            self.zoom_by(1.2)
            return
        if event.key() == Qt.Key.Key_Minus:
            self.zoom_by(1 / 1.2)
            return
        super().keyPressEvent(event)

    # ------------------------------------------------------------------ overlay
    def set_lock_text(self, text: str) -> None:
        """Show (or hide, for "") a banner over the canvas saying why editing is locked."""
        self.lock_text = text
        theme = self.graph_scene().theme
        self._banner.setStyleSheet(
            f"background: {theme.warning}; color: black; border-radius: 6px;"
            " padding: 6px 12px; font-weight: bold;")
        self._banner.setText(f"⊘  {text}")
        self._banner.setVisible(bool(text))
        self._place_banner()

    def _place_banner(self) -> None:
        self._banner.adjustSize()
        w = min(self.viewport().width() - 24, max(self._banner.width(), 200))
        self._banner.setGeometry(12, 10, w, self._banner.height())

    def resizeEvent(self, event: object) -> None:
        super().resizeEvent(event)  # type: ignore[arg-type]
        self._place_banner()
        if self.minimap is not None:
            self.minimap.place()

    def scrollContentsBy(self, dx: int, dy: int) -> None:
        # QWidget.scroll() drags child widgets along: put the overlays back in place
        super().scrollContentsBy(dx, dy)
        self._place_banner()
        if self.minimap is not None:
            self.minimap.place()

    def set_minimap(self, on: bool) -> None:
        if on and self.minimap is None:
            from graphbuilder.ui.minimap import Minimap

            self.minimap = Minimap(self)
            self.minimap.place()
            self.minimap.fit()
        if self.minimap is not None:
            self.minimap.setVisible(on)
