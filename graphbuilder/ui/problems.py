"""The problems panel: every error and warning from shape inference, pinned to nodes.

Clicking a row jumps to the node; rows with a known one-click fix carry a ⚡ and the
fix can be applied from the button, the context menu, or by double-clicking.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QPoint, Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QMenu,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from graphbuilder.compiler.shapes import ShapeReport
from graphbuilder.core.fixes import Fix

ROLE = Qt.ItemDataRole.UserRole


class ProblemsPanel(QWidget):
    jump = Signal(str)
    fix_requested = Signal(object)  # Fix

    def __init__(self, fixes_for: Callable[[str], list[Fix]],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.fixes_for = fixes_for
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(["", "Node", "Problem"])
        self.tree.setRootIsDecorated(False)
        self.tree.setUniformRowHeights(True)
        self.tree.setColumnWidth(0, 34)
        self.tree.setColumnWidth(1, 150)
        self.tree.setWordWrap(True)
        self.tree.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.summary = QLabel()
        self.fix_button = QPushButton("⚡ Apply fix")
        self.fix_button.setEnabled(False)
        bar = QHBoxLayout()
        bar.setContentsMargins(4, 2, 4, 2)
        bar.addWidget(self.summary, 1)
        bar.addWidget(self.fix_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(bar)
        layout.addWidget(self.tree)
        self.tree.itemClicked.connect(self._clicked)
        self.tree.itemDoubleClicked.connect(lambda item: self._apply_first(item))
        self.tree.currentItemChanged.connect(self._current_changed)
        self.tree.customContextMenuRequested.connect(self._menu)
        self.fix_button.clicked.connect(self._fix_button_clicked)

    def set_report(self, report: ShapeReport) -> None:
        self.tree.clear()
        errors = sorted(report.errors, key=lambda e: (not e.is_error, e.node or ""))
        n_err = sum(e.is_error for e in errors)
        n_warn = len(errors) - n_err
        self.summary.setText("✔ No problems" if not errors else
                             f"{n_err} error{'s' * (n_err != 1)}, "
                             f"{n_warn} warning{'s' * (n_warn != 1)}")
        for err in errors:
            fixable = bool(err.node and err.is_error and self.fixes_for(err.node))
            icon = ("✖" if err.is_error else "⚠") + (" ⚡" if fixable else "")
            item = QTreeWidgetItem([icon, err.node or "(graph)", err.message])
            item.setData(0, ROLE, err.node)
            item.setToolTip(2, err.message)
            if err.is_error:
                item.setForeground(1, Qt.GlobalColor.red)
            self.tree.addTopLevelItem(item)
        self.fix_button.setEnabled(False)

    def _clicked(self, item: QTreeWidgetItem) -> None:
        node = item.data(0, ROLE)
        if node:
            self.jump.emit(node)

    def _current_changed(self, item: QTreeWidgetItem | None) -> None:
        node = item.data(0, ROLE) if item else None
        self.fix_button.setEnabled(bool(node and self.fixes_for(node)))

    def _apply_first(self, item: QTreeWidgetItem) -> None:
        node = item.data(0, ROLE)
        fixes = self.fixes_for(node) if node else []
        if len(fixes) == 1:
            self.fix_requested.emit(fixes[0])
        elif fixes:
            self._menu(self.tree.visualItemRect(item).bottomLeft())

    def _fix_button_clicked(self) -> None:
        item = self.tree.currentItem()
        node = item.data(0, ROLE) if item else None
        fixes = self.fixes_for(node) if node else []
        if len(fixes) == 1:
            self.fix_requested.emit(fixes[0])
        elif fixes:
            menu = self._fix_menu(fixes)
            menu.exec(self.fix_button.mapToGlobal(self.fix_button.rect().bottomLeft()))

    def _fix_menu(self, fixes: list[Fix]) -> QMenu:
        menu = QMenu(self)
        for fix in fixes:
            menu.addAction(f"⚡ {fix.title}", lambda f=fix: self.fix_requested.emit(f))
        return menu

    def _menu(self, pos: QPoint) -> None:
        item = self.tree.itemAt(pos)
        node = item.data(0, ROLE) if item else None
        fixes = self.fixes_for(node) if node else []
        if fixes:
            self._fix_menu(fixes).exec(self.tree.viewport().mapToGlobal(pos))
