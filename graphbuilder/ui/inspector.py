"""The inspector: edit the selected node's name and parameters.

The form is generated from the op's ``ParamSpec``s (kind, range, choices, default,
doc), so every op gets a correct editor for free. Values are parsed and checked with
``ParamSpec.check`` before anything is sent: a bad value is refused with the spec's own
message and the field goes back to the model's value. Accepted values become one
``SetParamsCommand`` (rename: ``RenameNodeCommand``) through the editor.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from graphbuilder.compiler.shapes import ShapeReport
from graphbuilder.core.commands import RenameNodeCommand, SetParamsCommand
from graphbuilder.core.fixes import Fix
from graphbuilder.core.graph import GraphEvent, ModelGraph
from graphbuilder.core.params import ParamSpec
from graphbuilder.core.registry import get_op, has_op
from graphbuilder.ui.labels import fmt_count
from graphbuilder.ui.theme import category_color
from graphbuilder.ui.undo import Editor


def parse_value(spec: ParamSpec, text: str) -> Any:
    """Text typed into a field -> the Python value for ``spec`` (ValueError if unreadable)."""
    text = text.strip()
    if text == "" and spec.optional:
        return None
    if spec.extra and text in spec.extra:
        return text
    if spec.kind == "int":
        return int(text)
    if spec.kind == "float":
        return float(text)
    if spec.kind == "str":
        return text
    if spec.kind in ("size", "shape"):
        parts = [p for p in re.split(r"[\s,x×\[\]()]+", text) if p]
        if not parts:
            raise ValueError("empty")
        values = [int(p) for p in parts]
        if spec.kind == "size" and len(values) == 1:
            return values[0]
        return values
    raise ValueError(spec.kind)


def format_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


class Inspector(QWidget):
    fix_requested = Signal(object)  # Fix
    group_expand_requested = Signal(str)

    def __init__(self, graph: ModelGraph, editor: Editor,
                 fixes_for: Callable[[str], list[Fix]],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.graph, self.editor, self.fixes_for = graph, editor, fixes_for
        self.node_id: str | None = None
        self._op: str | None = None
        self.report = ShapeReport()
        self.fields: dict[str, QWidget] = {}
        self._setters: dict[str, Callable[[Any], None]] = {}
        self.messages: dict[str, QLabel] = {}
        self.scroll = QScrollArea(widgetResizable=True)
        self.scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        self.scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(self.scroll)
        self._fit_timer = QTimer(self, singleShot=True, interval=0)
        self._fit_timer.timeout.connect(self._fit_body)  # once the new rows are laid out
        graph.subscribe(self._on_event)
        self.show_node(None)

    # ------------------------------------------------------------------ building
    def show_node(self, node_id: str | None, count: int = 1) -> None:
        self.node_id = node_id if node_id in self.graph else None
        body = QWidget()
        self.form = QFormLayout(body)
        self.form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.fields, self._setters, self.messages = {}, {}, {}
        self.scroll.setWidget(body)
        if self.node_id is None:
            hint = (f"{count} nodes selected" if count > 1
                    else "Select a node to edit its name and parameters.")
            label = QLabel(hint, wordWrap=True)
            label.setEnabled(False)
            self.form.addRow(label)
            return
        op = self._op = self.graph.op(self.node_id)
        spec = get_op(op) if has_op(op) else None
        color = category_color(spec.category if spec else "Tensor").name()
        title = QLabel(f"<span style='color:{color}; font-size:13pt; font-weight:bold'>{op}</span>"
                       f"&nbsp;&nbsp;<span style='color:gray'>{spec.category if spec else ''}"
                       "</span>")
        self.form.addRow(title)
        if spec:
            doc = QLabel(spec.doc, wordWrap=True)
            doc.setEnabled(False)
            self.form.addRow(doc)
        self.name_edit = QLineEdit(self.node_id)
        self.name_edit.setToolTip("Unique id; dots nest submodules (layer1.0.conv1)")
        self.name_edit.editingFinished.connect(self._rename)
        self.form.addRow("Name", self.name_edit)
        self.messages["__name__"] = self._message_row()
        self.info = QLabel(wordWrap=True)
        self.form.addRow("Output", self.info)
        self.fix_box = QVBoxLayout()
        self.form.addRow(self.fix_box)
        if spec:
            values = self.graph.params(self.node_id)
            for p in spec.params:
                self._add_field(p, values.get(p.name))
        self.set_report(self.report)

    def show_group(self, group_id: str) -> None:
        """A collapsed group is selected: what it holds, and a way in."""
        self.show_node(None)
        group = self.graph.groups.get(group_id)
        if group is None:
            return
        layout = self.form
        while layout.rowCount():
            layout.removeRow(0)
        title = QLabel(f"<span style='font-size:13pt; font-weight:bold'>{group.label}</span>"
                       f"<br><span style='color:gray'>group {group.id} (collapsed)</span>",
                       wordWrap=True)
        layout.addRow(title)
        params = sum(self.report.nodes[n].params for n in group.nodes if n in self.report.nodes)
        ops: dict[str, int] = {}
        for n in group.nodes:
            ops[self.graph.op(n)] = ops.get(self.graph.op(n), 0) + 1
        summary = ", ".join(f"{k}×{v}" if v > 1 else k for k, v in ops.items())
        info = QLabel(f"{len(group.nodes)} layers · {fmt_count(params)} parameters<br>"
                      f"<span style='color:gray'>{summary}</span>", wordWrap=True)
        layout.addRow(info)
        expand = QPushButton("Expand to edit inside")
        expand.clicked.connect(lambda: self.group_expand_requested.emit(group.id))
        layout.addRow(expand)
        self._fit_timer.start()

    def _message_row(self) -> QLabel:
        msg = QLabel(wordWrap=True)
        msg.setStyleSheet("color: #DC2626;")
        msg.setVisible(False)
        self.form.addRow(msg)
        return msg

    def _add_field(self, p: ParamSpec, value: Any) -> None:
        tip = p.describe()
        widget: QWidget
        if p.kind == "bool":
            box = QCheckBox()
            box.setChecked(bool(value))
            box.toggled.connect(lambda on, p=p: self._commit(p, on))
            widget, setter = box, (lambda v, b=box: b.setChecked(bool(v)))
        elif p.kind == "choice":
            combo = QComboBox()
            for c in p.choices:
                combo.addItem(str(c), c)
            combo.setCurrentIndex(max(0, list(p.choices).index(value))
                                  if value in p.choices else 0)
            combo.activated.connect(lambda i, p=p, c=combo: self._commit(p, c.itemData(i)))
            widget = combo
            setter = (lambda v, c=combo, p=p: c.setCurrentIndex(
                list(p.choices).index(v) if v in p.choices else 0))
        else:
            edit = QLineEdit(format_value(value))
            if p.optional:
                edit.setPlaceholderText("none")
            edit.editingFinished.connect(lambda p=p, e=edit: self._commit_text(p, e))
            widget, setter = edit, (lambda v, e=edit: e.setText(format_value(v)))
        widget.setToolTip(tip)
        label = QLabel(p.name)
        label.setToolTip(tip)
        self.form.addRow(label, widget)
        self.fields[p.name] = widget
        self._setters[p.name] = setter
        self.messages[p.name] = self._message_row()

    # ------------------------------------------------------------------ committing
    def _commit_text(self, p: ParamSpec, edit: QLineEdit) -> None:
        try:
            value = parse_value(p, edit.text())
        except ValueError:
            self._refuse(p.name, f"'{edit.text()}' is not a valid {p.kind} for '{p.name}'")
            return
        self._commit(p, value)

    def _commit(self, p: ParamSpec, value: Any) -> None:
        if self.node_id is None:
            return
        current = self.graph.params(self.node_id).get(p.name)
        if value == current:  # focus left an untouched field: no undo step, not dirty
            self.messages[p.name].setVisible(False)
            return
        msg = p.check(value)
        if msg:
            self._refuse(p.name, msg)
            return
        self.messages[p.name].setVisible(False)
        if not self.editor.execute(SetParamsCommand(self.node_id, {p.name: value})):
            self._refuse(p.name, "not applied")

    def _refuse(self, name: str, msg: str) -> None:
        label = self.messages[name]
        label.setText("⚠ " + msg)
        label.setVisible(True)
        if self.node_id is not None and name in self._setters:
            self._setters[name](self.graph.params(self.node_id).get(name))

    def _rename(self) -> None:
        new = self.name_edit.text().strip()
        if self.node_id is None or new == self.node_id:
            return
        msg = None
        if new in self.graph:
            msg = f"a node called '{new}' already exists"
        elif not self.editor.execute(RenameNodeCommand(self.node_id, new)):
            msg = f"'{new}' is not a valid name: use letters, digits and _ (dots nest)"
        if msg:
            self.messages["__name__"].setText("⚠ " + msg)
            self.messages["__name__"].setVisible(True)
            self.name_edit.setText(self.node_id)

    # ------------------------------------------------------------------ following
    def _on_event(self, ev: GraphEvent) -> None:
        if self.node_id is None:
            return
        if ev.kind == "node_renamed" and ev.old == self.node_id:
            self.show_node(ev.nodes[0])
        elif ev.kind in ("reset",) or (ev.kind == "node_removed" and ev.nodes[0] == self.node_id):
            self.show_node(None)
        elif ev.kind == "node_changed" and ev.nodes[0] == self.node_id:
            if self.graph.op(self.node_id) != self._op:
                self.show_node(self.node_id)
                return
            values = self.graph.params(self.node_id)
            for name, setter in self._setters.items():
                setter(values.get(name))

    def set_report(self, report: ShapeReport) -> None:
        self.report = report
        if self.node_id is None:
            return
        info = report.nodes.get(self.node_id)
        parts = []
        if info and info.shape:
            parts.append(f"<b>{info.shape_text()}</b>")
        if info and info.params:
            parts.append(f"{fmt_count(info.params)} parameters")
        errors = report.errors_for(self.node_id)
        for e in errors:
            color = "#DC2626" if e.is_error else "#D97706"
            parts.append(f"<span style='color:{color}'>⚠ {e.message}</span>")
        self.info.setText("<br>".join(parts) or "—")
        while self.fix_box.count():
            w = self.fix_box.takeAt(0).widget()
            if w is not None:
                w.deleteLater()
        for fix in self.fixes_for(self.node_id):
            button = QPushButton(f"⚡ {fix.title}")
            button.setToolTip(f"One-click fix (one undo step): {fix.title}")
            button.setStyleSheet("text-align: left; padding: 4px 8px;")
            button.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
            button.clicked.connect(lambda _=False, f=fix: self.fix_requested.emit(f))
            self.fix_box.addWidget(button)
        self._fit_timer.start()

    def _fit_body(self) -> None:
        """Give the form the height its wrapped texts need at the current width, so a
        short dock scrolls instead of squashing rows (QFormLayout's minimum size
        ignores word wrap)."""
        body = self.scroll.widget()
        layout = body.layout() if body is not None else None
        if layout is None:
            return
        layout.activate()
        width = self.scroll.viewport().width()
        need = layout.heightForWidth(width) if layout.hasHeightForWidth() else -1
        body.setMinimumHeight(max(need, layout.sizeHint().height()))

    def resizeEvent(self, event: object) -> None:
        super().resizeEvent(event)  # type: ignore[arg-type]
        self._fit_body()

    def set_locked(self, locked: bool) -> None:
        """Read-only while the design is locked (e.g. training): fields greyed out."""
        self.setEnabled(not locked)
        self.scroll.setToolTip("Editing is locked" if locked else "")
        if locked:
            self.scroll.viewport().setCursor(Qt.CursorShape.ForbiddenCursor)
        else:
            self.scroll.viewport().unsetCursor()
