"""Room for the LR finder tab (:mod:`lr_view`, :mod:`sweep_view`): plots, control rows,
legends, labels.

The tab shares the dock under the canvas, wide and short (the plots get about 1250 x
300 px at the usual 460 px dock), with a dock dragged taller or floating. A fixed range
plot beside two stacked sweep plots made the sweep plots 110 px high strips at the
usual height, their legend covered the curves and was cut off. So, as in
:mod:`arrange`, the containers here pick their arrangement from their size: three plots
in a row when short and wide, the range plot beside the two sweep plots stacked when
there is height, one column when narrow. Legends take columns to stay one or two rows
high, and marker labels hang down from the top of the view so they are never clipped.
"""

from __future__ import annotations

import math
from typing import Any

import pyqtgraph as pg
from PySide6.QtCore import QSize
from PySide6.QtWidgets import (
    QGridLayout,
    QHBoxLayout,
    QLineEdit,
    QSizePolicy,
    QStyle,
    QStyleOptionFrame,
    QWidget,
)

from graphbuilder.ui.training import style
from graphbuilder.ui.training.arrange import PLOT_ASPECT

#: mode -> ((row, column, row span, column span) of the range, sweep and final-loss
#: plots, column stretches): three in a row / range beside the sweep's two / one column
PLACES: dict[str, tuple[tuple[tuple[int, int, int, int], ...], tuple[int, ...]]] = {
    "row": (((0, 0, 1, 1), (0, 1, 1, 1), (0, 2, 1, 1)), (4, 3, 3)),
    "stack": (((0, 0, 2, 1), (0, 1, 1, 1), (1, 1, 1, 1)), (3, 2)),
    "column": (((0, 0, 1, 1), (1, 0, 1, 1), (2, 0, 1, 1)), (1,)),
}
#: (columns, rows) of the grid in each mode
SHAPES = {"row": (3, 1), "stack": (2, 2), "column": (1, 3)}
#: a marker label's text hangs below its anchor, right of its line in the left half of
#: the view and left of it in the right half: inside the view wherever the line is
HANGING = [(0, 0), (1, 0)]


def label_fill(theme: Any) -> Any:
    """A marker label's backdrop: its text stays readable over curves and lines."""
    return pg.mkBrush(style.faded(style.theme_colors(theme)["base"], 170))


