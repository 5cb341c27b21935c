"""Python's cyclic garbage collector runs on the GUI thread only while workers run.

Left automatic, the collector runs in whichever thread happens to allocate. Training
and exports allocate a lot in their worker threads, so a worker collected the editor's
dead Qt wrappers (closed windows, pyqtgraph menus) and deadlocked: the worker, inside
a QObject destructor, held Qt's signal-slot mutex and waited for the GIL; the GUI
thread held the GIL and waited for that mutex while shiboken ran the widget deletions
queued to it (seen as File > Export ONNX never finishing after a training run). torch's
dynamo ONNX exporter also calls ``gc.collect()`` itself when it is done; that is
deferred to the GUI thread too. Every worker that runs Python code uses
:class:`GcHold`: hold on start (GUI thread), release from ``run()``'s end.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer, Signal, Slot

_REAL_COLLECT = gc.collect


class _Relay(QObject):
    """Calls ``target`` on the thread it lives in, whichever thread emits ``request``."""

    request = Signal()

    def __init__(self, target: Callable[[], None]) -> None:
        super().__init__()
        self.target = target
        self.request.connect(self._deliver)  # a QObject receiver: queued across threads

    @Slot()
    def _deliver(self) -> None:
        self.target()


class GuiThreadGC:
    """Keeps Python's cyclic garbage collection on the GUI thread while workers run.

    Qt objects must be destroyed on the GUI thread; a collection in a worker thread
    destroys whatever dead Qt wrappers the GUI left in reference cycles, and can
    deadlock against the GUI thread (see the module docstring). So ``hold()`` (on the
    GUI thread), until the matching ``release()``:

    - turns automatic collection off and collects from a GUI-thread timer instead,
      generation by generation as the automatic collector would (the pattern of
      pyqtgraph's ``GarbageCollector``); a host that had already turned it off keeps
      its own policy;
    - turns explicit ``gc.collect()`` calls made in other threads into a request the
      timer carries out (torch's dynamo ONNX exporter collects when it finishes).

    No full collection up front: with torch loaded it takes ~0.3 s, a visible freeze
    of the GUI at every Start (measured: event-loop lateness 280 ms -> 34 ms). Garbage
    that is already dead cannot be collected in a worker while the hold lasts anyway.
    """

    INTERVAL_MS = 250

    def __init__(self) -> None:
        self.holders = 0
        self._enabled_before = False
        self._requested = False
        self._gui_thread = 0
        self._timer: QTimer | None = None
        self._relay: _Relay | None = None

    @property
    def active(self) -> bool:
        return self.holders > 0

    def hold(self) -> None:
        if self.holders == 0:
            self._gui_thread = threading.get_ident()
            self._enabled_before = gc.isenabled()
            gc.disable()
            gc.collect = self._collect_call  # type: ignore[assignment]
            if self._timer is None:
                self._timer = QTimer()
                self._timer.setInterval(self.INTERVAL_MS)
                self._timer.timeout.connect(self.collect)
                self._relay = _Relay(self.release)  # lives on the GUI thread
            self._timer.start()
        self.holders += 1

    def release_soon(self) -> None:
        """``release()`` from any thread: queued to the GUI thread."""
        if self._relay is None or threading.get_ident() == self._gui_thread:
            self.release()
        else:
            self._relay.request.emit()

    def release(self) -> None:
        if self.holders == 0:
            return
        self.holders -= 1
        if self.holders == 0:
            if self._timer is not None:
                self._timer.stop()
            gc.collect = _REAL_COLLECT
            if self._requested:
                self._requested = False
                _REAL_COLLECT()
            if self._enabled_before:
                gc.enable()

    def _collect_call(self, generation: int = 2) -> int:
        """``gc.collect`` while held: runs on the GUI thread, is deferred elsewhere."""
        if threading.get_ident() == self._gui_thread:
            return _REAL_COLLECT(generation)
        self._requested = True
        return 0

    def collect(self) -> None:
        """Timer tick: a deferred request, or what the automatic collector would do."""
        if self._requested:
            self._requested = False
            _REAL_COLLECT()
            return
        if not self._enabled_before:
            return
        counts, limits = gc.get_count(), gc.get_threshold()
        generation = -1
        for g in range(3):
            if limits[g] <= 0 or counts[g] <= limits[g]:
                break
            generation = g
        if generation >= 0:
            _REAL_COLLECT(generation)



#: The one used by every :class:`Worker` (and anything else that runs Python in a thread).
GUI_THREAD_GC = GuiThreadGC()


class GcHold:
    """One worker's hold on :data:`GUI_THREAD_GC`: ``take()`` on the GUI thread before
    the thread starts, ``give_back()`` from the worker when ``run()`` ends (queued to
    the GUI thread, so it happens even if the worker object is deleted first)."""

    def __init__(self) -> None:
        self._held = False

    def take(self) -> None:
        if not self._held:
            GUI_THREAD_GC.hold()
            self._held = True

    def give_back(self) -> None:
        if self._held:
            self._held = False
            GUI_THREAD_GC.release_soon()
