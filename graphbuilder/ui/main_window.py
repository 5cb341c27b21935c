"""The main window: canvas in the centre, palette / inspector / outline / problems docks.

It wires views to the one model: the scene, panels and status bar all follow the
``ModelGraph`` (through GraphEvents and the coalesced :class:`LiveAnalysis`), and all
edits go through ``self.editor`` onto ``self.undo_stack``. The training dashboard
plugs in through the hook in ``docs/CONTRACTS.md`` (graph, undo_stack, menus,
set_editing_locked, statusBar).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings, Qt
from PySide6.QtGui import QCloseEvent, QUndoStack
from PySide6.QtWidgets import (
    QApplication,
    QDockWidget,
    QLabel,
    QMainWindow,
    QMessageBox,
    QUndoView,
    QWidget,
)
from shiboken6 import isValid

from graphbuilder.compiler.shapes import ShapeReport
from graphbuilder.core.fixes import Fix
from graphbuilder.core.graph import GraphEvent, ModelGraph
from graphbuilder.ui import edits
from graphbuilder.ui.actions import build_actions, build_menus, build_toolbar, context_menu
from graphbuilder.ui.analysis import LiveAnalysis
from graphbuilder.ui.documents import DocumentMixin
from graphbuilder.ui.editing import EditingMixin
from graphbuilder.ui.group_item import CollapsedGroupItem
from graphbuilder.ui.inspector import Inspector
from graphbuilder.ui.labels import fmt_bytes, fmt_count
from graphbuilder.ui.outline import OutlinePanel
from graphbuilder.ui.palette import Palette
from graphbuilder.ui.problems import ProblemsPanel
from graphbuilder.ui.scene import GraphScene
from graphbuilder.ui.theme import apply_theme, theme_named
from graphbuilder.ui.undo import Editor
from graphbuilder.ui.view import EditorView


class MainWindow(EditingMixin, DocumentMixin, QMainWindow):
    def __init__(self, graph: ModelGraph | None = None, recovery_dir: Path | None = None,
                 install_training: bool = True) -> None:
        super().__init__()
        settings = QSettings()
        self.theme = theme_named(str(settings.value("view/theme", "light")))
        self.graph = graph if graph is not None else ModelGraph("untitled")
        self.undo_stack = QUndoStack(self)
        self.locked = False
        self.editor = Editor(self.graph, self.undo_stack, self)
        self.analysis = LiveAnalysis(self.graph, self)
        self.scene = GraphScene(self.graph, self.editor, self.theme,
                                str(settings.value("canvas/direction", "TB")))
        self.scene.snap = settings.value("canvas/snap", "true") in (True, "true")
        self.view = EditorView(self.scene)
        self.setCentralWidget(self.view)
        self.setDockNestingEnabled(True)
        self.palette = Palette()
        self.inspector = Inspector(self.graph, self.editor, self.analysis.fixes_for)
        self.outline = OutlinePanel(self.graph)
        self.problems = ProblemsPanel(self.analysis.fixes_for)
        self.docks = {
            "palette": self._dock("Layers", self.palette, Qt.DockWidgetArea.LeftDockWidgetArea),
            "outline": self._dock("Outline", self.outline, Qt.DockWidgetArea.LeftDockWidgetArea),
            "inspector": self._dock("Inspector", self.inspector,
                                    Qt.DockWidgetArea.RightDockWidgetArea),
            "problems": self._dock("Problems", self.problems,
                                   Qt.DockWidgetArea.BottomDockWidgetArea),
        }
        history = QUndoView(self.undo_stack)
        history.setEmptyLabel("Opened")
        self.docks["history"] = self._dock("History", history,
                                           Qt.DockWidgetArea.LeftDockWidgetArea)
        self.tabifyDockWidget(self.docks["palette"], self.docks["outline"])
        self.tabifyDockWidget(self.docks["outline"], self.docks["history"])
        self.docks["palette"].raise_()
        self.actions_ = build_actions(self)
        self.menus = build_menus(self, self.actions_)
        self.addToolBar(build_toolbar(self, self.actions_))
        self.params_label = QLabel()
        self.timing_label = QLabel()
        self.lock_label = QLabel()
        for label in (self.lock_label, self.params_label, self.timing_label):
            self.statusBar().addPermanentWidget(label)
        self._init_documents(recovery_dir)
        self._connect()
        self.actions_["dark"].setChecked(self.theme.name == "dark")
        self.actions_["snap"].setChecked(self.scene.snap)
        self.actions_["minimap"].setChecked(settings.value("view/minimap", "true")
                                            in (True, "true"))
        self.rebuild_recent_menu()
        if install_training:  # before restoreState, so the dashboard's dock is restored too
            self._install_training()
        for dock in self.docks.values():
            self.panels_menu.addAction(dock.toggleViewAction())
        self.resize(1440, 900)
        self.resizeDocks([self.docks["palette"], self.docks["inspector"]], [250, 300],
                         Qt.Orientation.Horizontal)
        self.resizeDocks([self.docks["problems"]], [150], Qt.Orientation.Vertical)
        self.restoreGeometry(QByteArray(settings.value("window/geometry", QByteArray())))
        self.restoreState(QByteArray(settings.value("window/state", QByteArray())))
        self.update_title()

    def _dock(self, title: str, widget: QWidget, area: Qt.DockWidgetArea) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(f"dock_{title.lower()}")
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        return dock

    def _connect(self) -> None:
        self.analysis.updated.connect(self.on_report)
        self.scene.selectionChanged.connect(self.on_selection)
        self.scene.op_dropped.connect(lambda op, pos: self.add_op(op, pos, feed=False))
        self.scene.op_dropped_on_edge.connect(self.splice_op)
        self.scene.block_dropped.connect(lambda name, pos: self.insert_block(name, pos))
        self.scene.node_activated.connect(lambda _: self.docks["inspector"].raise_())
        self.scene.context_requested.connect(
            lambda node, pos: context_menu(self, node).popup(pos))
        self.palette.activated.connect(self.palette_activated)
        self.problems.jump.connect(self.jump_to)
        self.outline.jump.connect(self.jump_to)
        self.problems.fix_requested.connect(self.apply_fix)
        self.inspector.fix_requested.connect(self.apply_fix)
        self.inspector.group_expand_requested.connect(
            lambda gid: self.scene.set_group_collapsed(gid, False))
        self.editor.refused.connect(lambda msg: self.statusBar().showMessage("⚠ " + msg, 6000))
        self.graph.subscribe(self._on_graph_event)

    def _install_training(self) -> None:
        try:
            from graphbuilder.ui.training import install_training_ui
        except ImportError:
            return
        try:
            install_training_ui(self)
        except Exception as exc:  # a dashboard bug must not keep the editor from starting
            self.statusBar().showMessage(f"Training dashboard unavailable: {exc}", 8000)

    # ------------------------------------------------------------------ feedback
    def on_report(self, report: ShapeReport) -> None:
        self.scene.apply_report(report)
        self.problems.set_report(report)
        self.inspector.set_report(report)
        self.outline.refresh()
        n_err = len(report.blocking)
        self.params_label.setText(
            f"  {fmt_count(report.total_params)} params · "
            f"{fmt_count(report.trainable_params)} trainable · "
            f"{fmt_bytes(report.size_bytes)}  ")
        self.params_label.setToolTip(f"{report.total_params:,} parameters, "
                                     f"{report.trainable_params:,} trainable")
        status = "✔ valid" if n_err == 0 else f"✖ {n_err} error{'s' * (n_err != 1)}"
        self.timing_label.setText(f"  {status} · {len(self.graph)} layers  ")
        self.docks["problems"].setWindowTitle(
            f"Problems ({len(report.errors)})" if report.errors else "Problems")

    def on_selection(self) -> None:
        if not isValid(self.scene) or not isValid(self.inspector):
            return  # the window is being torn down
        ids = self.scene.selected_node_ids()
        boxes = [i for i in self.scene.selectedItems() if isinstance(i, CollapsedGroupItem)]
        if len(boxes) == 1 and len(self.scene.selectedItems()) == 1:
            self.inspector.show_group(boxes[0].group_id)
            return
        self.inspector.show_node(ids[0] if len(ids) == 1 else None, len(ids))

    def jump_to(self, node_id: str) -> None:
        if node_id in self.graph:
            self.scene.select_nodes([node_id])
            self.view.center_on_node(node_id)

    def apply_fix(self, fix: Fix) -> None:
        if self.editor.execute(fix.command):
            self.statusBar().showMessage(f"Applied: {fix.title}", 5000)

    def _on_graph_event(self, event: GraphEvent) -> None:
        if event.kind == "reset" and isValid(self):
            self.adopt_direction()

    def adopt_direction(self) -> None:
        """Follow the flow direction of a loaded design (TB or LR)."""
        direction = edits.flow_direction(self.graph)
        if direction != self.scene.direction:
            self.scene.set_direction(direction)

    def focus_find(self) -> None:
        self.docks["outline"].show()
        self.docks["outline"].raise_()
        self.outline.find.setFocus()
        self.outline.find.selectAll()

    # ------------------------------------------------------------------ view settings
    def set_dark(self, on: bool) -> None:
        self.theme = theme_named("dark" if on else "light")
        QSettings().setValue("view/theme", self.theme.name)
        app = QApplication.instance()
        if isinstance(app, QApplication):
            apply_theme(app, self.theme)
        self.scene.set_theme(self.theme)
        if self.view.lock_text:
            self.view.set_lock_text(self.view.lock_text)

    def set_minimap(self, on: bool) -> None:
        self.view.set_minimap(on)
        QSettings().setValue("view/minimap", on)

    def set_snap(self, on: bool) -> None:
        self.scene.snap = on
        QSettings().setValue("canvas/snap", on)

    def about(self) -> None:
        QMessageBox.about(self, "About GraphBuilder",
                          "<h3>GraphBuilder</h3><p>Design neural networks by drawing them; "
                          "compile to torch.fx, train, export to ONNX.</p>")

    # ------------------------------------------------------------------ training hook
    def set_editing_locked(self, locked: bool, reason: str = "") -> None:
        """Freeze the design (e.g. while it trains); edits are refused with ``reason``."""
        self.locked = locked
        self.editor.set_locked(locked, reason)
        self.scene.set_locked(locked)
        self.view.set_lock_text(reason or "Editing is locked" if locked else "")
        self.inspector.set_locked(locked)
        self.palette.setEnabled(not locked)
        for key in ("undo", "redo", "cut", "paste", "duplicate", "delete", "new", "open",
                    "group", "ungroup",
                    "new_template", "layout_tb", "layout_lr", "align_v", "align_h",
                    "distribute_h", "distribute_v", "collapse_all", "expand_all"):
            self.actions_[key].setEnabled(not locked)
        if not locked:  # the stack's own actions know whether there is anything to undo
            self.actions_["undo"].setEnabled(self.undo_stack.canUndo())
            self.actions_["redo"].setEnabled(self.undo_stack.canRedo())
        self.recent_menu.setEnabled(not locked)
        self.lock_label.setText(f"  ⊘ {reason or 'locked'}  " if locked else "")
        if locked:
            self.statusBar().showMessage(f"Editing locked: {reason}", 6000)

    # ------------------------------------------------------------------ closing
    def confirm_stop_training(self) -> bool:
        """Closing ends an active run (or LR test): ask first, as for unsaved changes."""
        panel = getattr(self, "training_panel", None)
        if panel is None or not panel.busy:
            return True
        answer = QMessageBox.question(
            self, "Training is running",
            "A training run or LR test is still running. Stop it and close?\n"
            "The last checkpoint of the run is kept.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Cancel)
        return answer == QMessageBox.StandardButton.Yes

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self.confirm_stop_training() or not self.maybe_save():
            event.ignore()  # the run goes on, the design stays open
            return
        panel = getattr(self, "training_panel", None)
        if panel is not None:
            panel.shutdown()
        self.finish_exports()
        settings = QSettings()
        settings.setValue("window/geometry", self.saveGeometry())
        settings.setValue("window/state", self.saveState())
        self.autosave_timer.stop()
        self.recovery.close()
        for listener in (self._on_graph_event, self.scene._on_event, self.analysis._on_event,
                         self.inspector._on_event):
            self.graph.unsubscribe(listener)
        event.accept()
