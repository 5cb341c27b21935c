"""A minimap in the canvas corner: the whole design small, with the visible area
outlined; click or drag in it to move there. It is a second view on the same scene
(items draw as plain coloured boxes at that scale, so it costs little)."""

from __future__ import annotations

from PySide6.QtCore import QRectF, Qt, QTimer
from PySide6.QtGui import QColor, QMouseEvent, QPainter, QPen
from PySide6.QtWidgets import QFrame, QGraphicsView

from graphbuilder.ui.scene import GraphScene


class Minimap(QGraphicsView):
    def __init__(self, main: QGraphicsView) -> None:
        super().__init__(main.scene(), main.viewport())
        self.main = main
        self.setFixedSize(220, 150)
        self.setInteractive(False)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setRenderHints(QPainter.RenderHint(0))
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setToolTip("Minimap: click or drag to move the view")
        self._refit = QTimer(self, singleShot=True, interval=150)
        self._refit.timeout.connect(self.fit)
        # bound methods, not lambdas: Qt drops the connection when this widget dies,
        # while the scene (owned elsewhere) may keep emitting a little longer
        main.scene().changed.connect(self._scene_changed)
        main.horizontalScrollBar().valueChanged.connect(self._view_scrolled)
        main.verticalScrollBar().valueChanged.connect(self._view_scrolled)

    def _scene_changed(self, _regions: object) -> None:
        self._refit.start()

    def _view_scrolled(self, _value: int) -> None:
        self.viewport().update()

    def place(self) -> None:
        vp = self.main.viewport()
        self.move(vp.width() - self.width() - 12, vp.height() - self.height() - 12)

    def fit(self) -> None:
        scene: GraphScene = self.scene()  # type: ignore[assignment]
        rect = QRectF()
        for item in [*scene.nodes.values(), *scene.collapsed.values()]:
            if item.isVisible():
                rect = rect.united(item.sceneBoundingRect())
        if not rect.isEmpty():
            self.fitInView(rect.adjusted(-60, -60, 60, 60), Qt.AspectRatioMode.KeepAspectRatio)
        self.viewport().update()

    def drawBackground(self, painter: QPainter, rect: QRectF) -> None:
        scene: GraphScene = self.scene()  # type: ignore[assignment]
        painter.fillRect(rect, scene.theme.c("base"))

    def drawForeground(self, painter: QPainter, rect: QRectF) -> None:
        visible = self.main.mapToScene(self.main.viewport().rect()).boundingRect()
        scene: GraphScene = self.scene()  # type: ignore[assignment]
        color = QColor(scene.theme.selection)
        painter.setPen(QPen(color, 0))
        color.setAlpha(40)
        painter.setBrush(color)
        painter.drawRect(visible)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        self.main.centerOn(self.mapToScene(event.position().toPoint()))

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if event.buttons() & Qt.MouseButton.LeftButton:
            self.main.centerOn(self.mapToScene(event.position().toPoint()))

    def wheelEvent(self, event: object) -> None:
        pass  # the minimap always shows everything
