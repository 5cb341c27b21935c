"""The panel's secondary jobs: LR range test / sweep, evaluating and resuming kept runs.

Split from :mod:`panel` to keep that file about the main run. These share the panel's
single worker slot (``_launch``): one long job at a time, so the CPU is never split
between two trainings and the design lock has one owner. An LR job is an
:class:`~graphbuilder.ui.training.jobs.LRJob`, held as the panel's ``job`` and handed to
the LR view, so that Stop lets it end with its partial result and the weights check
instead of cancelling the worker (which could yield neither).
"""

from __future__ import annotations

import copy
from functools import partial
from pathlib import Path
from typing import Any

from graphbuilder.core.fileformat import load_graph
from graphbuilder.ui.training import jobs
from graphbuilder.ui.training.evaluate import evaluate_job
from graphbuilder.ui.training.runs import load_run

EVAL_SAMPLES = 16  # two rows of tiles in the Predictions tab


class ToolsMixin:
    """Mixed into :class:`~graphbuilder.ui.training.panel.TrainingPanel`."""

    def resume_run(self: Any, path: str) -> bool:
        """Continue a kept run from its last checkpoint (extending it if it had finished)."""
        info = load_run(Path(path))
        if info is None or info.checkpoint is None:
            self.message("That run has no checkpoint to resume from")
            return False
        config = copy.deepcopy(info.config)
        if info.epochs_done >= config.get("epochs", 0):
            config["epochs"] = info.epochs_done + self.form.value().get("epochs", 1)
        try:
            graph = load_graph(Path(path) / "design.json")
        except Exception:  # noqa: BLE001 - a CLI run has no design.json: use the open design
            graph = self.graph
        return self.start(config=config, graph=graph, resume_from=str(info.checkpoint),
                          run_dir=Path(path))

    def start_range_test(self: Any, start: float, end: float, steps: int) -> bool:
        return self._start_lr(partial(jobs.range_test_job, start_lr=start, end_lr=end,
                                      num_steps=steps), None)

    def start_sweep(self: Any, lrs: list[float], steps: int) -> bool:
        return self._start_lr(partial(jobs.sweep_job, lrs=lrs, steps=steps), lrs)

    def _start_lr(self: Any, fn: Any, sweep_lrs: list[float] | None) -> bool:
        if self.busy:
            self.message("Something is already running")
            return False
        config = self.form.value()
        if self._validated(config, self.graph) is None:
            return False
        graph = self.graph.copy()
        self.banner.hide()
        if sweep_lrs is None:
            self.lr_view.begin_range()
        else:
            self.lr_view.begin_sweep(sweep_lrs)
        job = jobs.LRJob(partial(fn, graph, config))
        self.job = job
        self.lr_view.stop_job = job.stop
        self._launch("lr", job, "LR test is running on the design")
        self.tabs.setCurrentWidget(self.lr_view)
        return True

    def evaluate_run(self: Any, path: str) -> bool:
        if self.busy:
            self.message("Something is already running")
            return False
        self.predictions.show_busy(Path(path).name)
        self.tabs.setCurrentWidget(self.predictions)
        self.job = None
        self._launch("eval", lambda: evaluate_job(path, count=EVAL_SAMPLES), None)
        return True

    def show_run(self: Any, path: str) -> None:
        """Load a kept run's epoch curves into the Live tab (step curves are not stored)."""
        from graphbuilder.ui.training.history import RunHistory

        if self.mode == "train":
            return
        self.plots.reset(RunHistory.from_run_dir(path), caption=f"Run {Path(path).name}")
        self.tabs.setCurrentWidget(self.plots)

