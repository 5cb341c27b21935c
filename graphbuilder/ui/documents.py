"""File handling for the main window: new/open/save, recent files, unsaved-changes
prompt, autosave + crash recovery, and the exports.

The window's ``graph`` object lives as long as the window; opening a file swaps its
content with ``graph.replace_with`` (the training hook relies on that identity). The
undo stack's clean state is the single "saved?" flag.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QSettings, Qt, QTimer
from PySide6.QtWidgets import QApplication, QFileDialog, QMessageBox

from graphbuilder.core.errors import GraphFormatError
from graphbuilder.core.fileformat import dumps_graph, load_graph
from graphbuilder.core.graph import ModelGraph
from graphbuilder.ui import edits
from graphbuilder.ui.exports import Worker, code_job, describe_onnx, onnx_job, save_png, save_svg
from graphbuilder.ui.recovery import AUTOSAVE_MS, RecoveryEntry, RecoveryManager, write_atomic
from graphbuilder.ui.template_browser import TemplateBrowser

if TYPE_CHECKING:
    from graphbuilder.ui.main_window import MainWindow

FILE_FILTER = "GraphBuilder designs (*.json *.gbg.json);;All files (*)"
MAX_RECENT = 10
Button = QMessageBox.StandardButton


def blank_graph() -> ModelGraph:
    g = ModelGraph("untitled")
    g.add_node("x", "Input", {"shape": [3, 32, 32]}, (0.0, 0.0))
    g.add_node("y", "Output", {}, (0.0, 240.0))
    g.connect("x", "y", "in")
    return g


class DocumentMixin:
    """Mixed into :class:`MainWindow`; ``self`` is the window."""

    file_path: str | None
    _workers: list[Worker]

    # ------------------------------------------------------------------ setup
    def _init_documents(self: MainWindow, recovery_dir: Path | None) -> None:
        self.file_path = None
        self._workers = []
        self.recovery = RecoveryManager(recovery_dir)
        self.autosave_timer = QTimer(self, interval=AUTOSAVE_MS)
        self.autosave_timer.timeout.connect(self.autosave)
        self.autosave_timer.start()
        # a bound method (not a lambda): Qt drops the connection when the window dies
        self.undo_stack.cleanChanged.connect(self.update_title)

    @property
    def dirty(self: MainWindow) -> bool:
        return not self.undo_stack.isClean()

    def update_title(self: MainWindow) -> None:
        name = Path(self.file_path).name if self.file_path else f"{self.graph.name} (not saved yet)"
        self.setWindowTitle(f"{name}[*] — GraphBuilder")
        self.setWindowModified(self.dirty)

    # ------------------------------------------------------------------ loading
    def load_graph_object(self: MainWindow, graph: ModelGraph, path: str | None,
                          dirty: bool = False) -> None:
        self.graph.replace_with(graph)
        self.undo_stack.clear()
        self.undo_stack.setClean()
        if dirty:  # recovered work is unsaved work: make undo-clean differ from now
            self.undo_stack.resetClean()
        self.file_path = path
        self.adopt_direction()
        self.analysis.run_now()
        self.update_title()
        QTimer.singleShot(0, self.view.zoom_to_fit)
        self.view.zoom_to_fit()

    def open_path(self: MainWindow, path: str) -> bool:
        try:
            graph = load_graph(path)
        except (GraphFormatError, OSError) as exc:
            QMessageBox.warning(self, "Cannot open file", str(exc))
            return False
        self.load_graph_object(graph, str(Path(path).resolve()))
        self.add_recent(str(Path(path).resolve()))
        self.statusBar().showMessage(f"Opened {path}", 4000)
        return True

    def open_template(self: MainWindow, name: str) -> bool:
        try:
            from graphbuilder.zoo.catalog import load_template
            graph = load_template(name)
        except Exception as exc:  # unknown name or a template mid-rewrite
            QMessageBox.warning(self, "Cannot open template", str(exc))
            return False
        if any(g.collapsed for g in graph.groups.values()):
            # folded blocks: close the gaps their members leave (a new document, so
            # its positions are ours to choose)
            edits.auto_layout(graph, edits.flow_direction(graph)).do(graph)
        self.load_graph_object(graph, None)
        self.statusBar().showMessage(f"New design from template '{name}'", 4000)
        return True

    def new_document(self: MainWindow) -> None:
        if self.maybe_save():
            self.load_graph_object(blank_graph(), None)

    def new_from_template(self: MainWindow) -> None:
        if not self.maybe_save():
            return
        dialog = TemplateBrowser(self.theme, self)
        chosen = dialog.chosen if dialog.exec() else None
        dialog.deleteLater()  # Qt deletes it; a direct (Python) delete upsets PySide
        if chosen:
            self.open_template(chosen)

    def open_dialog(self: MainWindow) -> None:
        if not self.maybe_save():
            return
        start = str(Path(self.file_path).parent) if self.file_path else ""
        path, _ = QFileDialog.getOpenFileName(self, "Open design", start, FILE_FILTER)
        if path:
            self.open_path(path)

    # ------------------------------------------------------------------ saving
    def save(self: MainWindow) -> bool:
        if not self.file_path:
            return self.save_as()
        return self.save_to(self.file_path)

    def save_as(self: MainWindow) -> bool:
        start = self.file_path or f"{self.graph.name}.json"
        path, _ = QFileDialog.getSaveFileName(self, "Save design as", start, FILE_FILTER)
        return bool(path) and self.save_to(path)

    def save_to(self: MainWindow, path: str) -> bool:
        try:
            write_atomic(Path(path), dumps_graph(self.graph))
        except (OSError, ValueError) as exc:
            QMessageBox.critical(self, "Save failed", f"Could not save {path}:\n{exc}")
            return False
        self.file_path = str(Path(path).resolve())
        self.undo_stack.setClean()
        self.recovery.clear()
        self.add_recent(self.file_path)
        self.update_title()
        self.statusBar().showMessage(f"Saved {path}", 4000)
        return True

    def ask_unsaved(self: MainWindow) -> QMessageBox.StandardButton:
        """Save / Discard / Cancel for unsaved changes (tests replace this)."""
        return QMessageBox.question(
            self, "Unsaved changes",
            f"Save the changes to “{self.graph.name}” before closing it?",
            Button.Save | Button.Discard | Button.Cancel, Button.Save)

    def maybe_save(self: MainWindow) -> bool:
        """True when it is fine to drop the current document."""
        if not self.dirty:
            return True
        answer = self.ask_unsaved()
        if answer == Button.Save:
            return self.save()
        return answer == Button.Discard

    # ------------------------------------------------------------------ recent files
    def recent_files(self: MainWindow) -> list[str]:
        value = QSettings().value("recent_files", [])
        if isinstance(value, str):
            value = [value]
        return [v for v in (value or []) if isinstance(v, str)]

    def add_recent(self: MainWindow, path: str) -> None:
        files = [path] + [p for p in self.recent_files() if p != path]
        QSettings().setValue("recent_files", files[:MAX_RECENT])
        self.rebuild_recent_menu()

    def rebuild_recent_menu(self: MainWindow) -> None:
        menu = self.recent_menu
        menu.clear()
        files = self.recent_files()
        for i, path in enumerate(files):
            act = menu.addAction(f"&{i + 1}  {Path(path).name}")
            act.setStatusTip(path)
            act.triggered.connect(lambda _=False, p=path: self.maybe_save() and self.open_path(p))
        menu.setEnabled(bool(files))
        if files:
            menu.addSeparator()
            menu.addAction("Clear List", lambda: (QSettings().setValue("recent_files", []),
                                                  self.rebuild_recent_menu()))

    # ------------------------------------------------------------------ recovery
    def autosave(self: MainWindow) -> None:
        if self.dirty:
            try:
                self.recovery.autosave(self.graph, self.file_path)
            except OSError as exc:
                self.statusBar().showMessage(f"Autosave failed: {exc}", 6000)

    def choose_recovery(self: MainWindow, entries: list[RecoveryEntry]) -> RecoveryEntry | None:
        """Ask whether to restore the newest crashed session (tests replace this)."""
        entry = max(entries, key=lambda e: e.saved_at)
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(entry.saved_at))
        answer = QMessageBox.question(
            self, "Recover unsaved work?",
            f"GraphBuilder did not close properly last time.\n\nRecover “{entry.name}” "
            f"(autosaved {when})?" + (f"\nOriginal file: {entry.original}"
                                      if entry.original else ""),
            Button.Yes | Button.No, Button.Yes)
        return entry if answer == Button.Yes else None

    def offer_recovery(self: MainWindow) -> bool:
        """At start-up: offer autosaves left by crashed sessions. True if one was restored."""
        entries = self.recovery.orphans()
        if not entries:
            return False
        entry = self.choose_recovery(entries)
        restored = False
        if entry is not None:
            try:
                self.load_graph_object(entry.load(), entry.original, dirty=True)
                restored = True
                self.statusBar().showMessage("Recovered unsaved work — save it to keep it",
                                             8000)
            except (GraphFormatError, OSError) as exc:
                QMessageBox.warning(self, "Recovery failed", str(exc))
        for e in entries:
            e.discard()
        return restored

    # ------------------------------------------------------------------ exports
    def _run_job(self: MainWindow, title: str, job: Any, describe: Any) -> None:
        worker = Worker(job, self)
        self._workers.append(worker)
        self.statusBar().showMessage(f"{title}…")

        def done(result: Any) -> None:
            if not self.isVisible():  # finished while the window was closing: no dialog
                return
            self.statusBar().showMessage(f"{title}: done", 5000)
            QMessageBox.information(self, title, describe(result))

        def failed(msg: str) -> None:
            if not self.isVisible():
                return
            self.statusBar().showMessage(f"{title} failed", 5000)
            QMessageBox.warning(self, f"{title} failed", msg)

        worker.done.connect(done)
        worker.failed.connect(failed)
        worker.finished.connect(lambda: self._workers.remove(worker))
        worker.start()

    def finish_exports(self: MainWindow) -> None:
        """Closing waits for a running export: a QThread destroyed while it runs takes
        the whole process down (Qt aborts), and a half-written file helps nobody."""
        running = [w for w in self._workers if w.isRunning()]
        if not running:
            return
        self.statusBar().showMessage("Waiting for the export to finish…")
        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            for worker in running:
                worker.wait()
        finally:
            QApplication.restoreOverrideCursor()

    def _export_path(self: MainWindow, title: str, suffix: str, filt: str) -> str:
        base = Path(self.file_path).with_suffix("") if self.file_path else Path(self.graph.name)
        path, _ = QFileDialog.getSaveFileName(self, title, f"{base}{suffix}", filt)
        return path

    def export_onnx(self: MainWindow) -> None:
        if not self.analysis.report.ok:
            QMessageBox.warning(self, "Export to ONNX", "Fix the problems listed first.")
            return
        path = self._export_path("Export to ONNX", ".onnx", "ONNX models (*.onnx)")
        if path:
            self._run_job("Export to ONNX", onnx_job(self.graph, path), describe_onnx)

    def export_code(self: MainWindow) -> None:
        if not self.analysis.report.ok:
            QMessageBox.warning(self, "Export to PyTorch", "Fix the problems listed first.")
            return
        path = self._export_path("Export to PyTorch code", ".py", "Python files (*.py)")
        if path:
            self._run_job("Export to PyTorch code", code_job(self.graph, path),
                          lambda p: f"Wrote {p}\nThe file defines one nn.Module and was "
                                    "checked to compute the same outputs as the design.")

    def export_image(self: MainWindow) -> None:
        path = self._export_path("Save canvas as image", ".png",
                                 "PNG image (*.png);;SVG drawing (*.svg)")
        if not path:
            return
        selected = self.scene.selectedItems()
        self.scene.clearSelection()
        try:
            if path.lower().endswith(".svg"):
                save_svg(self.scene, path, self.graph.name)
            else:
                save_png(self.scene, path)
            self.statusBar().showMessage(f"Saved picture {path}", 4000)
        except OSError as exc:
            QMessageBox.warning(self, "Save image failed", str(exc))
        for item in selected:
            item.setSelected(True)
