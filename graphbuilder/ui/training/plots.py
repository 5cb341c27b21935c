"""The live training plots: loss per step, LR per step, loss and metrics per epoch.

Events only append to a :class:`RunHistory`; a QTimer (``REDRAW_HZ`` <= 20) pushes the
arrays into the curves when something changed. So a run producing thousands of steps
per second costs the GUI at most ``REDRAW_HZ`` redraws per second, and the plots
never slow the training thread down. Curves use clip-to-view and peak downsampling so a
million-step run still redraws in milliseconds.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pyqtgraph as pg
from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from graphbuilder.ui.training import style
from graphbuilder.ui.training.arrange import PlotGrid
from graphbuilder.ui.training.history import RunHistory
from graphbuilder.ui.training.hover import HoverReadout

REDRAW_HZ = 10  # at most; slower when painting is expensive (see PAINT_BUDGET)
PAINT_BUDGET = 0.05  # painting may use at most this fraction of the GUI thread's time
SLOWEST_REDRAW_MS = 2000


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
        self._drawn_steps = self._drawn_epochs = -1
        self._parts: list[Any] = []  # plots still to update in this redraw
        self._update_s = 0.0  # time in setData since the last tick
        self.redraws = 0
        self.loss_plot = style.make_plot("Training loss", "step", "loss", theme)
        self.lr_plot = style.make_plot("Learning rate", "step", "lr", theme, legend=None)
        self.epoch_plot = style.make_plot("Loss per epoch", "epoch", "loss", theme)
        self.metric_plot = style.make_plot("Metrics per epoch", "epoch", "value", theme,
                                           legend="bottom")
        self.raw = _curve(self.loss_plot, "raw", style.TRAIN, 1.0, 95)
        self.smooth = _curve(self.loss_plot, "smoothed", style.TRAIN, 2.0)
        self.lr = _curve(self.lr_plot, "lr", style.LR, 2.0)
        self.train_epoch = _curve(self.epoch_plot, "train", style.TRAIN, 2.0, symbol="o")
        self.val_epoch = _curve(self.epoch_plot, "validation", style.VAL, 2.0, symbol="o")
        self.metric_curves: dict[str, pg.PlotDataItem] = {}
        self.hovers = [HoverReadout(self.loss_plot, "step", theme),
                       HoverReadout(self.lr_plot, "step", theme),
                       HoverReadout(self.epoch_plot, "epoch", theme),
                       HoverReadout(self.metric_plot, "epoch", theme)]
        # reading order in one row: loss per step, loss per epoch, metrics, LR
        self.plot_area = PlotGrid([self.loss_plot, self.epoch_plot, self.lr_plot,
                                   self.metric_plot])

        self.log_loss = QCheckBox("Log loss")
        self.log_loss.setToolTip("Loss axes (per step and per epoch) on a log scale")
        self.log_lr = QCheckBox("Log LR")
        self.log_lr.setToolTip("Learning-rate axis on a log scale")
        self.log_loss.toggled.connect(self.set_log_loss)
        self.log_lr.toggled.connect(self.set_log_lr)
        self.png_button = QPushButton("Export PNG…")
        self.csv_button = QPushButton("Export CSV…")
        self.png_button.clicked.connect(lambda: self.export_png())
        self.csv_button.clicked.connect(lambda: self.export_csv())
        self.png_button.setToolTip("Save the four plots as one PNG image")
        self.csv_button.setToolTip("Save the per-step and per-epoch values as CSV files")
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
        self.timer.timeout.connect(self._tick)
        self.timer.start()
        self._parts_timer = QTimer(self)
        self._parts_timer.setSingleShot(True)
        self._parts_timer.setInterval(0)
        self._parts_timer.timeout.connect(self._next_part)

    # ------------------------------------------------------------------ data
    def reset(self, history: RunHistory | None = None, caption: str = "") -> None:
        """Show ``history`` (a fresh one by default); curves of metrics start over."""
        self.history = history or RunHistory()
        for c in self.metric_curves.values():
            self.metric_plot.removeItem(c)
        self.metric_curves.clear()
        self.caption.setText(caption)
        self.set_step_range(0, None)
        self.redraw(force=True)

    def _tick(self) -> None:
        """Redraw, then pick the next interval so that redrawing (setData plus the
        repaints it causes) stays within PAINT_BUDGET of the GUI thread's time."""
        plots = (self.loss_plot, self.lr_plot, self.epoch_plot, self.metric_plot)
        spent = sum(p.paint_s for p in plots) + self._update_s
        self._update_s = 0.0  # _next_part adds each plot's setData time
        for p in plots:
            p.paint_s = 0.0
        self.paint_ms = 0.7 * getattr(self, "paint_ms", 0.0) + 0.3 * spent * 1000
        interval = int(min(max(1000 / REDRAW_HZ, self.paint_ms / PAINT_BUDGET),
                           SLOWEST_REDRAW_MS))
        if abs(interval - self.timer.interval()) > 20:
            self.timer.setInterval(interval)
        self.redraw()

    def redraw(self, force: bool = False) -> None:
        """Push the buffers into the curves if anything arrived since the last redraw.

        Only what changed is touched (epoch curves once per epoch) and nothing while
        the plots are hidden: every ``setData`` costs a repaint, and on a CPU run the
        GUI thread competes with training for the GIL and the cores. A timed redraw
        updates one plot per pass of the event loop (see :meth:`_next_part`), so the
        loop never waits for four repaints in a row; ``force`` does all at once.
        """
        h = self.history
        if not force and (h.version == self._drawn or not self.isVisible() or self._parts):
            return
        self.redraws += 1
        parts: list[Any] = []
        if len(h.epochs) != self._drawn_epochs or force:
            self._drawn_epochs = len(h.epochs)
            parts += [self._redraw_epoch_losses, self._redraw_metrics]
        self._drawn = h.version
        if len(h) != self._drawn_steps or force:
            self._drawn_steps = len(h)
            parts += [self._redraw_loss, self._redraw_lr]
        if force:
            self._parts = []
            self._parts_timer.stop()
            for part in parts:
                part().getPlotItem().getViewBox().prepareForPaint()
            return
        self._parts = parts
        self._next_part()

    def _next_part(self) -> None:
        """Update one plot, the next one after the event loop has painted it (a 0 ms
        timer fires after the repaint that ``setData`` posted)."""
        if self._parts:
            t = time.perf_counter()
            plot = self._parts.pop(0)()
            # settle the auto-range now: done in the paint (pyqtgraph's prepareForPaint),
            # the new range re-laid-out the axes and asked for a second full repaint
            plot.getPlotItem().getViewBox().prepareForPaint()
            self._update_s += time.perf_counter() - t
        if self._parts:
            self._parts_timer.start()

    # each part updates one plot and returns it
    def _redraw_loss(self) -> pg.PlotWidget:
        h = self.history
        steps = h.step.view()
        self.raw.setData(steps, h.loss.view())
        self.smooth.setData(steps, h.smooth.view())
        return self.loss_plot

    def _redraw_lr(self) -> pg.PlotWidget:
        h = self.history
        self.lr.setData(h.step.view(), h.lr.view())
        if not self.log_lr.isChecked():
            style.fit_flat_y(self.lr_plot, h.lr.view())
        return self.lr_plot

    def _redraw_epoch_losses(self) -> pg.PlotWidget:
        h = self.history
        self.train_epoch.setData(*h.epoch_series("loss"))
        self.val_epoch.setData(*h.epoch_series("val_loss"))
        return self.epoch_plot

    def _redraw_metrics(self) -> pg.PlotWidget:
        h = self.history
        for i, key in enumerate(h.metric_keys()):
            curve = self.metric_curves.get(key)
            if curve is None:
                color = style.VAL if key.startswith("val_") else style.TRAIN
                if i > 1:
                    color = style.series_color(i + 2)
                curve = _curve(self.metric_plot, key, color, 2.0, symbol="o")
                self.metric_curves[key] = curve
            curve.setData(*h.epoch_series(key))
        names = {k.removeprefix("val_") for k in self.metric_curves}
        self.metric_plot.getPlotItem().setLabel(
            "left", names.pop() if len(names) == 1 else "value")
        return self.metric_plot

    def showEvent(self, event: Any) -> None:  # noqa: N802 - Qt API
        super().showEvent(event)
        self.redraw(force=True)

    def set_step_range(self, first: int, last: int | None) -> None:
        """Fix the step axis to the run's length (None: follow the data).

        Besides showing how far the run has got, a fixed x range keeps the axes from
        being re-laid-out on every redraw, which was a third of the redraw cost.
        """
        for p in (self.loss_plot, self.lr_plot):
            vb = p.getPlotItem().getViewBox()
            if last is None or last <= first:
                vb.enableAutoRange(axis="x", enable=True)
            else:
                vb.enableAutoRange(axis="x", enable=False)
                vb.setXRange(first, last, padding=0.03)  # room for the first tick label

    def set_log_loss(self, on: bool) -> None:
        # on the plot, not the curves: the axis must switch too, or it labels log10 values
        for p in (self.loss_plot, self.epoch_plot):
            p.getPlotItem().setLogMode(False, on)

    def set_log_lr(self, on: bool) -> None:
        self.lr_plot.getPlotItem().setLogMode(False, on)
        self.lr_plot.getPlotItem().getViewBox().enableAutoRange(axis="y", enable=True)
        self.redraw(force=True)

    def set_theme(self, theme: Any) -> None:
        self.theme = theme
        for p in (self.loss_plot, self.lr_plot, self.epoch_plot, self.metric_plot):
            style.style_plot(p, theme)
        for h in self.hovers:
            h.set_theme(theme)

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
        self.redraw(force=True)
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


