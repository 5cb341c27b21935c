"""The live training plots: loss per step, LR per step, loss and metrics per epoch.

Events only append to a :class:`RunHistory`; a QTimer (``REDRAW_HZ`` <= 20) pushes the
arrays into the curves when something changed. So a run producing thousands of steps
per second costs the GUI at most ``REDRAW_HZ`` redraws per second, and the plots
never slow the training thread down. Curves use clip-to-view and peak downsampling so a
million-step run still redraws in milliseconds.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyqtgraph as pg
from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from graphbuilder.ui.training import style
from graphbuilder.ui.training.history import RunHistory
from graphbuilder.ui.training.hover import HoverReadout

REDRAW_HZ = 10


def _curve(plot: pg.PlotWidget, name: str, color: str, width: float = 1.8, alpha: int = 255,
           symbol: str | None = None) -> pg.PlotDataItem:
    c = plot.plot([], [], name=name, pen=style.pen(color, width, alpha), symbol=symbol,
                  symbolSize=6, symbolBrush=color, symbolPen=None)
    c.setClipToView(True)
    c.setDownsampling(auto=True, method="peak")
    return c


class LivePlots(QWidget):
    """Four plots over one :class:`RunHistory`, redrawn at a bounded rate."""

    exported = Signal(str)  # a status message

    def __init__(self, theme: Any = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.theme = theme
        self.history = RunHistory()
        self._drawn = -1
        self.redraws = 0
        self.loss_plot = style.make_plot("Training loss", "step", "loss", theme)
        self.lr_plot = style.make_plot("Learning rate", "step", "lr", theme)
        self.epoch_plot = style.make_plot("Loss per epoch", "epoch", "loss", theme)
        self.metric_plot = style.make_plot("Metrics per epoch", "epoch", "value", theme)
        self.raw = _curve(self.loss_plot, "raw", style.TRAIN, 1.0, 70)
        self.smooth = _curve(self.loss_plot, "smoothed", style.TRAIN, 2.0)
        self.lr = _curve(self.lr_plot, "lr", style.LR, 2.0)
        self.train_epoch = _curve(self.epoch_plot, "train", style.TRAIN, 2.0, symbol="o")
        self.val_epoch = _curve(self.epoch_plot, "validation", style.VAL, 2.0, symbol="o")
        self.metric_curves: dict[str, pg.PlotDataItem] = {}
        self.hovers = [HoverReadout(self.loss_plot, "step", theme),
                       HoverReadout(self.lr_plot, "step", theme),
                       HoverReadout(self.epoch_plot, "epoch", theme),
                       HoverReadout(self.metric_plot, "epoch", theme)]
        grid = QGridLayout()
        grid.setSpacing(6)
        for i, p in enumerate((self.loss_plot, self.epoch_plot, self.lr_plot, self.metric_plot)):
            grid.addWidget(p, i // 2, i % 2)
        self.plot_area = QWidget()
        self.plot_area.setLayout(grid)
        grid.setContentsMargins(0, 0, 0, 0)

        self.log_loss = QCheckBox("Log loss")
        self.log_lr = QCheckBox("Log LR")
        self.log_loss.toggled.connect(self.set_log_loss)
        self.log_lr.toggled.connect(self.set_log_lr)
        self.png_button = QPushButton("Export PNG…")
        self.csv_button = QPushButton("Export CSV…")
        self.png_button.clicked.connect(lambda: self.export_png())
        self.csv_button.clicked.connect(lambda: self.export_csv())
        self.caption = QLabel()
        bar = QHBoxLayout()
        for w in (self.log_loss, self.log_lr):
            bar.addWidget(w)
        bar.addWidget(self.caption, 1)
        bar.addWidget(self.png_button)
        bar.addWidget(self.csv_button)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.addLayout(bar)
        lay.addWidget(self.plot_area, 1)
        self.timer = QTimer(self)
        self.timer.setInterval(1000 // REDRAW_HZ)
        self.timer.timeout.connect(self.redraw)
        self.timer.start()

    # ------------------------------------------------------------------ data
    def reset(self, history: RunHistory | None = None, caption: str = "") -> None:
        """Show ``history`` (a fresh one by default); curves of metrics start over."""
        self.history = history or RunHistory()
        for c in self.metric_curves.values():
            self.metric_plot.removeItem(c)
        self.metric_curves.clear()
        self.caption.setText(caption)
        self._drawn = -1
        self.redraw()

    def redraw(self) -> None:
        """Push the buffers into the curves if anything arrived since the last redraw."""
        h = self.history
        if h.version == self._drawn:
            return
        self._drawn = h.version
        self.redraws += 1
        steps = h.step.view()
        self.raw.setData(steps, h.loss.view())
        self.smooth.setData(steps, h.smooth.view())
        self.lr.setData(steps, h.lr.view())
        if not self.log_lr.isChecked():
            style.fit_flat_y(self.lr_plot, h.lr.view())
        self.train_epoch.setData(*h.epoch_series("loss"))
        self.val_epoch.setData(*h.epoch_series("val_loss"))
        for i, key in enumerate(h.metric_keys()):
            curve = self.metric_curves.get(key)
            if curve is None:
                color = style.VAL if key.startswith("val_") else style.TRAIN
                if i > 1:
                    color = style.series_color(i + 2)
                curve = _curve(self.metric_plot, key, color, 2.0, symbol="o")
                self.metric_curves[key] = curve
            curve.setData(*h.epoch_series(key))

    def set_log_loss(self, on: bool) -> None:
        for c in (self.raw, self.smooth, self.train_epoch, self.val_epoch):
            c.setLogMode(False, on)

    def set_log_lr(self, on: bool) -> None:
        self.lr.setLogMode(False, on)
        self.lr_plot.getPlotItem().getViewBox().enableAutoRange(axis="y", enable=True)
        self._drawn = -1
        self.redraw()

    def set_theme(self, theme: Any) -> None:
        self.theme = theme
        for p in (self.loss_plot, self.lr_plot, self.epoch_plot, self.metric_plot):
            style.style_plot(p, theme)

    def point_counts(self) -> dict[str, int]:
        """How many points each curve shows (tests check the plots really got data)."""
        def n(c: pg.PlotDataItem) -> int:
            x, _ = c.getOriginalDataset()
            return 0 if x is None else len(x)
        out = {"raw": n(self.raw), "smoothed": n(self.smooth), "lr": n(self.lr),
               "train_epoch": n(self.train_epoch), "val_epoch": n(self.val_epoch)}
        out.update({k: n(c) for k, c in self.metric_curves.items()})
        return out

    # ------------------------------------------------------------------ export
    def export_png(self, path: str | None = None) -> str | None:
        if path is None:
            path, _ = QFileDialog.getSaveFileName(self, "Export plots", "training.png",
                                                  "PNG image (*.png)")
        if not path:
            return None
        self.redraw()
        ok = self.plot_area.grab().save(path, "PNG")
        self.exported.emit(f"Plots saved to {path}" if ok else f"Could not write {path}")
        return path if ok else None

    def export_csv(self, path: str | None = None) -> list[Path]:
        if path is None:
            path, _ = QFileDialog.getSaveFileName(self, "Export metrics", "metrics.csv",
                                                  "CSV (*.csv)")
        if not path:
            return []
        try:
            files = self.history.write_csv(path)
        except OSError as exc:
            self.exported.emit(f"Could not write {path}: {exc}")
            return []
        self.exported.emit("Metrics saved to " + ", ".join(str(f) for f in files))
        return files


