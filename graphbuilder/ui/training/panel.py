"""The training dashboard: settings, run control, live plots, LR tools, runs, predictions.

One :class:`TrainingPanel` per main window. It talks to the window only through the
hook in docs/CONTRACTS.md (``graph``, ``undo_stack``, ``set_editing_locked``,
``statusBar``), so tests drive it with a tiny stand-in window. All long work runs in
one :class:`~graphbuilder.ui.training.worker.EventWorker` at a time (a run, an LR test
or an evaluation); the design is locked while a run or LR test uses it.
"""

from __future__ import annotations

import copy
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, QObject, QTimer, Signal
from PySide6.QtWidgets import QTabWidget, QVBoxLayout, QWidget

from graphbuilder.core.fileformat import dumps_graph
from graphbuilder.core.graph import GraphEvent, ModelGraph
from graphbuilder.training.config import ConfigError, RunConfig
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
from graphbuilder.ui.training.banner import ErrorBanner
from graphbuilder.ui.training.checks import default_runs_root, preflight
from graphbuilder.ui.training.commands import SetTrainingCommand
from graphbuilder.ui.training.controls import RunControls
from graphbuilder.ui.training.evaluate import EvalResult
from graphbuilder.ui.training.lr_view import LRView
from graphbuilder.ui.training.plots import LivePlots
from graphbuilder.ui.training.predictions import PredictionsView
from graphbuilder.ui.training.runs import RunStore, RunsView, write_ui
from graphbuilder.ui.training.settings_form import SettingsForm
from graphbuilder.ui.training.tools import ToolsMixin
from graphbuilder.ui.training.undo_adapter import push_command
from graphbuilder.ui.training.worker import EventWorker, TrainingJob

SWITCH_INTERVAL_S = 0.001
LOCK_REASON = "training is running: stop it to edit the design"


