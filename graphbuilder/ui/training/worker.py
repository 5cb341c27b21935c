"""Run a Qt-free event generator in a QThread and deliver its events as signals.

This is napari's ``thread_worker`` pattern, kept thin: the engine
(:mod:`graphbuilder.training`) is a plain generator; the worker iterates it off the GUI
thread and emits what it yields. Step events are *batched* (flushed every
``flush_s`` seconds, or at once for any other event) because a queued signal per
optimizer step would make a tiny CPU model spend more time in Qt than in torch. At each
flush the step losses are read with one ``torch.stack(...).tolist()``: one device sync
per flush instead of one per step, and the GUI thread never touches a device tensor.

:class:`TrainingJob` is the generator factory for a run: it compiles the design and
builds the :class:`~graphbuilder.training.Trainer` *inside* the thread (compiling a big
design or loading data must not freeze the window) and forwards pause/resume/stop,
remembering requests that arrive before the trainer exists.
"""

from __future__ import annotations

import threading
import time
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import torch
from PySide6.QtCore import QThread, Signal

from graphbuilder.core.graph import ModelGraph
from graphbuilder.training.config import ConfigError
from graphbuilder.training.events import LRPoint, RunEnded, RunFailed, StepEnd, SweepStep
from graphbuilder.ui.gui_gc import GcHold

#: frequent, small events: sent in batches at most every ``flush_s`` (0.1 s: the plots
#: redraw at <= 10 Hz, the progress at 4 Hz; a faster flush only adds GUI-thread wakeups
#: that take the GIL from a CPU run), the rest at once
_BATCHED = (StepEnd, LRPoint, SweepStep)


class EventWorker(QThread):
    """Iterate ``job()`` in a thread; ``events`` carries lists of yielded objects."""

    events = Signal(object)  # a list; "object" passes it by reference (no QVariant copy)
    crashed = Signal(str, str)  # message, traceback: a bug in the job itself

    def __init__(self, job: Callable[[], Iterator[Any]], flush_s: float = 0.1,
                 parent: Any = None) -> None:
        super().__init__(parent)
        self.job = job
        self.flush_s = flush_s
        self.delivered = 0
        self._cancel = threading.Event()
        self._gc = GcHold()  # a training thread allocates a lot: no collections in it

    def start(self, *args: Any) -> None:
        self._gc.take()
        super().start(*args)

    def cancel(self) -> None:
        """Stop iterating at the next event; the generator is closed, so its ``finally``
        blocks run (the LR finder restores the weights there)."""
        self._cancel.set()

    def run(self) -> None:
        batch: list[Any] = []
        last = time.monotonic()
        gen: Any = None
        try:
            gen = self.job()
            for event in gen:
                if self._cancel.is_set():
                    break
                batch.append(event)
                now = time.monotonic()
                if not isinstance(event, _BATCHED) or now - last >= self.flush_s:
                    self._flush(batch)
                    batch, last = [], now
        except Exception as exc:  # noqa: BLE001 - reported in the panel, never a crash
            self._flush(batch)
            batch = []
            self.crashed.emit(f"{type(exc).__name__}: {exc}", traceback.format_exc())
        finally:
            close = getattr(gen, "close", None)
            if close is not None:
                try:
                    close()
                except Exception as exc:  # noqa: BLE001
                    self.crashed.emit(f"{type(exc).__name__}: {exc}", traceback.format_exc())
            self._flush(batch)
            self._gc.give_back()

    def _flush(self, batch: list[Any]) -> None:
        if not batch:
            return
        steps = [e for e in batch if isinstance(e, StepEnd) and "_loss" not in e.__dict__]
        if steps:
            values = torch.stack([e.loss_tensor.float() for e in steps]).tolist()
            for e, v in zip(steps, values, strict=True):
                e.__dict__["_loss"] = v
                e.loss_tensor = torch.empty(0)  # drop the device tensor early
        self.delivered += len(batch)
        self.events.emit(batch)


class TrainingJob:
    """A run of ``graph`` (a private copy) with ``config``; call it to get its events."""

    def __init__(self, graph: ModelGraph, config: dict[str, Any], run_dir: str | Path | None,
                 resume_from: str | Path | None = None, step_events: bool = True,
                 prepare: Callable[[], None] | None = None) -> None:
        self.graph = graph.copy()
        self.config = config
        self.run_dir = run_dir
        self.resume_from = resume_from
        self.step_events = step_events
        self.prepare = prepare  # run first, in the thread (writing files off the GUI)
        self.trainer: Any = None
        self._lock = threading.Lock()
        self._paused = False
        self._stopped = False

    def __call__(self) -> Iterator[Any]:
        from graphbuilder.training import trainer_for_graph

        run_dir = str(self.run_dir) if self.run_dir else None
        if self._stopped:
            yield RunEnded("stopped", {}, run_dir)
            return
        try:
            if self.prepare is not None:
                self.prepare()
            trainer = trainer_for_graph(self.graph, self.config, run_dir=self.run_dir,
                                        resume_from=self.resume_from,
                                        step_events=self.step_events)
        except ConfigError as exc:
            yield RunFailed(str(exc), "config", run_dir=run_dir)
            return
        except Exception as exc:  # noqa: BLE001 - a design that does not compile
            yield RunFailed(f"the design cannot be compiled: {exc}", "config", run_dir=run_dir,
                            details=traceback.format_exc())
            return
        with self._lock:
            self.trainer = trainer
            if self._paused:
                trainer.pause()
            if self._stopped:
                trainer.stop()
        yield from trainer.run()

    def pause(self) -> None:
        with self._lock:
            self._paused = True
            if self.trainer is not None:
                self.trainer.pause()

    def resume(self) -> None:
        with self._lock:
            self._paused = False
            if self.trainer is not None:
                self.trainer.resume()

    def stop(self) -> None:
        with self._lock:
            self._stopped = True
            if self.trainer is not None:
                self.trainer.stop()
