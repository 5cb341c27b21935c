"""Arranging the dashboard's parts for the room they get.

The dashboard usually docks under the canvas, wide and short: at the default window size
the panel gets about 1300 x 440 px (Run > Training dashboard), while floating or on a
big screen it may be tall. Fixed grids looked wrong in one or the other: 2x2 plots were
four 170 px high strips under the canvas, and the settings' two rows of groups did not
fit and cut the LR preview off. The containers here pick their arrangement from their
size instead; they are split from :mod:`plots` and :mod:`settings_form` because they
are only about room, not about what is shown.
"""

from __future__ import annotations

import math
from typing import Any

from PySide6.QtWidgets import QGridLayout, QWidget

#: width/height the plots look best at; :class:`PlotGrid` picks rows x columns for it
PLOT_ASPECT = 1.6


class PlotGrid(QWidget):
    """Plots in a grid whose shape follows the room: 2x2 normally, one row in the
    short, wide dock under the canvas (2x2 there made four 170 px high strips), one
    column in a tall, narrow floating dock. Chosen so each plot is closest to
    ``PLOT_ASPECT``, among the shapes where every plot gets its minimum size."""

    def __init__(self, plots: list[QWidget], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.plots = plots
        self.grid = QGridLayout(self)
        self.grid.setContentsMargins(0, 0, 0, 0)
        self.grid.setSpacing(6)
        self.columns = 0
        self.arrange(2)

    def arrange(self, columns: int) -> None:
        if columns == self.columns:
            return
        self.columns = columns
        for p in self.plots:
            self.grid.removeWidget(p)
        for i, p in enumerate(self.plots):
            self.grid.addWidget(p, i // columns, i % columns)
        n = len(self.plots)
        for i in range(n):
            self.grid.setColumnStretch(i, 1 if i < columns else 0)
            self.grid.setRowStretch(i, 1 if i < -(-n // columns) else 0)

    def best_columns(self, width: int, height: int) -> int:
        n = len(self.plots)
        mw = max(p.minimumWidth() for p in self.plots)
        mh = max(p.minimumHeight() for p in self.plots)
        gap = self.grid.spacing()
        best, score = 2, None
        for cols in (1, 2, n):
            rows = -(-n // cols)
            # exactly the grid's minimum: with any slack, a shape could be refused at its
            # own minimum size, and the layout would flip back and forth
            if cols != 2 and (width < cols * mw + (cols - 1) * gap
                              or height < rows * mh + (rows - 1) * gap):
                continue
            aspect = (width / cols) / max(height / rows, 1)
            s = abs(math.log(aspect / PLOT_ASPECT))
            if score is None or s < score:
                best, score = cols, s
        return best

    def resizeEvent(self, event: Any) -> None:  # noqa: N802 - Qt API
        super().resizeEvent(event)
        self.arrange(self.best_columns(self.width(), self.height()))


# ------------------------------------------------------------------ settings form
KEYS = ("error", "Data", "Training", "Optimizer", "Schedule", "preview", "Hardware")
#: key -> (row, column, row span, column span)
NARROW = {"error": (0, 0, 1, 3), "Data": (1, 0, 1, 1), "Training": (1, 1, 1, 1),
          "Optimizer": (1, 2, 1, 1), "Schedule": (2, 0, 1, 1), "preview": (2, 1, 1, 1),
          "Hardware": (2, 2, 1, 1)}
WIDE = {"error": (0, 0, 1, 4), "Data": (1, 0, 2, 1), "Training": (1, 1, 2, 1),
        "Optimizer": (1, 2, 1, 1), "Schedule": (2, 2, 1, 1), "preview": (1, 3, 1, 1),
        "Hardware": (2, 3, 1, 1)}
WIDE_COLUMNS = (("Data",), ("Training",), ("Optimizer", "Schedule"), ("preview", "Hardware"))


class FormGrid(QWidget):
    """The settings form's scrolled content: five groups and the LR preview in two rows
    of three, or, when the width gives every group its minimum size in four columns,
    one row (Data | Training | Optimizer over LR schedule | preview over Hardware)."""

    def __init__(self, items: dict[str, QWidget], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.items = items
        self.grid = QGridLayout(self)
        self.grid.setContentsMargins(6, 6, 6, 6)
        self.wide: bool | None = None
        self.arrange(False)

    def arrange(self, wide: bool) -> None:
        if wide == self.wide:
            return
        self.wide = wide
        places = WIDE if wide else NARROW
        for key in KEYS:
            self.grid.removeWidget(self.items[key])
        for key in KEYS:
            self.grid.addWidget(self.items[key], *places[key])
        for col, stretch in enumerate((2, 2, 2, 3) if wide else (1, 1, 1, 0)):
            self.grid.setColumnStretch(col, stretch)  # wide: the preview gets a bit more
        for row in range(3):  # wide: extra height goes to the preview's row
            self.grid.setRowStretch(row, 1 if wide and row == 1 else 0)

    def wide_width(self) -> int:
        """The least width at which the four columns fit."""
        spacing = self.grid.horizontalSpacing()
        m = self.grid.contentsMargins()
        cols = [max(max(self.items[k].minimumSizeHint().width(), self.items[k].minimumWidth())
                    for k in keys) for keys in WIDE_COLUMNS]
        return sum(cols) + spacing * (len(cols) - 1) + m.left() + m.right()

    def fit(self, width: int) -> None:
        self.arrange(width >= self.wide_width())

    def heightForWidth(self, width: int) -> int:  # noqa: N802 - Qt API
        """None: a resizable QScrollArea sizes a height-for-width widget (a word-wrapped
        label makes it one) to its *preferred* height, which stretched the preview plot
        to 480 px and made the form scroll for nothing."""
        return -1
