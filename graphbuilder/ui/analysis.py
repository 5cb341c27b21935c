"""Live feedback: re-run shape inference after edits, coalesced.

Every model event restarts a zero-timeout timer, so a burst of events (a paste, an
undo of a macro, auto-layout) costs one inference once control returns to the event
loop. ``infer_shapes`` caches per node, so after one parameter edit only that node
and its downstream nodes do real work. Position-only events are ignored.
"""

from __future__ import annotations

import time

from PySide6.QtCore import QObject, QTimer, Signal

from graphbuilder.compiler.shapes import ShapeReport, infer_shapes
from graphbuilder.core.fixes import Fix, suggest_fixes
from graphbuilder.core.graph import GraphEvent, ModelGraph

_IGNORED = {"node_moved", "meta_changed", "groups_changed"}


class LiveAnalysis(QObject):
    updated = Signal(object)  # ShapeReport

    def __init__(self, graph: ModelGraph, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.graph = graph
        self.report = ShapeReport()
        self.last_ms = 0.0
        self._timer = QTimer(self, singleShot=True, interval=0)
        self._timer.timeout.connect(self.run_now)
        graph.subscribe(self._on_event)

    def _on_event(self, event: GraphEvent) -> None:
        if event.kind not in _IGNORED:
            self._timer.start()

    def schedule(self) -> None:
        self._timer.start()

    @property
    def pending(self) -> bool:
        return self._timer.isActive()

    def run_now(self) -> ShapeReport:
        self._timer.stop()
        t0 = time.perf_counter()
        self.report = infer_shapes(self.graph)
        self.last_ms = (time.perf_counter() - t0) * 1000
        self.updated.emit(self.report)
        return self.report

    def shapes(self) -> dict[str, tuple[int, ...] | None]:
        return {n: i.shape for n, i in self.report.nodes.items()}

    def fixes_for(self, node_id: str) -> list[Fix]:
        if not any(e.node == node_id and e.is_error for e in self.report.errors):
            return []
        return suggest_fixes(self.graph, self.shapes(), node_id)