class TrainingPanel(ToolsMixin, QWidget):
    run_finished = Signal(object)  # RunEnded | RunFailed
    lr_finished = Signal(object)  # the last event of an LR test / sweep
    eval_finished = Signal(object)  # EvalResult | str (error)
    busy_changed = Signal(bool)

    def __init__(self, window: Any, runs_root: str | Path | None = None,
                 theme: Any = None) -> None:
        super().__init__()
        self.window = window
        self.graph: ModelGraph = window.graph
        self.theme = theme if theme is not None else getattr(window, "theme", None)
        self.store = RunStore(runs_root or default_runs_root())
        self.worker: EventWorker | None = None
        self.job: TrainingJob | None = None
        self.mode = "idle"
        self.final: Any = None
        self.run_dir: Path | None = None
        self.last_checkpoint = ""
        self._rates: list[float] = []
        self.controls = RunControls()
        self.banner = ErrorBanner()
        self.form = SettingsForm(self.theme)
        self.plots = LivePlots(self.theme)
        self.lr_view = LRView(self.theme)
        self.runs = RunsView(self.store, self.theme)
        self.predictions = PredictionsView()
        self.tabs = QTabWidget()
        for w, title in ((self.form, "Settings"), (self.plots, "Live"),
                         (self.lr_view, "LR finder"), (self.runs, "Runs"),
                         (self.predictions, "Predictions")):
            self.tabs.addTab(w, title)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(4)
        lay.addWidget(self.controls)
        lay.addWidget(self.banner)
        lay.addWidget(self.tabs, 1)
        self.tick = QTimer(self)
        self.tick.setInterval(250)
        self.tick.timeout.connect(self._update_progress)
        self._connect()
        self.form.load(self.graph.training)
        self.runs.refresh()

    def _connect(self) -> None:
        self.controls.start_clicked.connect(self.start)
        self.controls.pause_clicked.connect(self.toggle_pause)
        self.controls.stop_clicked.connect(self.stop)
        self.form.edited.connect(self.commit_settings)
        self.lr_view.range_requested.connect(self.start_range_test)
        self.lr_view.sweep_requested.connect(self.start_sweep)
        self.lr_view.stop_requested.connect(self.stop)
        self.lr_view.apply_lr.connect(self.apply_lr)
        self.runs.resume_requested.connect(self.resume_run)
        self.runs.evaluate_requested.connect(self.evaluate_run)
        self.runs.show_requested.connect(self.show_run)
        self.plots.exported.connect(self.message)
        self.graph.subscribe(self._graph_event)

    # ------------------------------------------------------------------ settings
    def _graph_event(self, ev: GraphEvent) -> None:
        if ev.kind in ("reset", "meta_changed"):
            self.form.load(self.graph.training)

    def commit_settings(self, doc: dict[str, Any]) -> bool:
        """Validate the form's config and store it in the design as one undo step."""
        try:
            RunConfig.from_dict(doc)
        except ConfigError as exc:
            self.form.show_error(exc)
            return False
        self.form.show_error(None)
        if doc == self.graph.training:
            return True
        if getattr(self.window, "locked", False):
            self.message("Settings are locked while the design is in use")
            self.form.load(self.graph.training)
            return False
        push_command(self.window.undo_stack, self.graph, SetTrainingCommand(doc),
                     self.graph.training, doc)
        return True

    def apply_lr(self, lr: float) -> None:
        doc = self.form.value()
        doc.setdefault("optimizer", {})["lr"] = float(f"{lr:.3g}")
        if self.commit_settings(doc):
            self.message(f"Learning rate set to {lr:.3g}")

    # ------------------------------------------------------------------ runs
    @property
    def busy(self) -> bool:
        return self.worker is not None

    def start(self, *, config: dict[str, Any] | None = None, graph: ModelGraph | None = None,
              resume_from: str | None = None, run_dir: Path | None = None) -> bool:
        """Validate, then train in the worker thread; False (with a message) if refused."""
        if self.busy:
            self.message("Something is already running")
            return False
        graph = graph or self.graph
        config = copy.deepcopy(config if config is not None else self.form.value())
        cfg = self._validated(config, graph)
        if cfg is None:
            return False
        config = cfg.to_dict()  # complete: the run dir records every value used
        fresh = run_dir is None
        if run_dir is None:
            run_dir = self.store.new_run_dir(graph.name, config)
        design = graph.copy()
        design.training = config
        label = f"{graph.name} {time.strftime('%m-%d %H:%M:%S')}"

        def prepare() -> None:  # in the worker thread: file writes (fsync) off the GUI
            if fresh:
                (run_dir / "design.json").write_text(dumps_graph(design))
                write_ui(run_dir, label=label, design=graph.name, config=config,
                         started=time.time())
            write_ui(run_dir, status="running", message="")

        self.run_dir, self.final, self.last_checkpoint = run_dir, None, ""
        self.banner.hide()
        self.plots.reset(caption=f"Run {run_dir.name}")
        self.job = TrainingJob(graph, config, run_dir, resume_from, prepare=prepare)
        self._launch("train", self.job, LOCK_REASON)
        self.tabs.setCurrentWidget(self.plots)
        return True

    def _validated(self, config: dict[str, Any], graph: ModelGraph) -> RunConfig | None:
        try:
            cfg = RunConfig.from_dict(config)
        except ConfigError as exc:
            self.form.show_error(exc)
            self._refuse(str(exc))
            return None
        problem = preflight(cfg, graph)
        if problem:
            self._refuse(problem)
            return None
        return cfg

    def _refuse(self, message: str) -> None:
        self.banner.show_error("config", message + " — nothing was started.")
        self.tabs.setCurrentWidget(self.form)
        self.message(f"Not started: {message}")

    def _launch(self, mode: str, job: Any, lock_reason: str | None) -> None:
        self.mode = mode
        self.worker = EventWorker(job)
        self.worker.events.connect(self._on_events)
        self.worker.crashed.connect(self._on_crash)
        self.worker.finished.connect(self._on_thread_done)
        if lock_reason:
            self.window.set_editing_locked(True, lock_reason)
        self.form.setEnabled(False)
        self.controls.set_running(True, can_pause=mode == "train")
        self.controls.state.setText({"train": "Starting…", "lr": "LR test…",
                                     "eval": "Evaluating…"}[mode])
        self.lr_view.set_busy(True)
        self._locked = bool(lock_reason)
        # The worker runs Python (the training loop) and holds the GIL most of the time;
        # each Qt -> Python call the GUI makes while painting waits up to the switch
        # interval (5 ms by default) for it. A short interval keeps the GUI responsive.
        self._switch_interval = sys.getswitchinterval()
        sys.setswitchinterval(SWITCH_INTERVAL_S)
        self.busy_changed.emit(True)
        self.worker.start()
        self.tick.start()

    def toggle_pause(self) -> None:
        if self.job is None or self.mode != "train":
            return
        if self.controls.paused:
            self.job.resume()
        else:
            self.job.pause()
            self.controls.state.setText("Pausing…")

    def stop(self) -> None:
        if self.job is not None and self.mode == "train":
            self.job.stop()
        elif self.worker is not None:
            self.worker.cancel()
        self.controls.state.setText("Stopping…")

    # ------------------------------------------------------------------ events
    def _on_events(self, batch: list[Any]) -> None:
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

    def _started(self, ev: RunStarted) -> None:
        self._rates = []
        self._step, self._epoch = ev.start_epoch * ev.steps_per_epoch, ev.start_epoch
        self.controls.reset(ev.total_steps, ev.epochs, self._step)
        self.plots.set_step_range(self._step, ev.total_steps)
        self.controls.state.setText("Training")
        notes = "; ".join(ev.notes)
        self.message(f"Training on {ev.device_name}: {ev.train_samples} samples, "
                     f"{ev.num_params:,} parameters" + (f" ({notes})" if notes else ""))
        self.runs.mark_dirty()

    def _update_progress(self) -> None:
        if hasattr(self, "_step"):
            rate = statistics.median(self._rates) if self._rates else 0.0
            self.controls.update_progress(self._step, self._epoch, rate)

    def _on_crash(self, message: str, details: str) -> None:
        """An exception escaped a job (the trainer itself never raises; the LR tools and
        evaluation may): classify it like the engine's RunFailed kinds."""
        name = message.split(":", 1)[0]
        kind = {"DataError": "data", "ConfigError": "config", "CheckpointError": "config",
                "OutOfMemoryError": "oom"}.get(name, "error")
        self.final = RunFailed(message, kind, details=details)

    def _on_thread_done(self) -> None:
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

    def _finish_run(self, final: Any) -> None:
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

    # ------------------------------------------------------------------ misc
    def message(self, text: str) -> None:
        self.window.statusBar().showMessage(text, 8000)

    def set_theme(self, theme: Any) -> None:
        self.theme = theme
        for w in (self.form, self.plots, self.lr_view, self.runs):
            w.set_theme(theme)

    def shutdown(self, timeout_ms: int = 10000) -> None:
        """Stop whatever runs and wait for the thread (closing the window, tests)."""
        if self.worker is None:
            return
        if self.job is not None:
            self.job.stop()
        self.worker.cancel()
        self.worker.wait(timeout_ms)

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt API
        if event.type() == QEvent.Type.Close and self.busy:
            self.shutdown()
        return False
