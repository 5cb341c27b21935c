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
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from graphbuilder.core.graph import ModelGraph
from graphbuilder.core.registry import get_op, has_op
from graphbuilder.ui.labels import fmt_count
from graphbuilder.ui.theme import Theme, category_color

ROLE = Qt.ItemDataRole.UserRole


def render_preview(graph: ModelGraph, size: QSize, theme: Theme) -> QPixmap:
    """A mini-map of ``graph``: coloured boxes at node positions, edges as lines.

    A deep network is tall and thin, so it is cut into side-by-side columns that fill
    the picture (like newspaper text) instead of shrinking to a sliver.
    """
    pix = QPixmap(size)
    pix.fill(theme.c("canvas"))
    if len(graph) == 0:
        return pix
    xs = [graph.pos(n)[0] for n in graph.nodes()]
    ys = [graph.pos(n)[1] for n in graph.nodes()]
    left, top = min(xs) - 100, min(ys) - 50
    width, height = max(xs) - min(xs) + 200, max(ys) - min(ys) + 100
    ratio = (height / width) / (size.height() / size.width())
    cols = max(1, min(8, round(ratio ** 0.5)))
    seg = height / cols
    gap = width * 0.25
    total_w, total_h = cols * width + (cols - 1) * gap, seg
    scale = min(size.width() / total_w, size.height() / total_h)
    ox = (size.width() - total_w * scale) / 2
    oy = (size.height() - total_h * scale) / 2

    def place(p: tuple[float, float]) -> tuple[int, QPointF]:
        col = min(cols - 1, int((p[1] - top) / seg))
        x = (p[0] - left) + col * (width + gap)
        y = (p[1] - top) - col * seg
        return col, QPointF(ox + x * scale, oy + y * scale)

    painter = QPainter(pix)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(QPen(theme.c("edge"), 1))
    for e in graph.edges():
        (ca, a), (cb, b) = place(graph.pos(e.src)), place(graph.pos(e.dst))
        if ca == cb:
            painter.drawLine(a, b)
    w, h = max(3.0, 176 * scale), max(2.0, 74 * scale)
    painter.setPen(Qt.PenStyle.NoPen)
    for n in graph.nodes():
        op = graph.op(n)
        painter.setBrush(category_color(get_op(op).category if has_op(op) else "Tensor"))
        c = place(graph.pos(n))[1]
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
        self.list = QTreeWidget()
        self.list.setHeaderLabels(["Template", "Params"])
        self.list.setRootIsDecorated(False)
        self.list.setMinimumWidth(300)
        self.list.setColumnWidth(0, 210)
        self.items: list[QTreeWidgetItem] = []
        groups: dict[str, QTreeWidgetItem] = {}
        for info in sorted(self.infos.values(), key=lambda t: (t.category, t.params)):
            if info.category not in groups:
                top = QTreeWidgetItem([info.category])
                top.setFlags(Qt.ItemFlag.ItemIsEnabled)
                font = top.font(0)
                font.setBold(True)
                top.setFont(0, font)
                groups[info.category] = top
                self.list.addTopLevelItem(top)
            item = QTreeWidgetItem([info.title, fmt_count(info.params)])
            item.setData(0, ROLE, info.name)
            item.setTextAlignment(1, Qt.AlignmentFlag.AlignRight)
            groups[info.category].addChild(item)
            self.items.append(item)
        self.list.expandAll()
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
        self.list.itemDoubleClicked.connect(lambda *_: self._accept())
        self.search.textChanged.connect(self._filter)
        default = next((i for i in self.items if i.data(0, ROLE) == "simple_cnn"),
                       self.items[0] if self.items else None)
        if default is not None:
            self.list.setCurrentItem(default)

    def select(self, name: str) -> None:
        for item in self.items:
            if item.data(0, ROLE) == name:
                self.list.setCurrentItem(item)

    def _filter(self, text: str) -> None:
        words = text.lower().split()
        for item in self.items:
            info = self.infos[item.data(0, ROLE)]
            hay = f"{info.name} {info.title} {info.category} {info.description}".lower()
            item.setHidden(not all(w in hay for w in words))
        for i in range(self.list.topLevelItemCount()):
            top = self.list.topLevelItem(i)
            top.setHidden(all(top.child(j).isHidden() for j in range(top.childCount())))

    def _show(self, item: QTreeWidgetItem | None) -> None:
        if item is None or not item.data(0, ROLE):
            return
        info = self.infos[item.data(0, ROLE)]
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
        if item is not None and item.data(0, ROLE):
            self.chosen = item.data(0, ROLE)
            self.accept()

    def sizeHint(self) -> QSize:
        return QSize(860, 540)


