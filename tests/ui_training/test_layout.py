"""The dashboard fits the room it gets (the wide, short dock under the canvas included)
and its axes stay readable."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QScrollArea

from graphbuilder.ui.training import style
from graphbuilder.ui.training.plots import LivePlots
from graphbuilder.ui.training.settings_form import SettingsForm


def _show(qtbot: Any, widget: Any, w: int, h: int) -> None:
    widget.resize(w, h)
    widget.show()
    qtbot.waitExposed(widget)
    qtbot.wait(20)


def test_live_plots_pick_rows_and_columns_for_the_room(qtbot: Any) -> None:
    plots = LivePlots()
    qtbot.addWidget(plots)
    grid = plots.plot_area
    for (w, h), columns in (((1300, 380), 4), ((1000, 700), 2), ((320, 1100), 1)):
        _show(qtbot, plots, w, h)
        assert grid.columns == columns, (w, h)
    # a shape that would squeeze a plot below its minimum is never chosen
    assert grid.best_columns(600, 120) == 2
    # one row stays chosen at exactly its own minimum height (no flip-flop with 2x2)
    assert grid.best_columns(1300, plots.loss_plot.minimumHeight()) == 4


def test_settings_form_goes_to_one_row_when_wide(qtbot: Any) -> None:
    form = SettingsForm()
    qtbot.addWidget(form)
    _show(qtbot, form, 1300, 380)
    assert form.body.wide
    assert form.body.height() <= form.viewport().height()  # no scrolling in the wide dock
    assert form.preview.height() >= 150
    _show(qtbot, form, 900, 700)
    assert not form.body.wide
    # a wrapped label does not stretch the content to its preferred height
    assert form.body.heightForWidth(900) == -1


def test_panel_fills_the_dock_on_every_tab(qtbot: Any, host: Any) -> None:
    panel = host.training_panel
    scroll = panel.parentWidget().parentWidget()
    assert isinstance(scroll, QScrollArea)
    host.resize(1300, 520)
    host.show()
    qtbot.waitExposed(host)
    for i in range(panel.tabs.count()):
        panel.tabs.setCurrentIndex(i)
        qtbot.wait(20)
        # the LR view's wrapped status label used to stretch the panel past the dock
        assert panel.height() <= max(scroll.viewport().height(),
                                     panel.minimumSizeHint().height()), panel.tabs.tabText(i)


def test_log_axes_label_one_two_five_per_decade() -> None:
    axis = style.Axis("left")
    axis.setLogMode(True)
    levels = axis.tickValues(-2.0, 0.1, 300)  # 0.01 .. 1.26: pyqtgraph adds 1..9 minors
    minor = [t for spacing, ticks in levels if spacing is None for t in ticks]
    mantissas = sorted({round(10 ** (t % 1)) for t in minor})
    assert minor and set(mantissas) <= {1, 2, 5}
