"""Exports from the File menu: ONNX and PyTorch code (in a worker thread, the GUI stays
responsive while torch traces and onnxruntime verifies), and canvas pictures.

The compiler's exporters are imported lazily: they pull in onnx/onnxruntime, which
the editor should not pay for at start-up.

While a worker runs, Python's cyclic garbage collector runs only on the GUI thread
(:class:`GuiThreadGC`). Left automatic, it runs in whichever thread happens to
allocate, and an export allocates a lot (torch.export, dynamo, onnxscript's registry),
so the worker thread collected the editor's dead Qt wrappers (closed windows,
pyqtgraph menus) and deadlocked: the worker, inside a QObject destructor, held Qt's
signal-slot mutex and waited for the GIL; the GUI thread held the GIL and waited for
that mutex while shiboken ran the widget deletions queued to it. The export then
never finished. (The lazy torch._dynamo imports seen in hung stacks were only where
the allocations happened.) torch's exporter also calls ``gc.collect()`` itself when it
is done; that is deferred to the GUI thread too.
"""

from __future__ import annotations

import gc
import threading
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QRectF, QSize, Qt, QThread, QTimer, Signal, Slot
from PySide6.QtGui import QImage, QPainter
from PySide6.QtSvg import QSvgGenerator
from PySide6.QtWidgets import QGraphicsScene

from graphbuilder.core.graph import ModelGraph


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

    - first collects everything already dead (closed windows live in the oldest
      generation, which the collector visits least often);
    - turns automatic collection off and collects from a GUI-thread timer instead,
      generation by generation as the automatic collector would (the pattern of
      pyqtgraph's ``GarbageCollector``); a host that had already turned it off keeps
      its own policy;
    - turns explicit ``gc.collect()`` calls made in other threads into a request the
      timer carries out (torch's dynamo ONNX exporter collects when it finishes).
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
            _REAL_COLLECT()
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


_REAL_COLLECT = gc.collect

#: The one used by every :class:`Worker` (and anything else that runs Python in a thread).
GUI_THREAD_GC = GuiThreadGC()


class Worker(QThread):
    """Runs ``fn()`` off the GUI thread; reports through ``done``/``failed``.

    Start it from the GUI thread: while it runs, garbage is collected there only.
    """

    done = Signal(object)
    failed = Signal(str)

    def __init__(self, fn: Callable[[], Any], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.fn = fn
        self._holds_gc = False

    def start(self, *args: Any) -> None:
        if not self._holds_gc:
            GUI_THREAD_GC.hold()
            self._holds_gc = True
        super().start(*args)

    def run(self) -> None:
        try:
            self.done.emit(self.fn())
        except Exception as exc:  # shown to the user, never crashes the app
            first = str(exc).strip() or type(exc).__name__
            traceback.print_exc()
            self.failed.emit(first)
        finally:
            if self._holds_gc:  # released on the GUI thread, even if we are deleted first
                self._holds_gc = False
                GUI_THREAD_GC.release_soon()


def onnx_job(graph: ModelGraph, path: str) -> Callable[[], Any]:
    snapshot = graph.copy()  # the user may keep editing while we export

    def job() -> Any:
        from graphbuilder.compiler.onnx_export import export_onnx
        return export_onnx(snapshot, path, verify=True)
    return job


def code_job(graph: ModelGraph, path: str) -> Callable[[], Any]:
    snapshot = graph.copy()

    def job() -> Any:
        from graphbuilder.compiler.code_export import export_code
        return export_code(snapshot, path)
    return job


def describe_onnx(report: Any) -> str:
    """The verification result in words (OnnxReport from the compiler)."""
    lines = [f"Wrote {getattr(report, 'path', '')}"]
    exporter, opset = getattr(report, "exporter", None), getattr(report, "opset", None)
    if exporter:
        lines.append(f"Exporter: {exporter}" + (f", opset {opset}" if opset else ""))
    if getattr(report, "verified", False):
        diff, tol = getattr(report, "max_abs_diff", None), getattr(report, "tolerance", None)
        detail = f" (max abs diff {diff:.2e}" + (f" ≤ {tol:.2e})" if tol else ")") \
            if diff is not None else ""
        lines.append(f"✔ Verified with onnxruntime: outputs match PyTorch{detail}")
    else:
        lines.append("Not verified")
    lines += [f"Note: {n}" for n in getattr(report, "notes", [])]
    return "\n".join(lines)


def scene_rect(scene: QGraphicsScene) -> QRectF:
    rect = QRectF()
    for item in scene.items():
        if item.isVisible() and item.parentItem() is None:
            rect = rect.united(item.sceneBoundingRect())
    return rect.adjusted(-30, -30, 30, 30)


def save_png(scene: QGraphicsScene, path: str | Path, scale: float = 2.0) -> None:
    rect = scene_rect(scene)
    size = QSize(max(1, int(rect.width() * scale)), max(1, int(rect.height() * scale)))
    # keep huge networks within a sane image size
    limit = 16000
    if max(size.width(), size.height()) > limit:
        f = limit / max(size.width(), size.height())
        size = QSize(int(size.width() * f), int(size.height() * f))
    image = QImage(size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.TextAntialiasing)
    scene.render(painter, QRectF(0, 0, size.width(), size.height()), rect)
    painter.end()
    if not image.save(str(path)):
        raise OSError(f"could not write {path}")


def save_svg(scene: QGraphicsScene, path: str | Path, title: str = "GraphBuilder") -> None:
    rect = scene_rect(scene)
    gen = QSvgGenerator()
    gen.setFileName(str(path))
    gen.setSize(QSize(int(rect.width()), int(rect.height())))
    gen.setViewBox(QRectF(0, 0, rect.width(), rect.height()))
    gen.setTitle(title)
    painter = QPainter(gen)
    scene.render(painter, QRectF(0, 0, rect.width(), rect.height()), rect)
    painter.end()
