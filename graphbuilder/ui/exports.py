"""Exports from the File menu: ONNX and PyTorch code (in a worker thread, the GUI stays
responsive while torch traces and onnxruntime verifies), and canvas pictures.

The compiler's exporters are imported lazily: they pull in onnx/onnxruntime, which
the editor should not pay for at start-up.

While a worker runs, Python's cyclic garbage collector runs only on the GUI thread
(:mod:`graphbuilder.ui.gui_gc` says why: an export once deadlocked collecting dead Qt
wrappers in its thread).
"""

from __future__ import annotations

import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QRectF, QSize, Qt, QThread, Signal
from PySide6.QtGui import QImage, QPainter
from PySide6.QtSvg import QSvgGenerator
from PySide6.QtWidgets import QGraphicsScene

from graphbuilder.core.graph import ModelGraph
from graphbuilder.ui.gui_gc import GcHold


class Worker(QThread):
    """Runs ``fn()`` off the GUI thread; reports through ``done``/``failed``.

    Start it from the GUI thread: while it runs, garbage is collected there only.
    """

    done = Signal(object)
    failed = Signal(str)

    def __init__(self, fn: Callable[[], Any], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.fn = fn
        self._gc = GcHold()

    def start(self, *args: Any) -> None:
        self._gc.take()
        super().start(*args)

    def run(self) -> None:
        try:
            self.done.emit(self.fn())
        except Exception as exc:  # shown to the user, never crashes the app
            first = str(exc).strip() or type(exc).__name__
            traceback.print_exc()
            self.failed.emit(first)
        finally:
            self._gc.give_back()


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
