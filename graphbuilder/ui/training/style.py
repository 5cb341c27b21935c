"""Plot styling shared by every dashboard plot, derived from the editor's theme.

The plots take the theme's base/text colours so the dashboard sits in the editor
without a jarring black pyqtgraph default, and one fixed series palette (readable on
both the light and dark base) so "train" and "validation" keep their colours everywhere.
"""

from __future__ import annotations

import math
from typing import Any

import pyqtgraph as pg
from PySide6.QtGui import QColor, QFont

try:  # the editor's theme; a plain default when the editor is absent (tests, benchmarks)
    from graphbuilder.ui.theme import LIGHT, Theme
except ImportError:  # pragma: no cover
    Theme = Any  # type: ignore[misc,assignment]
    LIGHT = None  # type: ignore[assignment]

pg.setConfigOptions(antialias=True)

TRAIN = "#2563EB"  # blue
VAL = "#EA580C"  # orange
LR = "#0D9488"  # teal
METRIC = "#9333EA"  # purple
SUGGEST = "#16A34A"  # green
#: one colour per run / LR candidate when curves are overlaid
SERIES = ["#2563EB", "#EA580C", "#16A34A", "#DC2626", "#9333EA", "#0891B2", "#CA8A04",
          "#DB2777", "#65A30D", "#475569"]


def series_color(i: int) -> str:
    return SERIES[i % len(SERIES)]


def faded(color: str, alpha: int = 80) -> QColor:
    c = QColor(color)
    c.setAlpha(alpha)
    return c


def theme_colors(theme: Any) -> dict[str, str]:
    """base / text / subtext / grid colours of ``theme`` (light defaults without one)."""
    if theme is None:
        return {"base": "#FFFFFF", "text": "#111827", "subtext": "#4B5563", "grid": "#E2E8F0",
                "window": "#F3F4F6", "error": "#DC2626", "border": "#CBD5E1"}
    return {"base": theme.base, "text": theme.text, "subtext": theme.subtext,
            "grid": theme.grid, "window": theme.window, "error": theme.error,
            "border": theme.node_border}


class Axis(pg.AxisItem):
    """On a log scale, labels 1, 2 and 5 of each decade only: pyqtgraph's 1 to 9 piled
    up on a short axis ("0.9" over "0.8" over "0.7"...)."""

    def logTickValues(self, minVal: float, maxVal: float, size: float,  # noqa: N802,N803
                      stdTicks: list) -> list:  # noqa: N803
        out = []
        for spacing, ticks in super().logTickValues(minVal, maxVal, size, stdTicks):
            if spacing is None:  # the minor level: log10 of 1..9 in each decade
                ticks = [t for t in ticks if round(10 ** (t - math.floor(t + 1e-9))) in (1, 2, 5)]
            out.append((spacing, ticks))
        return out


class IntAxis(Axis):
    """An axis with ticks on whole numbers only (epochs: no "2.5")."""

    def tickValues(self, minVal: float, maxVal: float, size: float) -> list:  # noqa: N802,N803
        out = []
        for spacing, ticks in super().tickValues(minVal, maxVal, size):
            if spacing >= 1:
                out.append((spacing, [t for t in ticks if float(t).is_integer()]))
        return out or [(1.0, [float(v) for v in range(int(minVal), int(maxVal) + 1)][:12])]


class Plot(pg.PlotWidget):
    """A PlotWidget that adds up the time spent painting it (``paint_s``), so the live
    plots can slow their redraw rate down on a machine where painting is expensive."""

    paint_s = 0.0

    def paintEvent(self, ev: Any) -> None:  # noqa: N802 - Qt API
        import time

        t = time.perf_counter()
        super().paintEvent(ev)
        self.paint_s += time.perf_counter() - t


