"""The outline: all nodes by group, filterable by name or op (Ctrl+F lands here).

It is the quickest way around a 500-layer network: type ``layer3 conv`` and press
Enter to jump to the first match.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QLineEdit, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget

from graphbuilder.core.graph import ModelGraph
from graphbuilder.core.registry import get_op, has_op
from graphbuilder.ui.palette import swatch
from graphbuilder.ui.theme import category_color

ROLE = Qt.ItemDataRole.UserRole


class OutlinePanel(QWidget):
    jump = Signal(str)

    def __init__(self, graph: ModelGraph, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.graph = graph
        self.find = QLineEdit(placeholderText="Find node by name or op…  (Ctrl+F)")
        self.find.setClearButtonEnabled(True)
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(["Node", "Op"])
        self.tree.setColumnWidth(0, 190)
        self.tree.setUniformRowHeights(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.find)
        layout.addWidget(self.tree)
        self._signature: tuple = ()
        self.find.textChanged.connect(self.filter)
        self.find.returnPressed.connect(self.jump_to_first)
        self.tree.itemClicked.connect(self._clicked)
        self.tree.itemActivated.connect(self._clicked)

    def refresh(self) -> None:
        """Rebuild when the set of nodes or groups changed (cheap to call often)."""
        sig = (tuple(self.graph.g.nodes(data="op")),
               tuple((g.id, tuple(g.nodes)) for g in self.graph.groups.values()))
        if sig == self._signature:
            return
        self._signature = sig
        self.tree.clear()
        tops: dict[str, QTreeWidgetItem] = {}
        for group in self.graph.groups.values():
            top = QTreeWidgetItem([group.label or group.id, f"{len(group.nodes)} layers"])
            top.setData(0, ROLE, group.nodes[0] if group.nodes else None)
            tops[group.id] = top
            self.tree.addTopLevelItem(top)
        for nid, op in self.graph.g.nodes(data="op"):
            item = QTreeWidgetItem([nid, op])
            item.setData(0, ROLE, nid)
            cat = get_op(op).category if has_op(op) else "Tensor"
            item.setIcon(0, swatch(category_color(cat), 10))
            group = self.graph.group_of(nid)
            if group is not None and group.id in tops:
                tops[group.id].addChild(item)
            else:
                self.tree.addTopLevelItem(item)
        self.filter(self.find.text())

    def filter(self, text: str) -> None:
        words = text.lower().split()

        def visit(item: QTreeWidgetItem) -> bool:
            shown = False
            for i in range(item.childCount()):
                shown |= visit(item.child(i))
            hay = f"{item.text(0)} {item.text(1)}".lower()
            mine = all(w in hay for w in words) and (item.childCount() == 0 or not words)
            item.setHidden(not (mine or shown))
            if words and shown:
                item.setExpanded(True)
            return mine or shown

        for i in range(self.tree.topLevelItemCount()):
            visit(self.tree.topLevelItem(i))

    def first_match(self) -> str | None:
        words = self.find.text().lower().split()
        for nid, op in self.graph.g.nodes(data="op"):
            if all(w in f"{nid} {op}".lower() for w in words):
                return nid
        return None

    def jump_to_first(self) -> None:
        nid = self.first_match()
        if nid:
            self.jump.emit(nid)

    def _clicked(self, item: QTreeWidgetItem) -> None:
        nid = item.data(0, ROLE)
        if nid:
            self.jump.emit(nid)
