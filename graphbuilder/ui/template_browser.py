"""The template browser: pick a starting design (name, mini-graph preview, description,
input shape, parameter count) from ``graphbuilder.zoo.catalog.list_templates()``.

The preview is drawn straight from node positions and categories (no scene, no
inference), so even a ResNet-152 previews instantly.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QPainter, QPen, QPixmap
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

from graphbuilder.core.graph import ModelGraph
from graphbuilder.core.registry import get_op, has_op
from graphbuilder.ui.labels import fmt_count
from graphbuilder.ui.theme import Theme, category_color

ROLE = Qt.ItemDataRole.UserRole


def render_preview(graph: ModelGraph, size: QSize, theme: Theme) -> QPixmap:
    """A mini-map of ``graph``: coloured boxes at node positions, edges as lines."""
    pix = QPixmap(size)
    pix.fill(theme.c("canvas"))
    if len(graph) == 0:
        return pix
    xs = [graph.pos(n)[0] for n in graph.nodes()]
    ys = [graph.pos(n)[1] for n in graph.nodes()]
    box = QRectF(min(xs) - 100, min(ys) - 50, max(xs) - min(xs) + 200, max(ys) - min(ys) + 100)
    scale = min(size.width() / box.width(), size.height() / box.height())
    ox = (size.width() - box.width() * scale) / 2
    oy = (size.height() - box.height() * scale) / 2

    def to(p: tuple[float, float]) -> QPointF:
        return QPointF(ox + (p[0] - box.left()) * scale, oy + (p[1] - box.top()) * scale)

    painter = QPainter(pix)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(QPen(theme.c("edge"), 1))
    for e in graph.edges():
        painter.drawLine(to(graph.pos(e.src)), to(graph.pos(e.dst)))
    w, h = max(3.0, 176 * scale), max(2.0, 74 * scale)
    painter.setPen(Qt.PenStyle.NoPen)
    for n in graph.nodes():
        op = graph.op(n)
        painter.setBrush(category_color(get_op(op).category if has_op(op) else "Tensor"))
        c = to(graph.pos(n))
        painter.drawRoundedRect(QRectF(c.x() - w / 2, c.y() - h / 2, w, h), 2, 2)
    painter.end()
    return pix


class TemplateBrowser(QDialog):
    """Modal chooser; ``chosen`` is the template name after ``exec()`` accepts."""

    def __init__(self, theme: Theme, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("New from template")
        self.resize(860, 540)
        self.theme = theme
        self.chosen: str | None = None
        self._previews: dict[str, QPixmap] = {}
        from graphbuilder.zoo.catalog import list_templates  # the zoo may be mid-change
        self.infos = {t.name: t for t in list_templates()}
        self.search = QLineEdit(placeholderText="Filter templates…")
        self.list = QListWidget()
        self.list.setMinimumWidth(250)
        for info in sorted(self.infos.values(), key=lambda t: (t.category, t.title)):
            item = QListWidgetItem(f"{info.title}\n{info.category} · {fmt_count(info.params)}")
            item.setData(ROLE, info.name)
            self.list.addItem(item)
        self.preview = QLabel(alignment=Qt.AlignmentFlag.AlignCenter)
        self.preview.setMinimumSize(380, 280)
        self.preview.setStyleSheet(f"border: 1px solid {theme.node_border}; border-radius: 6px;")
        self.details = QLabel(wordWrap=True, textFormat=Qt.TextFormat.RichText)
        self.details.setAlignment(Qt.AlignmentFlag.AlignTop)
        right = QVBoxLayout()
        right.addWidget(self.preview, 3)
        right.addWidget(self.details, 2)
        left = QVBoxLayout()
        left.addWidget(self.search)
        left.addWidget(self.list)
        body = QHBoxLayout()
        body.addLayout(left, 2)
        body.addLayout(right, 3)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Open
                                   | QDialogButtonBox.StandardButton.Cancel)
        layout = QVBoxLayout(self)
        layout.addLayout(body)
        layout.addWidget(buttons)
        buttons.accepted.connect(self._accept)
        buttons.rejected.connect(self.reject)
        self.list.currentItemChanged.connect(self._show)
        self.list.itemDoubleClicked.connect(lambda _: self._accept())
        self.search.textChanged.connect(self._filter)
        if self.list.count():
            self.list.setCurrentRow(0)

    def _filter(self, text: str) -> None:
        words = text.lower().split()
        for i in range(self.list.count()):
            item = self.list.item(i)
            info = self.infos[item.data(ROLE)]
            hay = f"{info.name} {info.title} {info.category} {info.description}".lower()
            item.setHidden(not all(w in hay for w in words))

    def _show(self, item: QListWidgetItem | None) -> None:
        if item is None:
            return
        info = self.infos[item.data(ROLE)]
        if info.name not in self._previews:
            try:
                from graphbuilder.zoo.catalog import load_template
                self._previews[info.name] = render_preview(load_template(info.name),
                                                           QSize(380, 280), self.theme)
            except Exception as exc:  # a broken template must not break the dialog
                self.preview.setText(f"no preview: {exc}")
                self._previews.pop(info.name, None)
        if info.name in self._previews:
            self.preview.setPixmap(self._previews[info.name])
        shape = "×".join(str(d) for d in info.input_shape)
        self.details.setText(
            f"<h3>{info.title}</h3><p>{info.description}</p>"
            f"<p><b>Input</b> {shape} &nbsp; <b>Parameters</b> {info.params:,} "
            f"({fmt_count(info.params)}) &nbsp; <b>Category</b> {info.category}</p>"
            f"<p style='color:gray'>template name: {info.name}</p>")

    def _accept(self) -> None:
        item = self.list.currentItem()
        if item is not None:
            self.chosen = item.data(ROLE)
            self.accept()

    def sizeHint(self) -> QSize:
        return QSize(860, 540)


