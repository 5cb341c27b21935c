"""The LR-vs-step preview beside the schedule settings.

Split from :mod:`settings_form` because it is a computation, not a form: it builds the
config, estimates the steps per epoch from the dataset's size (exact for the built-in
sets) and runs the engine's :func:`~graphbuilder.training.schedules.preview_schedule`,
i.e. the real torch schedulers, so the curve is the one training will follow. Updates
are debounced: a burst of edits (spin box arrows) recomputes once.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QTimer

from graphbuilder.training.config import ConfigError, RunConfig
from graphbuilder.training.datasets import BUILTINS
from graphbuilder.training.schedules import preview_schedule
from graphbuilder.ui.training import style
from graphbuilder.ui.training.hover import HoverReadout

PREVIEW_MAX_STEPS = 20000
DEBOUNCE_MS = 60


def steps_per_epoch(cfg: RunConfig) -> tuple[int, bool]:
    """Optimizer steps per epoch for the preview, and whether that number is exact."""
    d = cfg.data
    entry = BUILTINS.get(d.dataset.strip())
    if entry is None:
        return 100, False
    n = d.size or entry[1]
    n_train = n - int(round(n * d.val_fraction))
    return max(1, math.ceil(n_train / d.batch_size)), True


class SchedulePreview:
    """A plot of the learning rate per step for the config ``config()`` returns."""

    def __init__(self, config: Callable[[], dict[str, Any]], theme: Any = None) -> None:
        self.config = config
        self.theme = theme
        self.plot = style.make_plot("LR schedule preview", "step", "lr", theme, legend=None)
        self.plot.setMinimumHeight(170)
        self.curve = self.plot.plot([], [], name="lr", pen=style.pen(style.LR, 2))
        self.hover = HoverReadout(self.plot, "step", theme)
        self.timer = QTimer(self.plot)
        self.timer.setSingleShot(True)
        self.timer.setInterval(DEBOUNCE_MS)
        self.timer.timeout.connect(self.update)

    def schedule(self) -> None:
        """Recompute soon (restarts the debounce timer)."""
        self.timer.start()

    def update(self) -> None:
        """Recompute the curve now; an invalid config leaves the last one shown."""
        try:
            cfg = RunConfig.from_dict(self.config())
        except ConfigError:
            return
        spe, exact = steps_per_epoch(cfg)
        if cfg.max_steps is None or cfg.max_steps > PREVIEW_MAX_STEPS:
            cfg.max_steps = min(spe * cfg.epochs, PREVIEW_MAX_STEPS)
        lrs = preview_schedule(cfg, spe, cfg.epochs)
        self.curve.setData(list(range(1, len(lrs) + 1)), lrs)
        style.fit_flat_y(self.plot, lrs)
        # on the axis, not in the title: a long title widened the plot past its column
        note = f"{spe} per epoch" if exact else f"assuming {spe} per epoch"
        self.plot.getPlotItem().setLabel("bottom", f"step ({note})")

    def set_theme(self, theme: Any) -> None:
        self.theme = theme
        style.style_plot(self.plot, theme)
        self.hover.set_theme(theme)
