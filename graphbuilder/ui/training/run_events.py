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
    RunEnded,
    RunFailed,
    RunPaused,
    RunResumed,
    RunStarted,
    StepEnd,
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
            return
        if self.mode == "eval":
            self.final = batch[-1]
            if isinstance(self.final, EvalResult):
                self.predictions.show_result(self.final)
            return
        h = self.plots.history
        rates = []
        for ev in batch:
            if isinstance(ev, StepEnd):
                h.add_step(ev.step, ev.loss, ev.lr)
                self._step, self._epoch = ev.step, ev.epoch
                rates.append(ev.samples_per_s)
            elif isinstance(ev, EpochEnd):
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

    def _update_progress(self: Any) -> None:
        if hasattr(self, "_step"):
            rate = statistics.median(self._rates) if self._rates else 0.0
            self.controls.update_progress(self._step, self._epoch, rate)

    def _on_crash(self: Any, message: str, details: str) -> None:
        """An exception escaped a job (the trainer itself never raises; the LR tools and
        evaluation may): classify it like the engine's RunFailed kinds."""
        kind = CRASH_KINDS.get(message.split(":", 1)[0], "error")
        self.final = RunFailed(message, kind, details=details)

    def _on_thread_done(self: Any) -> None:
        mode, final = self.mode, self.final
        self.tick.stop()
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
