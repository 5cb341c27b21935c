"""The LR finder tab: the range test drawn live, the grid sweep, and what to apply.

The range test: loss against learning rate on a log axis while it runs (raw loss as
faint dots, the engine's EMA as a line), then the zero-phase smoothed curve and a marker
per suggestion rule (valley, steepest, min/10), each offered for the optimizer. The
sweep's plots are :mod:`sweep_view`'s; its best LR is offered the same way. The weights'
digests show that the trial runs left the model untouched. :mod:`lr_layout` arranges it.
Stop asks the running job to end itself (``stop_job``, set by the panel's tools), so a
stopped job still delivers its partial result and the digests.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import pyqtgraph as pg
from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from graphbuilder.training.events import LRPoint
from graphbuilder.training.lr_finder import LRFinderResult, SweepResult
from graphbuilder.ui.training import style
from graphbuilder.ui.training.fields import ListEdit, SciEdit, fmt_sci
from graphbuilder.ui.training.hover import HoverReadout
from graphbuilder.ui.training.jobs import StoppedRange, WeightsCheck
from graphbuilder.ui.training.lr_layout import (
    HANGING,
    ControlRows,
    LRPlotArea,
    fit_text,
    hang_labels,
    keep_legend_fitted,
    label_fill,
)
from graphbuilder.ui.training.sweep_view import SweepPlots

RULES = {"valley": "valley", "steepest": "steepest slope", "min_loss_div10": "min loss / 10"}
RULE_COLORS = {"valley": style.SUGGEST, "steepest": style.METRIC, "min_loss_div10": style.VAL}


class LRView(QWidget):
    range_requested = Signal(float, float, int)  # start, end, steps
    sweep_requested = Signal(list, int)  # lrs, steps per candidate
    stop_requested = Signal()
    apply_lr = Signal(float)

    def __init__(self, theme: Any = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.theme = theme
        self.result: LRFinderResult | None = None
        self.sweep_result: SweepResult | None = None
        self.points: list[LRPoint] = []
        self.mode = "idle"  # "range" / "sweep": what the running job's LRPoints mean
        self.busy = False
        self.stop_job: Callable[[], None] | None = None  # the running job's own stop
        self.start_lr, self.end_lr = SciEdit(), SciEdit()
        self.start_lr.set_value(1e-6)
        self.end_lr.set_value(1.0)
        self.steps = QSpinBox()
        self.steps.setRange(5, 10000)
        self.steps.setValue(100)
        self.run_button = QPushButton("Run range test")
        self.run_button.clicked.connect(self.request_range)
        self.candidates = ListEdit()
        self.candidates.set_value([1e-4, 3e-4, 1e-3, 3e-3, 1e-2])
        self.candidates.setText("1e-4, 3e-4, 1e-3, 3e-3, 1e-2")
        self.sweep_steps = QSpinBox()
        self.sweep_steps.setRange(2, 100000)
        self.sweep_steps.setValue(40)
        self.sweep_button = QPushButton("Run sweep")
        self.sweep_button.clicked.connect(self._request_sweep)
        self.stop_button = QPushButton("Stop")
        self.stop_button.setEnabled(False)
        self.stop_button.clicked.connect(self.stop)
        self.choice = QComboBox()
        self.choice.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.choice.setMinimumContentsLength(22)
        self.apply_button = QPushButton("Apply to optimizer")
        self.apply_button.setEnabled(False)
        self.apply_button.clicked.connect(self._apply)
        self.png_button = QPushButton("Export PNG…")
        self.png_button.clicked.connect(lambda: self.export_png())
        self.status = QLabel("Probe learning rates before training: the model is restored "
                             "afterwards.")
        self.status.setWordWrap(True)
        self.weights = QLabel()

        self.range_plot = style.make_plot("LR range test", "learning rate (log)", "loss", theme)
        self.range_plot.setLogMode(x=True, y=False)
        self.raw = self.range_plot.plot([], [], name="loss", pen=None, symbol="o", symbolSize=4,
                                        symbolBrush=style.faded(style.TRAIN, 90), symbolPen=None)
        self.ema = self.range_plot.plot([], [], name="EMA (β=0.98)",
                                        pen=style.pen(style.TRAIN, 1.4, 150, dash=True))
        self.centred = self.range_plot.plot([], [], name="smoothed",
                                            pen=style.pen(style.TRAIN, 2.4))
        self.markers: list[Any] = []
        self.sweep = SweepPlots(theme)
        self.hover = HoverReadout(self.range_plot, "lr", theme)
        # the range test's legend top left, over the flat start (the divergent tail
        # leaves at the top right); the rules' labels hang under it
        legend = self.range_plot.getPlotItem().legend
        legend.opts["offset"] = (8, 6)
        legend.anchor(itemPos=(0, 0), parentPos=(0, 0), offset=(8, 6))
        keep_legend_fitted(self.range_plot)  # first: the labels need the legend's height
        self.range_plot.getPlotItem().getViewBox().sigResized.connect(
            lambda *_: hang_labels(self.range_plot, self.markers))
        self._layout()

    def _layout(self) -> None:
        """Run controls on one row (two when narrow), the outcome on the next, then the
        plots (see :mod:`lr_layout`)."""
        for edit in (self.start_lr, self.end_lr):
            fit_text(edit, "3.16e-05", fixed=True)
        fit_text(self.candidates)  # the default list shows whole; wider when there's room
        self.controls = ControlRows(
            [[QLabel("Range test from"), self.start_lr, QLabel("to"), self.end_lr,
              QLabel("steps"), self.steps, self.run_button, None],
             [QLabel("Sweep LRs"), self.candidates, QLabel("steps each"), self.sweep_steps,
              self.sweep_button, self.stop_button]], stretch=self.candidates)
        suggest = QHBoxLayout()
        suggest.addWidget(self.status, 1)
        suggest.addWidget(self.weights)
        suggest.addWidget(self.choice)
        suggest.addWidget(self.apply_button)
        suggest.addWidget(self.png_button)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.addWidget(self.controls)
        lay.addLayout(suggest)
        self.plot_area = LRPlotArea([self.range_plot, *self.sweep.plots])
        lay.addWidget(self.plot_area, 1)

    def export_png(self, path: str | None = None) -> str | None:
        return style.export_png(self.plot_area, "lr_finder.png", path)

    # ------------------------------------------------------------------ requests
    def request_range(self) -> None:
        start, end = self.start_lr.value() or 0.0, self.end_lr.value() or 0.0
        if not 0 < start < end:
            self.status.setText("⚠ The range needs 0 < from < to.")
            return
        self.range_requested.emit(start, end, self.steps.value())

    def _request_sweep(self) -> None:
        lrs = [v for v in self.candidates.value() if v > 0]
        if not lrs:
            self.status.setText("⚠ Give at least one positive learning rate, e.g. 1e-3, 1e-2.")
            return
        self.sweep_requested.emit(sorted(lrs), self.sweep_steps.value())

    def _apply(self) -> None:
        lr = self.choice.currentData()
        if lr:
            self.apply_lr.emit(float(lr))

    def stop(self) -> None:
        """Ask the running job to end itself (partial result, then the weights check);
        without a job to ask, the panel cancels its worker."""
        if self.stop_job is None:
            self.stop_requested.emit()
            return
        self.stop_job()
        self.stop_button.setEnabled(False)
        self.status.setText("Stopping after this step…")

    def set_busy(self, busy: bool) -> None:
        was_busy, self.busy = self.busy, busy
        for w in (self.run_button, self.sweep_button):
            w.setEnabled(not busy)
        self.stop_button.setEnabled(busy)
        if was_busy and not busy:
            self._ended()

    def _ended(self) -> None:
        """The job's thread is done. Without a result it was cancelled (closing the
        window; the panel replaces this text when it failed): closing the engine's
        generator restored the weights, but there are no digests to show."""
        self.stop_job = None
        if self.mode == "range" and self.result is None:
            self.status.setText("Range test stopped before the end: no suggestion "
                                "(the model was restored).")
        elif self.mode == "sweep" and self.sweep_result is None:
            best, status = self.sweep.cancelled()
            self._offer_best(best, "so far")
            self.status.setText(status)
        self.mode = "idle"

    # ------------------------------------------------------------------ jobs' events
    def begin_range(self) -> None:
        self.points, self.result, self.mode = [], None, "range"
        for c in (self.raw, self.ema, self.centred):
            c.setData([], [])
        self._clear_markers()
        self._begin_outcome("Range test running…")

    def begin_sweep(self, lrs: list[float]) -> None:
        self.mode, self.sweep_result = "sweep", None
        self.sweep.begin(lrs)
        self._begin_outcome(f"Sweep over {len(lrs)} learning rates running…")

    def _begin_outcome(self, status: str) -> None:
        self.choice.clear()
        self.apply_button.setEnabled(False)
        self.weights.setText("")
        self.status.setText(status)

    def handle(self, events: list[Any]) -> None:
        """Take a batch of worker events (range test, sweep, weight check)."""
        if self.mode == "sweep":  # its steps and finished candidates come before its result
            self.sweep.add(events)
        new_points = False
        for ev in events:
            if isinstance(ev, LRPoint) and self.mode != "sweep":
                self.points.append(ev)
                new_points = True
            elif isinstance(ev, LRFinderResult):
                self.show_result(ev)
            elif isinstance(ev, SweepResult):
                self.show_sweep(ev)
            elif isinstance(ev, WeightsCheck):
                self.weights.setText(f"✔ weights restored ({ev.after})" if ev.restored else
                                     f"✖ weights CHANGED {ev.before} → {ev.after}")
                self.weights.setToolTip("SHA-1 of every parameter and buffer: "
                                        f"{ev.before} before, {ev.after} after the trial runs")
        if new_points:
            finite = [p for p in self.points if math.isfinite(p.loss)]
            self.raw.setData([p.lr for p in finite], [p.loss for p in finite])
            self.ema.setData([p.lr for p in finite], [p.smoothed for p in finite])

    def show_result(self, result: LRFinderResult) -> None:
        self.result = result
        if result.smoothed:
            pts = [lr for lr, loss in zip(result.lrs, result.losses, strict=True)
                   if math.isfinite(loss)]
            self.centred.setData(pts, result.smoothed)
            # frame the informative part: from the lowest loss up to 1.6x the starting loss
            # (the divergent tail can be orders of magnitude higher)
            finite = [v for v in result.losses if math.isfinite(v)]
            lo, hi = min(finite), max(result.smoothed[0] * 1.6, min(result.smoothed) * 1.3)
            self.range_plot.setYRange(lo - 0.05 * (hi - lo), min(hi, max(finite)), padding=0.02)
        self._clear_markers()
        self.choice.clear()
        for key, lr in result.suggestions.items():
            if lr is None:
                continue
            color = RULE_COLORS.get(key, style.SUGGEST)
            line = pg.InfiniteLine(pos=math.log10(lr), angle=90,
                                   pen=style.pen(color, 2.0 if key == "valley" else 1.2,
                                                 dash=key != "valley"),
                                   label=f"{RULES.get(key, key)}\n{fmt_sci(lr)}",
                                   labelOpts={"anchors": HANGING, "color": color,
                                              "fill": label_fill(self.theme)})
            self.range_plot.addItem(line)
            self.markers.append(line)
            self.choice.addItem(f"{RULES.get(key, key)}: {fmt_sci(lr)}", lr)
        hang_labels(self.range_plot, self.markers)
        self.apply_button.setEnabled(self.choice.count() > 0)
        stopped = ""
        if isinstance(result, StoppedRange):  # suggestions from the part of the ramp run
            stopped = (f"Stopped at {fmt_sci(result.lrs[-1]) if result.lrs else 'the start'}"
                       f" ({len(result.lrs)} of {result.planned_steps} steps). ")
        if result.suggested_lr:
            div = f"; diverged at {fmt_sci(result.diverged_at)}" if result.diverged_at else ""
            self.status.setText(f"{stopped}Suggested learning rate: "
                                f"{fmt_sci(result.suggested_lr)} (valley){div}. No single "
                                "rule is always right: compare the markers with the curve.")
        else:
            self.status.setText(f"{stopped}Too few finite points for a suggestion: widen the "
                                "range or add steps.")

    def show_sweep(self, result: SweepResult) -> None:
        """The sweep's result (partial when stopped): its best LR offered for Apply."""
        self.sweep_result = result
        status = self.sweep.show_result(result)
        self._offer_best(result.best_lr, "so far" if result.stopped else "")
        self.status.setText(status)

    def _offer_best(self, lr: float | None, how: str = "") -> None:
        """The sweep's best LR marked on its plots and put in the Apply box."""
        self.sweep.mark_best(lr)
        if lr is None:
            return
        self.choice.clear()
        self.choice.addItem(f"sweep best{' ' + how if how else ''}: {fmt_sci(lr)}", lr)
        self.apply_button.setEnabled(True)

    def _clear_markers(self) -> None:
        for m in self.markers:
            self.range_plot.removeItem(m)
        self.markers.clear()

    def set_theme(self, theme: Any) -> None:
        self.theme = theme
        style.style_plot(self.range_plot, theme)
        self.hover.set_theme(theme)
        self.sweep.set_theme(theme)
        for line in self.markers:
            line.label.fill = label_fill(theme)
            line.label.update()
