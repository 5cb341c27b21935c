"""The training dashboard: settings, run control, live plots, LR tools, runs, predictions.

One :class:`TrainingPanel` per main window. It talks to the window only through the
hook in docs/CONTRACTS.md (``graph``, ``undo_stack``, ``set_editing_locked``,
``statusBar``), so tests drive it with a tiny stand-in window. All long work runs in
one :class:`~graphbuilder.ui.training.worker.EventWorker` at a time (a run, an LR test
or an evaluation); the design is locked while a run or LR test uses it.

This file builds the panel and decides what runs (settings, start, pause, stop); what
happens to the worker's events is :mod:`run_events`, the LR tools and kept-run actions
are :mod:`tools`. Both are mixins so the panel stays one object with one worker slot.
"""

from __future__ import annotations

import copy
import sys
import time
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, QObject, QTimer, Signal
from PySide6.QtWidgets import QTabWidget, QVBoxLayout, QWidget

from graphbuilder.core.fileformat import dumps_graph
from graphbuilder.core.graph import GraphEvent, ModelGraph
from graphbuilder.training.config import ConfigError, RunConfig
from graphbuilder.ui.training.banner import ErrorBanner
from graphbuilder.ui.training.checks import default_runs_root, preflight
from graphbuilder.ui.training.commands import SetTrainingCommand
from graphbuilder.ui.training.controls import RunControls
from graphbuilder.ui.training.lr_view import LRView
from graphbuilder.ui.training.plots import LivePlots
from graphbuilder.ui.training.predictions import PredictionsView
from graphbuilder.ui.training.run_events import RunEventsMixin
from graphbuilder.ui.training.runs import RunStore, RunsView, write_ui
from graphbuilder.ui.training.settings_form import SettingsForm
from graphbuilder.ui.training.tools import ToolsMixin
from graphbuilder.ui.training.undo_adapter import push_command
from graphbuilder.ui.training.worker import EventWorker, TrainingJob

SWITCH_INTERVAL_S = 0.001
LOCK_REASON = "training is running: stop it to edit the design"


class TrainingPanel(RunEventsMixin, ToolsMixin, QWidget):
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
        self.runs.exported.connect(self.message)
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
        if mode == "lr":
            self._reset_lr_progress()
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
        # a run and an LR job both stop cleanly between steps (an LR job still reports
        # its partial result and the weight check); cancel() only if there is no job
        if self.job is not None and self.mode in ("train", "lr"):
            self.job.stop()
        elif self.worker is not None:
            self.worker.cancel()
        self.controls.state.setText("Stopping…")

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

    def heightForWidth(self, width: int) -> int:  # noqa: N802 - Qt API
        """None: the dock holds the panel in a resizable QScrollArea, which sizes a
        height-for-width widget (any word-wrapped label, e.g. the LR view's status) to
        its *preferred* height. That stretched the panel past the dock and added a
        scroll bar; without it the panel fills the dock and scrolls only below its
        minimum size."""
        return -1
