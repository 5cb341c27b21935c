"""What the panel does with the worker's output: events in, progress and plots out.

Split from :mod:`panel`, which decides *what* runs (validation, launching, pause/stop);
this module is the other half of a job's life: routing each batch of engine events to
the view that shows it (plots, LR view, predictions), turning them into progress, speed
and ETA, and the wrap-up when the worker thread ends (unlock the design, show a failure
in the banner, record the run's final status in its ``ui.json``).
"""

from __future__ import annotations

import statistics
import sys
from typing import Any

from graphbuilder.training.events import (
    CheckpointSaved,
    EpochEnd,
    LRPoint,
    RunEnded,
    RunFailed,
    RunPaused,
    RunResumed,
    RunStarted,
    StepEnd,
    SweepStep,
)
from graphbuilder.ui.training.evaluate import EvalResult
from graphbuilder.ui.training.runs import write_ui

#: engine exception names -> the RunFailed kinds the banner knows
CRASH_KINDS = {"DataError": "data", "ConfigError": "config", "CheckpointError": "config",
               "OutOfMemoryError": "oom"}


class RunEventsMixin:
    """Mixed into :class:`~graphbuilder.ui.training.panel.TrainingPanel`."""

    def _on_events(self: Any, batch: list[Any]) -> None:
        if self.mode == "lr":
            self.lr_view.handle(batch)
            self.final = batch[-1]
            self._lr_progress(batch)
            return
        if self.mode == "eval":
            self.final = batch[-1]
            if isinstance(self.final, EvalResult):
                self.predictions.show_result(self.final)
            return
        h = self.plots.history
        # steps are collected and appended once per run of consecutive StepEnd events
        # (with the EMA carried forward): the GUI thread holds the GIL meanwhile, and a
        # CPU run's training thread waits for it
        steps: list[int] = []
        losses: list[float] = []
        lrs: list[float] = []
        rates: list[float] = []
        for ev in batch:
            if isinstance(ev, StepEnd):
                steps.append(ev.step)
                losses.append(ev.loss)
                lrs.append(ev.lr)
                rates.append(ev.samples_per_s)
                self._step, self._epoch = ev.step, ev.epoch
                continue
            if steps:  # an epoch, checkpoint... goes after the steps before it
                h.add_steps(steps, losses, lrs)
                steps, losses, lrs = [], [], []
            if isinstance(ev, EpochEnd):
                h.add_epoch(ev.epoch, ev.metrics, ev.step)
                self._epoch = ev.epoch
            elif isinstance(ev, RunStarted):
                self._started(ev)
            elif isinstance(ev, CheckpointSaved):
                self.last_checkpoint = ev.path
            elif isinstance(ev, RunPaused):
                self.controls.set_paused(True)
                self.controls.state.setText("Paused")
            elif isinstance(ev, RunResumed):
                self.controls.set_paused(False)
                self.controls.state.setText("Training")
            elif isinstance(ev, (RunEnded, RunFailed)):
                self.final = ev
        if steps:
            h.add_steps(steps, losses, lrs)
        if rates:
            self._rates = (self._rates + [statistics.median(rates)])[-8:]

    def _started(self: Any, ev: RunStarted) -> None:
        self._rates = []
        self._step, self._epoch = ev.start_epoch * ev.steps_per_epoch, ev.start_epoch
        self.controls.reset(ev.total_steps, ev.epochs, self._step)
        self.plots.set_step_range(self._step, ev.total_steps)
        self.controls.state.setText("Training")
        notes = "; ".join(ev.notes)
        self.message(f"Training on {ev.device_name}: {ev.train_samples} samples, "
                     f"{ev.num_params:,} parameters" + (f" ({notes})" if notes else ""))
        self.runs.mark_dirty()

    def _lr_progress(self: Any, batch: list[Any]) -> None:
        """Steps done of an LR range test (``LRPoint.index``) or sweep (candidate, step);
        shown by the progress tick, like a run's."""
        total = _lr_total(self.job)
        if total is None:
            return
        kind, n, per = total
        done = getattr(self, "_lr_done", 0)
        for ev in reversed(batch):
            if kind == "range" and isinstance(ev, LRPoint):
                done = ev.index + 1
                break
            if kind == "sweep" and isinstance(ev, SweepStep):
                done = ev.candidate * per + ev.step
                break
        self._lr_done, self._lr_total = done, n
        self._lr_label = "LR test" if kind == "range" else "LR sweep"

    def _update_progress(self: Any) -> None:
        if self.mode == "lr":
            if getattr(self, "_lr_total", 0):
                self.controls.show_job_progress(self._lr_label, self._lr_done,
                                                self._lr_total)
            return
        if hasattr(self, "_step"):
            rate = statistics.median(self._rates) if self._rates else 0.0
            self.controls.update_progress(self._step, self._epoch, rate)

    def _reset_lr_progress(self: Any) -> None:
        """At the start of an LR job: "step 0/N" when N can be known, else "–"."""
        self._lr_done = self._lr_total = 0
        self._lr_progress([])
        self.controls.show_job_progress(getattr(self, "_lr_label", ""), 0, self._lr_total)

    def _on_crash(self: Any, message: str, details: str) -> None:
        """An exception escaped a job (the trainer itself never raises; the LR tools and
        evaluation may): classify it like the engine's RunFailed kinds."""
        kind = CRASH_KINDS.get(message.split(":", 1)[0], "error")
        self.final = RunFailed(message, kind, details=details)

    def _on_thread_done(self: Any) -> None:
        mode, final = self.mode, self.final
        self.tick.stop()
        if mode == "lr":
            self._update_progress()  # the last step, not the last tick's
        if self.worker is not None:
            self.worker.deleteLater()
        self.worker, self.job, self.mode = None, None, "idle"
        sys.setswitchinterval(self._switch_interval)
        if self._locked:
            self.window.set_editing_locked(False, "")
        self.form.setEnabled(True)
        self.controls.set_running(False)
        self.lr_view.set_busy(False)
        if mode == "train":
            self._finish_run(final)
        elif mode == "lr":
            if isinstance(final, RunFailed):
                self.banner.show_error(final.kind, final.message, final.details)
                self.lr_view.status.setText("⚠ The LR test failed: see the message above.")
            self.controls.state.setText("Ready")
            self.lr_finished.emit(final)
        else:
            if isinstance(final, RunFailed):
                self.predictions.show_error(final.message)
            self.controls.state.setText("Ready")
            self.eval_finished.emit(final)
        self.busy_changed.emit(False)

    def _finish_run(self: Any, final: Any) -> None:
        self._update_progress()
        self.plots.redraw(force=True)
        if not isinstance(final, (RunEnded, RunFailed)):
            final = RunFailed("the run ended without a final event", "crash")
        if isinstance(final, RunFailed):
            self.banner.show_error(final.kind, final.message, final.details,
                                   self.last_checkpoint)
            self.controls.state.setText("Failed")
            self.message(f"Training failed: {final.message}")
            status = "failed"
        else:
            self.controls.state.setText({"completed": "Done"}.get(final.reason,
                                                                  final.reason.replace("_", " ")))
            best = final.best_metrics.get("val_loss")
            self.message(f"Training {final.reason}: {final.steps_done} steps"
                         + (f", best val_loss {best:.4g}" if best is not None else ""))
            status = final.reason
        if self.run_dir is not None and self.run_dir.exists():
            write_ui(self.run_dir, status=status,
                     message=final.message if isinstance(final, RunFailed) else "")
        self.runs.mark_dirty()
        self.run_finished.emit(final)


def _lr_total(job: Any) -> tuple[str, int, int] | None:
    """("range", steps, 1) or ("sweep", candidates x steps, steps) from an LR job's
    arguments (an :class:`~graphbuilder.ui.training.jobs.LRJob` over a partial of
    ``range_test_job`` / ``sweep_job``); None when they cannot be read."""
    kw = getattr(getattr(job, "fn", None), "keywords", None)
    if not isinstance(kw, dict):
        return None
    try:
        if "num_steps" in kw:
            return "range", int(kw["num_steps"]), 1
        if "lrs" in kw and "steps" in kw:
            per = int(kw["steps"])
            return "sweep", len(kw["lrs"]) * per, per
    except (TypeError, ValueError):
        pass
    return None
