"""LR range test and LR grid sweep, drawn live.

The range test: loss against learning rate on a log axis while it runs (raw loss as
faint dots, the engine's EMA as a line), then the zero-phase smoothed curve and one
marker per suggestion rule (valley, steepest, min/10) with a button that applies the
chosen one to the optimizer settings. The sweep (the engine's ``lr_sweep``): one
loss-per-step curve per candidate LR overlaid, drawn from its ``SweepStep`` events, and
each candidate's final loss against its LR in the curve's colour; the best one is marked
(thick curve, star, line) and offered like a suggestion. Beside the suggestion, the
weights' digest shows that the trial runs left the model untouched. The three plots sit
in a row in the short dock under the canvas and the sweep's two stack beside the range
test when there is height (:mod:`lr_layout`).
"""

from __future__ import annotations

import math
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

from graphbuilder.training.events import LRPoint, SweepStep
from graphbuilder.training.lr_finder import LRFinderResult, SweepResult
from graphbuilder.ui.training import style
from graphbuilder.ui.training.fields import ListEdit, SciEdit, fmt_sci
from graphbuilder.ui.training.hover import HoverReadout
from graphbuilder.ui.training.jobs import WeightsCheck
from graphbuilder.ui.training.lr_layout import (
    HANGING,
    ControlRows,
    LRPlotArea,
    fit_legend,
    fit_text,
    frame_under_legend,
    hang_labels,
    keep_legend_fitted,
)

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
        self.sweep_lrs: list[float] = []
        self.final_points: list[tuple[float, float]] = []
        self.first_losses: dict[int, float] = {}
        self.best_lr: float | None = None
        self.best_items: list[tuple[Any, Any]] = []  # (plot, item) marking the best LR
        self.hovers = [HoverReadout(self.range_plot, "lr", theme),
                       HoverReadout(self.sweep_plot, "step", theme),
                       HoverReadout(self.final_plot, "lr", theme)]
        # the range test's legend top left, over the flat start (the divergent tail
        # leaves at the top right); the rules' labels hang under it
        legend = self.range_plot.getPlotItem().legend
        legend.opts["offset"] = (8, 6)
        legend.anchor(itemPos=(0, 0), parentPos=(0, 0), offset=(8, 6))
        for plot in (self.range_plot, self.sweep_plot):
            keep_legend_fitted(plot)  # first: the slots below need the legend's height
        self.range_plot.getPlotItem().getViewBox().sigResized.connect(
            lambda *_: hang_labels(self.range_plot, self.markers))
        self.sweep_plot.getPlotItem().getViewBox().sigResized.connect(
            lambda *_: self._frame_sweep())
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
        self.plot_area = LRPlotArea([self.range_plot, self.sweep_plot, self.final_plot])
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
        was_busy, self.busy = self.busy, busy
        for w in (self.run_button, self.sweep_button):
            w.setEnabled(not busy)
        self.stop_button.setEnabled(busy)
        if was_busy and not busy:
            self._ended()

    def _ended(self) -> None:
        """The job's thread is done; without a result it was stopped (the panel replaces
        this text when it failed). Closing the engine's generator restored the weights."""
        if self.mode == "range" and self.result is None:
            self.status.setText("Range test stopped before the end: no suggestion "
                                "(the model was restored).")
        elif self.mode == "sweep" and self.sweep_result is None:
            n = len(self.final_points)
            finite = [p for p in self.final_points if math.isfinite(p[1])]
            best = min(finite, key=lambda p: (p[1], p[0]))[0] if finite else None
            self._mark_best(best, "so far")
            self.status.setText(f"Sweep stopped after {n} of {len(self.sweep_lrs)} "
                                "candidates (the model was restored)" +
                                (f"; best so far {fmt_sci(best)}." if best else "."))
        self.mode = "idle"

    # ------------------------------------------------------------------ range test
    def begin_range(self) -> None:
        self.points, self.result, self.mode = [], None, "range"
        for c in (self.raw, self.ema, self.centred):
            c.setData([], [])
        self._clear_markers()
        self.choice.clear()
        self.apply_button.setEnabled(False)
        self.weights.setText("")
        self.status.setText("Range test running…")

    def begin_sweep(self, lrs: list[float]) -> None:
        self.mode, self.sweep_result, self.sweep_lrs = "sweep", None, list(lrs)
        for c in self.sweep_curves.values():
            self.sweep_plot.removeItem(c)
        self._mark_best(None)
        self.sweep_curves.clear()
        self.sweep_data = {i: ([], []) for i in range(len(lrs))}
        self.first_losses = {}
        for i, lr in enumerate(lrs):
            self.sweep_curves[i] = self.sweep_plot.plot(
                [], [], name=f"lr {fmt_sci(lr)}", pen=style.pen(style.series_color(i), 1.8))
        fit_legend(self.sweep_plot)
        self.sweep_plot.getPlotItem().getViewBox().enableAutoRange(axis="y", enable=True)
        self.final.setData([], [])
        # label the candidates themselves: a narrow log range gets unreadable minor ticks
        self.final_plot.getPlotItem().getAxis("bottom").setTicks(
            [[(math.log10(lr), fmt_sci(lr)) for lr in lrs], []])
        self.final_points = []
        self.choice.clear()
        self.apply_button.setEnabled(False)
        self.weights.setText("")
        self.status.setText(f"Sweep over {len(lrs)} learning rates running…")

    def handle(self, events: list[Any]) -> None:
        """Take a batch of worker events (range test, sweep, weight check)."""
        new_points = False
        sweep_touched = set()
        for ev in events:
            if isinstance(ev, SweepStep):
                if ev.step == 1:
                    self.first_losses[ev.candidate] = ev.loss
                if math.isfinite(ev.loss):  # a diverged candidate's curve just ends
                    xs, ys = self.sweep_data.setdefault(ev.candidate, ([], []))
                    xs.append(ev.step)
                    ys.append(ev.loss)
                    sweep_touched.add(ev.candidate)
            elif isinstance(ev, LRPoint) and self.mode == "sweep":  # a candidate finished
                self.final_points.append((ev.lr, ev.loss))
                self._draw_final()
                self._frame_sweep()
            elif isinstance(ev, LRPoint):
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
        for i in sweep_touched:
            xs, ys = self.sweep_data[i]
            if i in self.sweep_curves:
                self.sweep_curves[i].setData(xs, ys)
        if sweep_touched:
            self._frame_sweep()

    def _frame_sweep(self) -> None:
        """Keep a blowing-up candidate from flattening the others: cap the y ranges at 3x
        the highest starting loss (the curves start from the same weights)."""
        starts = [v for v in self.first_losses.values() if math.isfinite(v)]
        if not starts:
            return
        cap = 3 * max(starts)
        finals = [loss for _, loss in self.final_points if math.isfinite(loss)]
        steps = [y for _, ys in self.sweep_data.values() for y in ys]
        if steps:  # with room on top for the legend
            frame_under_legend(self.sweep_plot, min(steps), min(max(steps), cap))
        vb = self.final_plot.getPlotItem().getViewBox()
        if finals and max(finals) > cap > 0:
            vb.setYRange(min(finals), cap, padding=0.02)
        else:
            vb.enableAutoRange(axis="y", enable=True)

    def _draw_final(self) -> None:
        """Each candidate's final loss, in its curve's colour (a key to the curves)."""
        finite = sorted(p for p in self.final_points if math.isfinite(p[1]))
        index = {lr: i for i, lr in enumerate(self.sweep_lrs)}
        brushes = [pg.mkBrush(style.series_color(index[lr]) if lr in index else "#64748B")
                   for lr, _ in finite]
        self.final.setData([p[0] for p in finite], [p[1] for p in finite],
                           symbolBrush=brushes)

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
                                              "fill": self._label_fill()})
            self.range_plot.addItem(line)
            self.markers.append(line)
            self.choice.addItem(f"{RULES.get(key, key)}: {fmt_sci(lr)}", lr)
        hang_labels(self.range_plot, self.markers)
        self.apply_button.setEnabled(self.choice.count() > 0)
        if result.suggested_lr:
            div = f"; diverged at {fmt_sci(result.diverged_at)}" if result.diverged_at else ""
            self.status.setText(f"Suggested learning rate: {fmt_sci(result.suggested_lr)} "
                                f"(valley){div}. No single rule is always right: compare "
                                "the markers with the curve.")
        else:
            self.status.setText("Too few finite points for a suggestion: widen the range or "
                                "add steps.")

    def show_sweep(self, result: SweepResult) -> None:
        """The sweep's result: mark the best LR and offer it like a suggestion."""
        self.sweep_result = result
        for i, curve in enumerate(result.curves):  # the full curves (a batch may be missing)
            finite = [(s, v) for s, v in enumerate(curve, 1) if math.isfinite(v)]
            self.sweep_data[i] = ([p[0] for p in finite], [p[1] for p in finite])
            if i in self.sweep_curves:
                self.sweep_curves[i].setData(*self.sweep_data[i])
        self._frame_sweep()
        self._mark_best(result.best_lr)
        blown = [f"{fmt_sci(lr)} (step {at})" for lr, at in
                 zip(result.lrs, result.diverged_at, strict=False) if at is not None]
        diverged = f" Diverged: {', '.join(blown)}." if blown else ""
        if result.best_lr is not None:
            score = "validation" if result.details and "val_loss" in result.details[0] \
                else "late training"
            self.status.setText(f"Sweep done: best learning rate {fmt_sci(result.best_lr)} "
                                f"(lowest {score} loss).{diverged}")
        else:
            self.status.setText(f"Sweep done: every candidate diverged.{diverged}")

    def _mark_best(self, lr: float | None, how: str = "") -> None:
        """Thick curve, star and line at the best LR, and it in the Apply box (None:
        clear the marks)."""
        for plot, item in self.best_items:
            plot.removeItem(item)
        self.best_items.clear()
        for i, curve in self.sweep_curves.items():
            best = i < len(self.sweep_lrs) and self.sweep_lrs[i] == lr
            curve.setPen(style.pen(style.series_color(i), 3.4 if best else 1.8))
        self.best_lr = lr
        if lr is None:
            return
        final = dict(self.final_points)
        line = pg.InfiniteLine(pos=math.log10(lr), angle=90, pen=style.pen(style.SUGGEST, 1.6),
                               label=f"best\n{fmt_sci(lr)}",
                               labelOpts={"position": 0.96, "anchors": HANGING,
                                          "color": style.SUGGEST,
                                          "fill": self._label_fill()})
        self.final_plot.addItem(line)
        self.best_items.append((self.final_plot, line))
        if math.isfinite(final.get(lr, math.inf)):
            star = self.final_plot.plot([lr], [final[lr]], pen=None, symbol="star",
                                        symbolSize=20, symbolBrush=style.SUGGEST,
                                        symbolPen=None)  # a PlotDataItem: log-x aware
            self.best_items.append((self.final_plot, star))
        self.choice.clear()
        self.choice.addItem(f"sweep best{' ' + how if how else ''}: {fmt_sci(lr)}", lr)
        self.apply_button.setEnabled(True)

    def _clear_markers(self) -> None:
        for m in self.markers:
            self.range_plot.removeItem(m)
        self.markers.clear()

    def _label_fill(self) -> Any:
        """A marker label's backdrop: its text stays readable over curves and lines."""
        return pg.mkBrush(style.faded(style.theme_colors(self.theme)["base"], 170))

    def set_theme(self, theme: Any) -> None:
        self.theme = theme
        for p in (self.range_plot, self.sweep_plot, self.final_plot):
            style.style_plot(p, theme)
        for h in self.hovers:
            h.set_theme(theme)
        for line in self.markers + [i for _, i in self.best_items
                                    if isinstance(i, pg.InfiniteLine)]:
            line.label.fill = self._label_fill()
            line.label.update()
