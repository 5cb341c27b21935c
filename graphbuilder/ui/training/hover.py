"""Hover-to-read for any pyqtgraph plot: the nearest point's values in a small tag.

Works on the *displayed* data (so it follows log axes and downsampling) and converts
back for the text: in log mode pyqtgraph plots log10 of the values.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF

from graphbuilder.ui.training.style import faded, theme_colors


def _fmt(v: float) -> str:
    if v == 0 or not math.isfinite(v):
        return str(v)
    return f"{v:.3e}" if abs(v) < 1e-3 or abs(v) >= 1e5 else f"{v:.4g}"


class HoverReadout:
    """Attach to ``plot``; ``x_name`` labels the x value (``"step"``, ``"lr"``...)."""

    def __init__(self, plot: pg.PlotWidget, x_name: str, theme: object = None,
                 x_format: Callable[[float], str] = _fmt) -> None:
        self.plot = plot
        self.x_name = x_name
        self.x_format = x_format
        c = theme_colors(theme)
        self.label = pg.TextItem("", color=c["text"], anchor=(0, 1),
                                 fill=pg.mkBrush(faded(c["base"], 225)),
                                 border=pg.mkPen(c["border"]))
        self.label.setZValue(100)
        self.marker = pg.ScatterPlotItem(size=8, pen=pg.mkPen(c["text"]), brush=None)
        self.marker.setZValue(99)
        for item in (self.label, self.marker):
            plot.addItem(item, ignoreBounds=True)
        self.hide()
        plot.scene().sigMouseMoved.connect(self._moved)
        self.last_text = ""

    def set_theme(self, theme: object) -> None:
        c = theme_colors(theme)
        self.label.setColor(c["text"])
        self.label.fill = pg.mkBrush(faded(c["base"], 225))
        self.label.border = pg.mkPen(c["border"])
        self.marker.setPen(pg.mkPen(c["text"]))

    def hide(self) -> None:
        self.label.hide()
        self.marker.hide()

    def _curves(self) -> list[pg.PlotDataItem]:
        return [c for c in self.plot.getPlotItem().listDataItems()
                if isinstance(c, pg.PlotDataItem) and c.isVisible() and c.name()]

    def _moved(self, pos: QPointF) -> None:
        vb = self.plot.getPlotItem().getViewBox()
        if not vb.sceneBoundingRect().contains(pos):
            self.hide()
            return
        self.show_nearest(vb.mapSceneToView(pos))

    def show_nearest(self, at: QPointF) -> str:
        """Mark the data point nearest to view coordinates ``at``; returns the text."""
        vb = self.plot.getPlotItem().getViewBox()
        (x0, x1), (y0, y1) = vb.viewRange()
        sx, sy = max(x1 - x0, 1e-12), max(y1 - y0, 1e-12)
        best = None
        for curve in self._curves():
            xs, ys = curve.getData()
            if xs is None or len(xs) == 0:
                continue
            i = int(np.clip(np.searchsorted(xs, at.x()), 0, len(xs) - 1))
            for j in {max(i - 1, 0), i}:
                if not (math.isfinite(xs[j]) and math.isfinite(ys[j])):
                    continue
                d = ((xs[j] - at.x()) / sx) ** 2 + ((ys[j] - at.y()) / sy) ** 2
                if best is None or d < best[0]:
                    best = (d, curve, float(xs[j]), float(ys[j]))
        if best is None:
            self.hide()
            return ""
        _, curve, xd, yd = best
        log_x, log_y = curve.opts.get("logMode", (False, False))
        x = 10 ** xd if log_x else xd
        y = 10 ** yd if log_y else yd
        self.last_text = f"{self.x_name} {self.x_format(x)}\n{curve.name()}: {_fmt(y)}"
        self.label.setText(self.last_text)
        self.label.setPos(xd, yd)
        # keep the tag inside the view: flip it left/down near the right/top edges
        self.label.setAnchor((1 if xd > x0 + 0.6 * sx else 0, 0 if yd > y0 + 0.7 * sy else 1))
        self.marker.setData([xd], [yd])
        self.label.show()
        self.marker.show()
        return self.last_text
