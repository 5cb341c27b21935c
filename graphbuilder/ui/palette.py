"""The palette: every registered op grouped by category, plus the zoo's blocks.

Generated from the op registry (so a new op appears without UI work), searchable by
name, category or doc text, each op's one-line doc as its tooltip. Items drag onto the
canvas (mime types from :mod:`graphbuilder.ui.scene`) or insert on double-click.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QMimeData, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import QLineEdit, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget

from graphbuilder.core.registry import CATEGORIES, all_ops
from graphbuilder.ui.gestures import BLOCK_MIME, OP_MIME
from graphbuilder.ui.theme import category_color

ROLE = Qt.ItemDataRole.UserRole


def swatch(color: QColor, size: int = 12) -> QIcon:
    pix = QPixmap(size, size)
    pix.fill(Qt.GlobalColor.transparent)
    p = QPainter(pix)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    p.setBrush(QBrush(color))
    p.setPen(Qt.PenStyle.NoPen)
    p.drawRoundedRect(0, 0, size, size, 3, 3)
    p.end()
    return QIcon(pix)


def available_blocks() -> list[tuple[str, str, str]]:
    """(name, title, description) of the zoo's blocks; empty without the zoo."""
    try:
        from graphbuilder.zoo.blocks import list_blocks
        blocks = list_blocks()
    except Exception:  # the zoo is optional for the editor
        return []
    out = []
    for b in blocks:
        if isinstance(b, str):
            out.append((b, b, ""))
        else:
            name = getattr(b, "name", None) or str(b)
            doc = getattr(b, "doc", "") or getattr(b, "description", "") or ""
            out.append((name, getattr(b, "title", "") or name, doc))
    return out


class _Tree(QTreeWidget):
    def mimeData(self, items: Any) -> QMimeData:
        mime = QMimeData()
        for item in items:
            kind, name = item.data(0, ROLE) or ("", "")
            if kind:
                mime.setData(OP_MIME if kind == "op" else BLOCK_MIME, name.encode())
                mime.setText(name)
        return mime

    def mimeTypes(self) -> list[str]:
        return [OP_MIME, BLOCK_MIME]


class Palette(QWidget):
    activated = Signal(str, str)  # ("op" | "block", name)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.search = QLineEdit(placeholderText="Search layers…  (e.g. conv, norm, attention)")
        self.search.setClearButtonEnabled(True)
        self.tree = _Tree()
        self.tree.setHeaderHidden(True)
        self.tree.setDragEnabled(True)
        self.tree.setDragDropMode(QTreeWidget.DragDropMode.DragOnly)
        self.tree.setRootIsDecorated(True)
        self.tree.setIndentation(14)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.search)
        layout.addWidget(self.tree)
        self.search.textChanged.connect(self.filter)
        self.tree.itemDoubleClicked.connect(self._double_clicked)
        self.populate()

    def populate(self) -> None:
        self.tree.clear()
        cats: dict[str, QTreeWidgetItem] = {}
        for cat in CATEGORIES:
            top = QTreeWidgetItem([cat])
            top.setIcon(0, swatch(category_color(cat)))
            top.setFlags(Qt.ItemFlag.ItemIsEnabled)
            font = top.font(0)
            font.setBold(True)
            top.setFont(0, font)
            cats[cat] = top
        for spec in all_ops():
            item = QTreeWidgetItem([spec.name])
            item.setData(0, ROLE, ("op", spec.name))
            item.setToolTip(0, f"<b>{spec.name}</b> ({spec.category})<br>{spec.doc}")
            item.setIcon(0, swatch(category_color(spec.category), 10))
            item.setData(0, Qt.ItemDataRole.UserRole + 1,
                         f"{spec.name} {spec.category} {spec.doc} {' '.join(spec.aliases)}".lower())
            cats[spec.category].addChild(item)
        blocks = available_blocks()
        if blocks:
            top = QTreeWidgetItem(["Blocks"])
            top.setIcon(0, swatch(category_color("Blocks")))
            top.setFlags(Qt.ItemFlag.ItemIsEnabled)
            cats["Blocks"] = top
            for name, title, doc in blocks:
                item = QTreeWidgetItem([title])
                item.setData(0, ROLE, ("block", name))
                item.setToolTip(0, f"<b>{title}</b> (block: inserted as one collapsible "
                                   f"group, one undo step)<br>{doc}")
                item.setIcon(0, swatch(category_color("Blocks"), 10))
                item.setData(0, Qt.ItemDataRole.UserRole + 1,
                             f"{name} {title} block".lower())
                top.addChild(item)
        for top in cats.values():
            if top.childCount():
                self.tree.addTopLevelItem(top)
        self.tree.expandAll()

    def filter(self, text: str) -> None:
        words = text.lower().split()
        for i in range(self.tree.topLevelItemCount()):
            top = self.tree.topLevelItem(i)
            shown = 0
            for j in range(top.childCount()):
                child = top.child(j)
                hay = child.data(0, Qt.ItemDataRole.UserRole + 1) or ""
                ok = all(w in hay for w in words)
                child.setHidden(not ok)
                shown += ok
            top.setHidden(shown == 0)
            top.setExpanded(True)

    def find_item(self, name: str) -> QTreeWidgetItem | None:
        for i in range(self.tree.topLevelItemCount()):
            top = self.tree.topLevelItem(i)
            for j in range(top.childCount()):
                if top.child(j).text(0) == name:
                    return top.child(j)
        return None

    def _double_clicked(self, item: QTreeWidgetItem) -> None:
        data = item.data(0, ROLE)
        if data:
            self.activated.emit(*data)