def make_plot(title: str, x_label: str, y_label: str, theme: Any = None,
              legend: str | None = "top") -> pg.PlotWidget:
    """A PlotWidget with our look: themed background, light grid, small fonts, legend
    (``legend``: "top" / "bottom" right corner, or None for single-curve plots)."""
    axes = {"left": Axis("left"),
            "bottom": IntAxis("bottom") if x_label == "epoch" else Axis("bottom")}
    w = Plot(axisItems=axes)
    w.setMinimumSize(220, 150)
    item = w.getPlotItem()
    item.setTitle(title)
    item.setLabel("bottom", x_label)
    item.setLabel("left", y_label)
    item.showGrid(x=True, y=True, alpha=0.25)
    # a fixed width: tick labels changing width ("0.5" -> "0.55") would otherwise
    # re-layout and repaint the whole plot on every redraw
    item.getAxis("left").setWidth(62)
    if legend:
        item.addLegend(offset=(-8, 8 if legend == "top" else -8), labelTextSize="8pt")
    style_plot(w, theme)  # after the legend: it takes the theme's text colour too
    return w


def style_plot(w: pg.PlotWidget, theme: Any) -> None:
    """(Re)apply the theme to an existing plot (the user can switch light/dark live)."""
    c = theme_colors(theme)
    w.setBackground(c["base"])
    item = w.getPlotItem()
    font = QFont("DejaVu Sans")
    font.setPointSizeF(8)
    for name in ("left", "bottom"):
        axis = item.getAxis(name)
        axis.setPen(pg.mkPen(c["subtext"]))
        axis.setTextPen(pg.mkPen(c["subtext"]))
        axis.setTickFont(font)
        axis.label.setDefaultTextColor(QColor(c["subtext"]))
        axis.enableAutoSIPrefix(False)
        # disabling runs one last update that may leave a x1000 scale behind: undo it
        axis.autoSIPrefixScale = 1.0
        axis.labelUnitPrefix = ""
        axis.picture = None
        # major ticks only: every grid line is re-rasterised on each repaint, and the
        # minor ones doubled the cost of a live redraw
        axis.setStyle(maxTickLevel=0)
    title = item.titleLabel
    title.setAttr("color", c["text"])
    title.setAttr("size", "9.5pt")
    title.setText(title.text, color=c["text"], size="9.5pt", bold=True)
    legend = item.legend
    if legend is not None:
        legend.setLabelTextColor(c["text"])
        for _, label in legend.items:  # setLabelTextColor only stores the colour
            label.setText(label.text)
        legend.setBrush(pg.mkBrush(faded(c["base"], 210)))
        legend.setPen(pg.mkPen(c["border"]))


def pen(color: str, width: float = 1.6, alpha: int = 255, dash: bool = False) -> Any:
    from PySide6.QtCore import Qt

    col = QColor(color)
    col.setAlpha(alpha)
    return pg.mkPen(col, width=width, style=Qt.PenStyle.DashLine if dash else
                    Qt.PenStyle.SolidLine)


def fit_flat_y(plot: pg.PlotWidget, values: Any) -> None:
    """A constant curve (a constant LR) gets a 0..1.5x range instead of a +-0.5 band
    around it; anything else auto-ranges as usual."""
    import numpy as np

    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    vb = plot.getPlotItem().getViewBox()
    if len(v) and v.max() - v.min() <= 1e-9 * max(abs(v.max()), 1e-30) and \
            not plot.getPlotItem().ctrl.logYCheck.isChecked():
        hi = abs(float(v.max())) or 1.0
        vb.enableAutoRange(axis="y", enable=False)
        vb.setYRange(0, hi * 1.5, padding=0)
    else:
        vb.enableAutoRange(axis="y", enable=True)


def export_png(widget: Any, default_name: str, path: str | None = None) -> str | None:
    """Save a picture of ``widget`` (asks for a file name unless ``path`` is given)."""
    if path is None:
        from PySide6.QtWidgets import QFileDialog

        path, _ = QFileDialog.getSaveFileName(widget, "Export image", default_name,
                                              "PNG image (*.png)")
    if not path:
        return None
    return path if widget.grab().save(path, "PNG") else None
