"""Every run is kept: a folder per run, listed here and overlaid for comparison.

The engine writes ``config.json``, ``metrics.csv/json`` and ``best.pt``/``last.pt`` into
the run directory; the dashboard adds ``design.json`` (the graph as trained, so a run
can be resumed or evaluated after the design changed) and ``ui.json`` (label, status,
failure message: the engine's files do not record a failure). The runs list is just a
scan of the folder, so runs from the CLI show up too.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from graphbuilder.core.atomic import atomic_write_text
from graphbuilder.ui.training import style
from graphbuilder.ui.training.fields import fmt_sci
from graphbuilder.ui.training.history import RunHistory, read_json
from graphbuilder.ui.training.hover import HoverReadout

MIN_PLOT_WIDTH = 380  # the comparison plot keeps this much when the list is sized
COLUMNS = ["Run", "Status", "Optimizer", "LR", "Schedule", "Epochs", "Best val loss", "Best metric"]


@dataclass
class RunInfo:
    path: Path
    label: str
    config: dict[str, Any]
    status: str
    message: str = ""
    best: dict[str, float] = field(default_factory=dict)
    epochs_done: int = 0
    started: float = 0.0

    @property
    def checkpoint(self) -> Path | None:
        for name in ("last.pt", "best.pt"):
            if (self.path / name).is_file():
                return self.path / name
        return None


class RunStore:
    """The folder of run directories (one design's, or the app's)."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def new_run_dir(self, design: str, config: dict[str, Any]) -> Path:
        opt = config.get("optimizer", {})
        stamp = time.strftime("%Y%m%d-%H%M%S")
        base = f"{stamp}-{_slug(design)}-{opt.get('name', 'opt')}-{fmt_sci(opt.get('lr'))}"
        path, i = self.root / base, 1
        while path.exists():
            i += 1
            path = self.root / f"{base}-{i}"
        path.mkdir(parents=True)
        return path

    def runs(self) -> list[RunInfo]:
        if not self.root.is_dir():
            return []
        out = [info for d in self.root.iterdir() if (info := load_run(d)) is not None]
        return sorted(out, key=lambda r: r.started, reverse=True)


def _slug(text: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in text)[:40] or "design"


def write_ui(run_dir: Path, **fields: Any) -> None:
    """Merge ``fields`` into the run's ``ui.json`` (atomically)."""
    path = Path(run_dir) / "ui.json"
    doc = read_json(path) or {}
    doc.update(fields)
    atomic_write_text(path, json.dumps(doc, indent=2) + "\n")


def load_run(d: Path) -> RunInfo | None:
    config = read_json(d / "config.json")
    ui = read_json(d / "ui.json") or {}
    if not isinstance(config, dict) and not ui:
        return None
    metrics = read_json(d / "metrics.json") or {}
    status = ui.get("status") or metrics.get("end_reason") or "interrupted"
    if metrics.get("end_reason") and status == "running":
        status = metrics["end_reason"]
    return RunInfo(d, ui.get("label", d.name), config or ui.get("config", {}), status,
                   ui.get("message", ""), metrics.get("best", {}) or {},
                   len(metrics.get("history", [])), ui.get("started", d.stat().st_mtime))


def _best_metric(best: dict[str, float]) -> str:
    for key in ("val_accuracy", "val_iou", "val_mae", "val_mse"):
        if key in best:
            return f"{key[4:]} {best[key]:.4g}"
    return ""


