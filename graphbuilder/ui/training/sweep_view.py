"""The LR grid sweep's two plots (the engine's ``lr_sweep``), drawn live.

Split from :mod:`lr_view`, which keeps the controls, the range test and the suggestion
box: the sweep is its own concept with its own state (one curve per candidate, each
candidate's final loss, the best so far), and the tab only needs to know which LR to
offer. One loss-per-step curve per candidate LR overlaid, drawn from its ``SweepStep``
events, and each candidate's final loss against its LR in the curve's colour; the best
one is marked (thick curve, star, line). Where the plots go is :mod:`lr_layout`'s job.
"""

from __future__ import annotations

import math
from typing import Any

import pyqtgraph as pg

from graphbuilder.training.events import LRPoint, SweepStep
from graphbuilder.training.lr_finder import SweepResult
from graphbuilder.ui.training import style
from graphbuilder.ui.training.fields import fmt_sci
from graphbuilder.ui.training.hover import HoverReadout
from graphbuilder.ui.training.lr_layout import (
    HANGING,
    fit_legend,
    frame_under_legend,
    keep_legend_fitted,
    label_fill,
)


class SweepPlots:
    """The sweep's "loss per step" and "final loss" plots and what they show.

    Not a widget: :class:`~graphbuilder.ui.training.lr_layout.LRPlotArea` places the two
    plots beside the range test's, in a row or stacked, so they cannot share a parent.
    """

    def __init__(self, theme: Any = None) -> None:
        self.theme = theme
        self.sweep_plot = style.make_plot("Sweep: loss per step", "step", "loss", theme)
        self.final_plot = style.make_plot("Sweep: final loss", "learning rate (log)",
                                          "validation loss", theme, legend=None)
        self.final_plot.setLogMode(x=True, y=False)
        self.final = self.final_plot.plot([], [], name="final loss", pen=style.pen("#64748B", 1.2),
                                          symbol="o", symbolSize=9)
        self.curves: dict[int, pg.PlotDataItem] = {}
        self.data: dict[int, tuple[list[float], list[float]]] = {}
        self.lrs: list[float] = []
        self.final_points: list[tuple[float, float]] = []
        self.first_losses: dict[int, float] = {}
        self.best_lr: float | None = None
        self.best_items: list[tuple[Any, Any]] = []  # (plot, item) marking the best LR
        self.hovers = [HoverReadout(self.sweep_plot, "step", theme),
                       HoverReadout(self.final_plot, "lr", theme)]
        keep_legend_fitted(self.sweep_plot)  # first: the framing needs the legend's height
        self.sweep_plot.getPlotItem().getViewBox().sigResized.connect(lambda *_: self.frame())

    @property
    def plots(self) -> list[pg.PlotWidget]:
        return [self.sweep_plot, self.final_plot]

    def begin(self, lrs: list[float]) -> None:
        """Empty plots with one (still empty) curve per candidate, in its colour."""
        self.lrs = list(lrs)
        for c in self.curves.values():
            self.sweep_plot.removeItem(c)
        self.mark_best(None)
        self.curves.clear()
        self.data = {i: ([], []) for i in range(len(lrs))}
        self.first_losses = {}
        for i, lr in enumerate(lrs):
            self.curves[i] = self.sweep_plot.plot(
                [], [], name=f"lr {fmt_sci(lr)}", pen=style.pen(style.series_color(i), 1.8))
        fit_legend(self.sweep_plot)
        self.sweep_plot.getPlotItem().getViewBox().enableAutoRange(axis="y", enable=True)
        self.final.setData([], [])
        # label the candidates themselves: a narrow log range gets unreadable minor ticks
        self.final_plot.getPlotItem().getAxis("bottom").setTicks(
            [[(math.log10(lr), fmt_sci(lr)) for lr in lrs], []])
        self.final_points = []

    def add(self, events: list[Any]) -> None:
        """The sweep's live events: a ``SweepStep`` per step, an ``LRPoint`` (the score)
        per finished candidate. Each curve is redrawn once per batch, not per step."""
        touched = set()
        for ev in events:
            if isinstance(ev, SweepStep):
                if ev.step == 1:
                    self.first_losses[ev.candidate] = ev.loss
                if math.isfinite(ev.loss):  # a diverged candidate's curve just ends
                    xs, ys = self.data.setdefault(ev.candidate, ([], []))
                    xs.append(ev.step)
                    ys.append(ev.loss)
                    touched.add(ev.candidate)
            elif isinstance(ev, LRPoint):
                self.final_points.append((ev.lr, ev.loss))
                self.draw_final()
                touched.add(None)
        for i in touched - {None}:
            if i in self.curves:
                self.curves[i].setData(*self.data[i])
        if touched:
            self.frame()

    def frame(self) -> None:
        """Keep a blowing-up candidate from flattening the others: cap the y ranges at 3x
        the highest starting loss (the curves start from the same weights)."""
        starts = [v for v in self.first_losses.values() if math.isfinite(v)]
        if not starts:
            return
        cap = 3 * max(starts)
        finals = [loss for _, loss in self.final_points if math.isfinite(loss)]
        steps = [y for _, ys in self.data.values() for y in ys]
        if steps:  # with room on top for the legend
            frame_under_legend(self.sweep_plot, min(steps), min(max(steps), cap))
        vb = self.final_plot.getPlotItem().getViewBox()
        if finals and max(finals) > cap > 0:
            vb.setYRange(min(finals), cap, padding=0.02)
        else:
            vb.enableAutoRange(axis="y", enable=True)

    def draw_final(self) -> None:
        """Each candidate's final loss, in its curve's colour (a key to the curves)."""
        finite = sorted(p for p in self.final_points if math.isfinite(p[1]))
        index = {lr: i for i, lr in enumerate(self.lrs)}
        brushes = [pg.mkBrush(style.series_color(index[lr]) if lr in index else "#64748B")
                   for lr, _ in finite]
        self.final.setData([p[0] for p in finite], [p[1] for p in finite],
                           symbolBrush=brushes)

    def show_result(self, result: SweepResult) -> str:
        """Redraw from the result's full curves (a batch of steps may have been missed),
        mark its best LR; returns the status line."""
        for i, curve in enumerate(result.curves):
            finite = [(s, v) for s, v in enumerate(curve, 1) if math.isfinite(v)]
            self.data[i] = ([p[0] for p in finite], [p[1] for p in finite])
            if i in self.curves:
                self.curves[i].setData(*self.data[i])
        self.frame()
        self.mark_best(result.best_lr)
        blown = [f"{fmt_sci(lr)} (step {at})" for lr, at in
                 zip(result.lrs, result.diverged_at, strict=False) if at is not None]
        diverged = f" Diverged: {', '.join(blown)}." if blown else ""
        if result.stopped:  # the engine's partial result: the candidates that finished
            best = f"; best so far {fmt_sci(result.best_lr)}" if result.best_lr else ""
            return (f"Sweep stopped after {len(result.lrs)} of {len(self.lrs)} "
                    f"candidates{best}.{diverged}")
        if result.best_lr is None:
            return f"Sweep done: every candidate diverged.{diverged}"
        score = "validation" if result.details and "val_loss" in result.details[0] \
            else "late training"
        return (f"Sweep done: best learning rate {fmt_sci(result.best_lr)} "
                f"(lowest {score} loss).{diverged}")

    def cancelled(self) -> tuple[float | None, str]:
        """After a cancelled sweep (no result): the best LR among the candidates that
        finished, and the status line."""
        finite = [p for p in self.final_points if math.isfinite(p[1])]
        best = min(finite, key=lambda p: (p[1], p[0]))[0] if finite else None
        return best, (f"Sweep stopped after {len(self.final_points)} of {len(self.lrs)} "
                      "candidates (the model was restored)"
                      + (f"; best so far {fmt_sci(best)}." if best else "."))

    def mark_best(self, lr: float | None) -> None:
        """Thick curve, star and line at the best LR (None: clear the marks)."""
        for plot, item in self.best_items:
            plot.removeItem(item)
        self.best_items.clear()
        for i, curve in self.curves.items():
            best = i < len(self.lrs) and self.lrs[i] == lr
            curve.setPen(style.pen(style.series_color(i), 3.4 if best else 1.8))
        self.best_lr = lr
        if lr is None:
            return
        final = dict(self.final_points)
        line = pg.InfiniteLine(pos=math.log10(lr), angle=90, pen=style.pen(style.SUGGEST, 1.6),
                               label=f"best\n{fmt_sci(lr)}",
                               labelOpts={"position": 0.96, "anchors": HANGING,
                                          "color": style.SUGGEST,
                                          "fill": label_fill(self.theme)})
        self.final_plot.addItem(line)
        self.best_items.append((self.final_plot, line))
        if math.isfinite(final.get(lr, math.inf)):
            star = self.final_plot.plot([lr], [final[lr]], pen=None, symbol="star",
                                        symbolSize=20, symbolBrush=style.SUGGEST,
                                        symbolPen=None)  # a PlotDataItem: log-x aware
            self.best_items.append((self.final_plot, star))

    def set_theme(self, theme: Any) -> None:
        self.theme = theme
        for p in self.plots:
            style.style_plot(p, theme)
        for h in self.hovers:
            h.set_theme(theme)
        for _, item in self.best_items:
            if isinstance(item, pg.InfiniteLine):
                item.label.fill = label_fill(theme)
                item.label.update()
