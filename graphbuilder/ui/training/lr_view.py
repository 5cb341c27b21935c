"""LR range test and LR grid sweep, drawn live.

Left: loss against learning rate on a log axis while the range test runs (raw loss as
faint dots, the engine's EMA as a line), then the zero-phase smoothed curve and one
marker per suggestion rule (valley, steepest, min/10) with a button that applies the
chosen one to the optimizer settings. Right: the sweep, one loss-per-step curve per
candidate LR overlaid, and each candidate's final loss against its LR. Underneath, the
weight digests before/after show that the trial runs left the model untouched.
"""

from __future__ import annotations

import math
from typing import Any

import pyqtgraph as pg
from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from graphbuilder.training.events import LRPoint
from graphbuilder.training.lr_finder import LRFinderResult
from graphbuilder.ui.training import style
from graphbuilder.ui.training.fields import ListEdit, SciEdit, fmt_sci
from graphbuilder.ui.training.hover import HoverReadout
from graphbuilder.ui.training.jobs import SweepDone, SweepPoint, SweepSummary, WeightsCheck

RULES = {"valley": "valley", "steepest": "steepest slope", "min_loss_div10": "min loss / 10"}
LABEL_POS = {"valley": 0.92, "steepest": 0.74, "min_loss_div10": 0.56}
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
        self.points: list[LRPoint] = []
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
        self.stop_button.clicked.connect(self.stop_requested)
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
        self.sweep_plot = style.make_plot("Sweep: loss per step", "step", "loss", theme)
        self.final_plot = style.make_plot("Sweep: final loss", "learning rate (log)",
                                          "validation loss", theme, legend=None)
        self.final_plot.setLogMode(x=True, y=False)
        self.final = self.final_plot.plot([], [], name="final loss", pen=style.pen("#64748B", 1.2),
                                          symbol="o", symbolSize=9)
        self.sweep_curves: dict[int, pg.PlotDataItem] = {}
        self.sweep_data: dict[int, tuple[list[float], list[float]]] = {}
        self.hovers = [HoverReadout(self.range_plot, "lr", theme),
                       HoverReadout(self.sweep_plot, "step", theme),
                       HoverReadout(self.final_plot, "lr", theme)]
        self._layout()

    def _layout(self) -> None:
        controls = QHBoxLayout()
        for w in (QLabel("from"), self.start_lr, QLabel("to"), self.end_lr, QLabel("steps"),
                  self.steps, self.run_button):
            controls.addWidget(w)
        controls.addSpacing(16)
        for w in (QLabel("Sweep LRs"), self.candidates, QLabel("steps each"),
                  self.sweep_steps, self.sweep_button, self.stop_button):
            controls.addWidget(w)
        self.candidates.setMinimumWidth(170)
        suggest = QHBoxLayout()
        suggest.addWidget(self.status, 1)
        suggest.addWidget(self.weights)
        suggest.addWidget(self.choice)
        suggest.addWidget(self.apply_button)
        suggest.addWidget(self.png_button)
        grid = QGridLayout()
        grid.addWidget(self.range_plot, 0, 0, 2, 1)
        grid.addWidget(self.sweep_plot, 0, 1)
        grid.addWidget(self.final_plot, 1, 1)
        grid.setColumnStretch(0, 3)
        grid.setColumnStretch(1, 2)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.addLayout(controls)
        lay.addLayout(suggest)
        self.plot_area = QWidget()
        self.plot_area.setLayout(grid)
        grid.setContentsMargins(0, 0, 0, 0)
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

    def set_busy(self, busy: bool) -> None:
        for w in (self.run_button, self.sweep_button):
            w.setEnabled(not busy)
        self.stop_button.setEnabled(busy)

    # ------------------------------------------------------------------ range test
    def begin_range(self) -> None:
        self.points, self.result = [], None
        for c in (self.raw, self.ema, self.centred):
            c.setData([], [])
        self._clear_markers()
        self.choice.clear()
        self.apply_button.setEnabled(False)
        self.weights.setText("")
        self.status.setText("Range test running…")

    def begin_sweep(self, lrs: list[float]) -> None:
        for c in self.sweep_curves.values():
            self.sweep_plot.removeItem(c)
        self.sweep_curves.clear()
        self.sweep_data = {i: ([], []) for i in range(len(lrs))}
        for i, lr in enumerate(lrs):
            self.sweep_curves[i] = self.sweep_plot.plot(
                [], [], name=f"lr {fmt_sci(lr)}", pen=style.pen(style.series_color(i), 1.8))
        self.final.setData([], [])
        # label the candidates themselves: a narrow log range gets unreadable minor ticks
        self.final_plot.getPlotItem().getAxis("bottom").setTicks(
            [[(math.log10(lr), fmt_sci(lr)) for lr in lrs], []])
        self.final_points: list[tuple[float, float]] = []
        self.weights.setText("")
        self.status.setText(f"Sweep over {len(lrs)} learning rates running…")

    def handle(self, events: list[Any]) -> None:
        """Take a batch of worker events (range test, sweep, weight check)."""
        new_points = False
        sweep_touched = set()
        for ev in events:
            if isinstance(ev, LRPoint):
                self.points.append(ev)
                new_points = True
            elif isinstance(ev, LRFinderResult):
                self.show_result(ev)
            elif isinstance(ev, SweepPoint):
                xs, ys = self.sweep_data.setdefault(ev.index, ([], []))
                xs.append(ev.step)
                ys.append(ev.loss)
                sweep_touched.add(ev.index)
            elif isinstance(ev, SweepDone):
                if math.isfinite(ev.loss):
                    self.final_points.append((ev.lr, ev.loss))
                    self.final.setData(*zip(*sorted(self.final_points), strict=True))
            elif isinstance(ev, SweepSummary):
                self._sweep_summary(ev)
            elif isinstance(ev, WeightsCheck):
                mark = "✔ restored" if ev.restored else "✖ CHANGED"
                self.weights.setText(f"weights {ev.before} → {ev.after} {mark}")
                self.weights.setToolTip("SHA-1 of every parameter and buffer before and after "
                                        "the trial runs")
        if new_points:
            finite = [p for p in self.points if math.isfinite(p.loss)]
            self.raw.setData([p.lr for p in finite], [p.loss for p in finite])
            self.ema.setData([p.lr for p in finite], [p.smoothed for p in finite])
        for i in sweep_touched:
            xs, ys = self.sweep_data[i]
            if i in self.sweep_curves:
                self.sweep_curves[i].setData(xs, ys)

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
                                   labelOpts={"position": LABEL_POS.get(key, 0.5),
                                              "color": color, "fill": style.faded("#FFFFFF", 0)})
            self.range_plot.addItem(line)
            self.markers.append(line)
            self.choice.addItem(f"{RULES.get(key, key)}: {fmt_sci(lr)}", lr)
        self.apply_button.setEnabled(self.choice.count() > 0)
        if result.suggested_lr:
            div = f"; diverged at {fmt_sci(result.diverged_at)}" if result.diverged_at else ""
            self.status.setText(f"Suggested learning rate: {fmt_sci(result.suggested_lr)} "
                                f"(valley){div}. No single rule is always right: compare "
                                "the markers with the curve.")
        else:
            self.status.setText("Too few finite points for a suggestion: widen the range or "
                                "add steps.")

    def _sweep_summary(self, s: SweepSummary) -> None:
        self.choice.clear()
        if s.best_lr is not None:
            self.choice.addItem(f"sweep best: {fmt_sci(s.best_lr)}", s.best_lr)
            self.status.setText(f"Sweep done: best learning rate {fmt_sci(s.best_lr)} "
                                "(lowest validation loss).")
        else:
            self.status.setText("Sweep done: every candidate diverged.")
        self.apply_button.setEnabled(s.best_lr is not None)

    def _clear_markers(self) -> None:
        for m in self.markers:
            self.range_plot.removeItem(m)
        self.markers.clear()

    def set_theme(self, theme: Any) -> None:
        for p in (self.range_plot, self.sweep_plot, self.final_plot):
            style.style_plot(p, theme)
        for h in self.hovers:
            h.set_theme(theme)