class RunsView(QWidget):
    """The runs list (check runs to overlay them) and the comparison plot."""

    resume_requested = Signal(str)
    evaluate_requested = Signal(str)
    show_requested = Signal(str)
    exported = Signal(str)  # a status message

    def __init__(self, store: RunStore, theme: Any = None, parent: QWidget | None = None
                 ) -> None:
        super().__init__(parent)
        self.store = store
        self.infos: dict[str, RunInfo] = {}
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(COLUMNS)
        self.tree.setRootIsDecorated(False)
        self.tree.setAlternatingRowColors(True)
        self.tree.itemChanged.connect(lambda *_: self.redraw())
        self.tree.itemSelectionChanged.connect(self._selection)
        self.tree.itemDoubleClicked.connect(lambda it, _: self.show_requested.emit(
            it.data(0, Qt.ItemDataRole.UserRole)))
        self.metric = QComboBox()
        self.metric.addItems(["val_loss", "loss", "val_accuracy", "val_iou", "val_mae"])
        self.metric.currentTextChanged.connect(lambda _: self.redraw())
        self.buttons = {}
        bar = QHBoxLayout()
        for key, title in (("refresh", "Refresh"), ("resume", "Resume from checkpoint"),
                           ("evaluate", "Evaluate on validation set")):
            b = QPushButton(title)
            self.buttons[key] = b
            bar.addWidget(b)
        bar.addStretch(1)
        bar.addWidget(QLabel("Compare"))
        bar.addWidget(self.metric)
        self.log_y = QCheckBox("Log scale")
        self.log_y.setToolTip("Compare on a log axis (losses spanning decades)")
        self.log_y.toggled.connect(lambda on: self.plot.setLogMode(x=False, y=on))
        bar.addWidget(self.log_y)
        png = QPushButton("Export PNG…")
        png.setToolTip("Save the comparison plot as a PNG image")
        png.clicked.connect(lambda: self.export_png())
        bar.addWidget(png)
        self.buttons["resume"].setToolTip(
            "Continue the selected run from its last checkpoint (same folder, same design); "
            "a run that had finished is extended by the epochs set in Settings")
        self.buttons["evaluate"].setToolTip(
            "Load the best checkpoint, run the validation set, show metrics and predictions")
        self.tree.setToolTip("Check runs to overlay them; double-click to show a run's curves")
        self.buttons["refresh"].clicked.connect(self.refresh)
        self.buttons["resume"].clicked.connect(lambda: self._emit(self.resume_requested))
        self.buttons["evaluate"].clicked.connect(lambda: self._emit(self.evaluate_requested))
        self.plot = style.make_plot("Runs compared", "epoch", "val_loss", theme)
        self.hover = HoverReadout(self.plot, "epoch", theme)
        self.split = split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(self.tree)
        split.addWidget(self.plot)
        split.setSizes([600, 600])
        split.setStretchFactor(1, 1)
        self._split_moved = False
        split.splitterMoved.connect(lambda *_: setattr(self, "_split_moved", True))
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.addLayout(bar)
        lay.addWidget(split, 1)
        self._selection()

    def mark_dirty(self) -> None:
        """Refresh now if visible, else when next shown (no file reads mid-run)."""
        self._dirty = True
        if self.isVisible():
            self.refresh()

    def showEvent(self, event: Any) -> None:  # noqa: N802 - Qt API
        super().showEvent(event)
        if getattr(self, "_dirty", False):
            self.refresh()

    def refresh(self) -> None:
        self._dirty = False
        checked = set(self.checked()) or None
        self.tree.blockSignals(True)
        self.tree.clear()
        self.infos = {}
        for i, info in enumerate(self.store.runs()):
            key = str(info.path)
            self.infos[key] = info
            cfg = info.config
            opt, sch = cfg.get("optimizer", {}), cfg.get("schedule", {})
            best = info.best
            row = [info.label, info.status, opt.get("name", ""), fmt_sci(opt.get("lr")),
                   sch.get("name", ""), f"{info.epochs_done}/{cfg.get('epochs', '?')}",
                   f"{best['val_loss']:.4g}" if "val_loss" in best else "", _best_metric(best)]
            item = QTreeWidgetItem(row)
            item.setData(0, Qt.ItemDataRole.UserRole, key)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            on = (i < 3) if checked is None else key in checked
            item.setCheckState(0, Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)
            item.setToolTip(0, key)
            if info.message:
                item.setToolTip(1, info.message)
            self.tree.addTopLevelItem(item)
        for c in range(len(COLUMNS)):
            self.tree.resizeColumnToContents(c)
        self.tree.blockSignals(False)
        self._fit_split()
        self.redraw()
        self._selection()

    def _fit_split(self) -> None:
        """Give the list the width its columns need (at 50:50 the last columns were cut
        off) and the plot the rest, until the user drags the splitter."""
        total = self.split.width()
        if self._split_moved or total <= MIN_PLOT_WIDTH:
            return
        need = (sum(self.tree.columnWidth(c) for c in range(len(COLUMNS)))
                + 2 * self.tree.frameWidth() + self.tree.verticalScrollBar().sizeHint().width())
        left = max(min(need, total - MIN_PLOT_WIDTH), total // 3)
        self.split.setSizes([left, total - left])

    def resizeEvent(self, event: Any) -> None:  # noqa: N802 - Qt API
        super().resizeEvent(event)
        self._fit_split()

    def checked(self) -> list[str]:
        out = []
        for i in range(self.tree.topLevelItemCount()):
            it = self.tree.topLevelItem(i)
            if it.checkState(0) == Qt.CheckState.Checked:
                out.append(it.data(0, Qt.ItemDataRole.UserRole))
        return out

    def set_checked(self, paths: list[str]) -> None:
        for i in range(self.tree.topLevelItemCount()):
            it = self.tree.topLevelItem(i)
            on = it.data(0, Qt.ItemDataRole.UserRole) in paths
            it.setCheckState(0, Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)

    def redraw(self) -> None:
        key = self.metric.currentText()
        item = self.plot.getPlotItem()
        for c in list(item.listDataItems()):
            item.removeItem(c)
        if item.legend is not None:
            item.legend.clear()
        item.setLabel("left", key)
        for i, path in enumerate(self.checked()):
            info = self.infos.get(path)
            if info is None:
                continue
            x, y = RunHistory.from_run_dir(path).epoch_series(key)
            opt = info.config.get("optimizer", {})
            name = (f"{opt.get('name', '?')} {fmt_sci(opt.get('lr'))} "
                    f"{info.config.get('schedule', {}).get('name', '')}")
            self.plot.plot(x, y, name=name, pen=style.pen(style.series_color(i), 2.0),
                           symbol="o", symbolSize=5, symbolBrush=style.series_color(i),
                           symbolPen=None)

    def selected(self) -> str | None:
        items = self.tree.selectedItems()
        return items[0].data(0, Qt.ItemDataRole.UserRole) if items else None

    def _selection(self) -> None:
        info = self.infos.get(self.selected() or "")
        self.buttons["resume"].setEnabled(info is not None and info.checkpoint is not None)
        self.buttons["evaluate"].setEnabled(info is not None and info.checkpoint is not None)

    def _emit(self, signal: Signal) -> None:
        path = self.selected()
        if path:
            signal.emit(path)

    def export_png(self, path: str | None = None) -> str | None:
        saved = style.export_png(self.plot, "runs.png", path)
        if saved:
            self.exported.emit(f"Comparison saved to {saved}")
        return saved

    def set_theme(self, theme: Any) -> None:
        style.style_plot(self.plot, theme)
        self.hover.set_theme(theme)