class LRPlotArea(QWidget):
    """The range plot and the sweep's two plots, arranged for the room (see
    :data:`PLACES`): the mode whose plots come closest to ``PLOT_ASPECT``, among those
    where every plot gets its minimum size."""

    def __init__(self, plots: list[QWidget], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.plots = plots
        self.grid = QGridLayout(self)
        self.grid.setContentsMargins(0, 0, 0, 0)
        self.grid.setSpacing(6)
        self.mode = ""
        self.arrange("stack")

    def arrange(self, mode: str) -> None:
        if mode == self.mode:
            return
        self.mode = mode
        places, stretches = PLACES[mode]
        for p in self.plots:
            self.grid.removeWidget(p)
        for p, place in zip(self.plots, places, strict=True):
            self.grid.addWidget(p, *place)
        for i in range(3):
            self.grid.setColumnStretch(i, stretches[i] if i < len(stretches) else 0)
            self.grid.setRowStretch(i, 1 if i < SHAPES[mode][1] else 0)

    def plot_sizes(self, mode: str, width: int, height: int) -> list[tuple[float, float]]:
        """The plots' sizes in ``mode`` at ``width`` x ``height`` (stretches only)."""
        gap = self.grid.spacing()
        places, stretches = PLACES[mode]
        cols, rows = SHAPES[mode]
        cw = [(width - (cols - 1) * gap) * s / sum(stretches) for s in stretches]
        rh = (height - (rows - 1) * gap) / rows
        return [(cw[c], rh * rs + gap * (rs - 1)) for _, c, rs, _ in places]

    def fits(self, mode: str, width: int, height: int) -> tuple[bool, bool]:
        """(width, height) give every plot its minimum in ``mode`` (exactly the grid's
        minimum: any slack could refuse a shape at its own minimum size and flip)."""
        cols, rows = SHAPES[mode]
        gap = self.grid.spacing()
        mw = max(p.minimumWidth() for p in self.plots)
        mh = max(p.minimumHeight() for p in self.plots)
        return (width >= cols * mw + (cols - 1) * gap, height >= rows * mh + (rows - 1) * gap)

    def best_mode(self, width: int, height: int) -> str:
        modes = [m for m in PLACES if all(self.fits(m, width, height))] or \
            [m for m in PLACES if self.fits(m, width, height)[0]] or ["column"]

        def score(mode: str) -> float:
            return sum(abs(math.log(max(w, 1) / max(h, 1) / PLOT_ASPECT))
                       for w, h in self.plot_sizes(mode, width, height))

        return min(modes, key=score)

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt API
        """What the narrowest and the shortest modes need: the grid's own minimum (the
        mode in use) would keep the dock from getting narrower than three plots."""
        mw = max(p.minimumWidth() for p in self.plots)
        mh = max(p.minimumHeight() for p in self.plots)
        return QSize(mw, mh)

    def resizeEvent(self, event: Any) -> None:  # noqa: N802 - Qt API
        super().resizeEvent(event)
        self.arrange(self.best_mode(self.width(), self.height()))


class ControlRows(QWidget):
    """The range test's and the sweep's controls: one row when both fit side by side,
    else one row each. ``groups``: each group's widgets (None: a stretch); ``stretch``
    takes a row's spare width."""

    def __init__(self, groups: list[list[QWidget | None]], stretch: QWidget,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.groups = []
        for widgets in groups:
            box = QWidget()
            row = QHBoxLayout(box)
            row.setContentsMargins(0, 0, 0, 0)
            for w in widgets:
                if w is None:
                    row.addStretch(1)
                else:
                    row.addWidget(w, 1 if w is stretch else 0)
            self.groups.append(box)
        self.grid = QGridLayout(self)
        self.grid.setContentsMargins(0, 0, 0, 0)
        self.grid.setHorizontalSpacing(24)
        self.grid.setVerticalSpacing(4)
        self.one_row: bool | None = None
        self.arrange(True)

    def arrange(self, one_row: bool) -> None:
        if one_row == self.one_row:
            return
        self.one_row = one_row
        for g in self.groups:
            self.grid.removeWidget(g)
        for i, g in enumerate(self.groups):
            self.grid.addWidget(g, 0 if one_row else i, i if one_row else 0)
        self.grid.setColumnStretch(0, 0 if one_row else 1)
        self.grid.setColumnStretch(1, 1 if one_row else 0)

    def one_row_width(self) -> int:
        return sum(g.minimumSizeHint().width() for g in self.groups) + \
            self.grid.horizontalSpacing() * (len(self.groups) - 1)

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt API
        """As narrow as one group (two rows): one row's width would keep it one row."""
        return QSize(max(g.minimumSizeHint().width() for g in self.groups),
                     self.grid.minimumSize().height())

    def resizeEvent(self, event: Any) -> None:  # noqa: N802 - Qt API
        super().resizeEvent(event)
        self.arrange(self.width() >= self.one_row_width())


def text_room(edit: QLineEdit, width: int | None = None) -> int:
    """The width a line edit shows its text in (frame and margins off), at its width
    or at ``width``."""
    opt = QStyleOptionFrame()
    edit.initStyleOption(opt)
    if width is not None:
        opt.rect.setWidth(width)
    r = edit.style().subElementRect(QStyle.SubElement.SE_LineEditContents, opt, edit)
    m = edit.textMargins()
    return r.width() - m.left() - m.right() - 4  # QLineEdit's own 2 px either side


def fit_text(edit: QLineEdit, text: str | None = None, fixed: bool = False) -> None:
    """Make ``edit`` at least wide enough to show ``text`` (its current text by default)
    whole, from its font metrics; ``fixed``: exactly that wide (short numbers)."""
    edit.ensurePolished()
    text = edit.text() if text is None else text
    frame = 200 - text_room(edit, 200)
    width = edit.fontMetrics().horizontalAdvance(text + "  ") + frame  # + the cursor
    edit.setMinimumWidth(width)
    if fixed:
        edit.setFixedWidth(width)
        edit.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)


def fit_legend(plot: pg.PlotWidget, share: float = 0.9) -> None:
    """As many legend columns as fit in ``share`` of the view's width (all in one row
    when there is room): a one-column legend of five entries covered a short plot."""
    legend = plot.getPlotItem().legend
    if legend is None or not legend.items:
        return
    spacing = legend.layout.horizontalSpacing()
    entry = max(s.boundingRect().width() + lab.minimumWidth() + 2 * spacing + 3
                for s, lab in legend.items)
    room = plot.getPlotItem().getViewBox().width() * share
    legend.setColumnCount(max(1, min(len(legend.items), int(room // max(entry, 1)))))


def keep_legend_fitted(plot: pg.PlotWidget, share: float = 0.9) -> None:
    """:func:`fit_legend` whenever the view is resized; a thinner frame too."""
    legend = plot.getPlotItem().legend
    if legend is not None:
        legend.layout.setContentsMargins(4, 1, 6, 1)  # 9 px: a third of a row's height
    plot.getPlotItem().getViewBox().sigResized.connect(lambda *_: fit_legend(plot, share))


def legend_bottom(plot: pg.PlotWidget) -> float:
    """How far down the view the legend reaches, in pixels (0 without one)."""
    legend = plot.getPlotItem().legend
    if legend is None or not legend.items:
        return 0.0
    return legend.pos().y() + legend.boundingRect().height()


def frame_under_legend(plot: pg.PlotWidget, lo: float, hi: float) -> None:
    """The y range ``lo`` .. ``hi`` with room on top for the legend, so that it sits
    over no curve (a legend over the view covered the curves of a short plot)."""
    height = plot.getPlotItem().getViewBox().height()
    share = min((legend_bottom(plot) + 4) / height, 0.5) if height > 0 else 0.0
    span = hi - lo or max(abs(hi) * 0.1, 1e-9)
    lo, hi = lo - 0.03 * span, hi + 0.03 * span
    plot.setYRange(lo, hi + (hi - lo) * share / (1 - share), padding=0)


def hang_labels(plot: pg.PlotWidget, lines: list[pg.InfiniteLine], top: float = 4) -> None:
    """Hang the vertical ``lines``' labels one under another from below the legend
    (``top`` px under it): fixed fractions of the height overlapped in a short view."""
    height = plot.getPlotItem().getViewBox().height()
    if height <= 0:
        return
    y = legend_bottom(plot) + top
    for line in lines:
        line.label.setPosition(max(1 - y / height, 0.0))
        y += line.label.boundingRect().height() + 2
