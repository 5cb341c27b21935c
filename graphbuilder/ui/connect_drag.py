"""Dragging a new connection from a port: which ports may take it, and the rubber curve.

Valid targets are computed once when the drag starts (ports of other nodes that would
not close a loop), highlighted, and the release is resolved against that set only, so
an invalid connection can never be made by accident.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import networkx as nx
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QPen
from PySide6.QtWidgets import QGraphicsPathItem

from graphbuilder.core.commands import ConnectCommand
from graphbuilder.ui.edge_item import curve
from graphbuilder.ui.node_item import PortItem

if TYPE_CHECKING:
    from graphbuilder.ui.scene import GraphScene


#: Ops that take integer token ids; every other op wants floating-point tensors.
INT_INPUT_OPS = {"Embedding"}
#: Ops that pass any dtype through.
ANY_DTYPE_OPS = {"Output", "Identity", "Reshape", "Permute", "Flatten", "Concat",
                 "SelectToken"}


def dtype_fits(src_dtype: str | None, dst_op: str) -> bool:
    """Typed ports: integer tensors feed Embedding (or pass-through ops), floats the rest.
    Unknown dtypes (shape not inferred yet) are given the benefit of the doubt."""
    if src_dtype is None or dst_op in ANY_DTYPE_OPS:
        return True
    return (src_dtype == "int64") == (dst_op in INT_INPUT_OPS)


class ConnectionDrag:
    def __init__(self, scene: GraphScene, port: PortItem) -> None:
        self.scene = scene
        self.origin = port
        g = scene.graph.g
        node = port.node.node_id
        self.targets: list[PortItem] = []
        report = scene.report

        def dtype(nid: str) -> str | None:
            info = report.nodes.get(nid) if report is not None else None
            return info.dtype if info is not None else None

        if port.is_output:
            banned = nx.ancestors(g, node) | {node}  # feeding them would make a loop
            for nid, item in scene.nodes.items():
                if nid in banned or not item.isVisible() or \
                        not dtype_fits(dtype(node), item.op):
                    continue
                taken = scene.graph.inputs_of(nid)
                self.targets += [p for name, p in item.in_ports.items()
                                 if taken.get(name) != node]
        else:
            banned = nx.descendants(g, node) | {node}
            current = scene.graph.inputs_of(node).get(port.name)
            self.targets = [item.out_port for nid, item in scene.nodes.items()
                            if item.out_port is not None and nid not in banned
                            and nid != current and item.isVisible()
                            and dtype_fits(dtype(nid), port.node.op)]
        for target in self.targets:
            target.set_highlighted(True)
        self.line = QGraphicsPathItem()
        self.line.setPen(QPen(scene.theme.c("selection"), 2, Qt.PenStyle.DashLine))
        self.line.setZValue(5)
        scene.addItem(self.line)

    def target_at(self, pos: QPointF) -> PortItem | None:
        best, best_d = None, 22.0 ** 2
        for target in self.targets:
            d = target.scenePos() - pos
            dist = d.x() ** 2 + d.y() ** 2
            if dist < best_d:
                best, best_d = target, dist
        return best

    def move(self, pos: QPointF) -> None:
        target = self.target_at(pos)
        end = target.scenePos() if target is not None else pos
        start = self.origin.scenePos()
        if self.origin.is_output:
            self.line.setPath(curve(start, end, self.scene.direction))
        else:
            self.line.setPath(curve(end, start, self.scene.direction))

    def finish(self, pos: QPointF) -> ConnectCommand | None:
        target = self.target_at(pos)
        for t in self.targets:
            t.set_highlighted(False)
        self.scene.removeItem(self.line)
        if target is None:
            return None
        if self.origin.is_output:
            return ConnectCommand(self.origin.node.node_id, target.node.node_id, target.name)
        return ConnectCommand(target.node.node_id, self.origin.node.node_id, self.origin.name)
