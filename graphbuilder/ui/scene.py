"""The canvas scene: a view of the ModelGraph that follows its GraphEvents.

The scene never edits items as the truth: gestures (move, connect, drop, collapse)
become core commands run through the :class:`~graphbuilder.ui.undo.Editor`, the graph
emits events, and the scene updates its items from the graph. Shape-inference results
arrive through :meth:`apply_report`.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QPoint, QPointF, QRectF, QTimer, Signal
from PySide6.QtGui import QPainter, QPen
from PySide6.QtWidgets import QGraphicsScene

from graphbuilder.compiler.shapes import ShapeReport
from graphbuilder.core.graph import GraphEvent, Group, ModelGraph
from graphbuilder.ui.connect_drag import ConnectionDrag
from graphbuilder.ui.edge_item import EdgeItem
from graphbuilder.ui.edits import group_anchor, set_collapsed
from graphbuilder.ui.gestures import GestureMixin
from graphbuilder.ui.group_item import CollapsedGroupItem, GroupFrame
from graphbuilder.ui.node_item import NODE_H, NodeItem
from graphbuilder.ui.theme import Theme
from graphbuilder.ui.undo import Editor

_GROUP_EVENTS = {"node_added", "node_removed", "node_renamed", "groups_changed"}


class GraphScene(GestureMixin, QGraphicsScene):
    node_activated = Signal(str)  # double-click: show in inspector
    op_dropped = Signal(str, QPointF)
    op_dropped_on_edge = Signal(str, str, str)  # op, edge's dst, edge's port
    block_dropped = Signal(str, QPointF)
    context_requested = Signal(object, QPoint)  # node id or None, screen position

    def __init__(self, graph: ModelGraph, editor: Editor, theme: Theme,
                 direction: str = "TB") -> None:
        super().__init__()
        self.graph, self.editor, self.theme, self.direction = graph, editor, theme, direction
        self.nodes: dict[str, NodeItem] = {}
        self.edges: dict[tuple[str, str], EdgeItem] = {}
        self._edges_at: dict[str, set[tuple[str, str]]] = {}  # node -> keys of its edges
        self.frames: dict[str, GroupFrame] = {}
        self.collapsed: dict[str, CollapsedGroupItem] = {}
        self._hidden_in: dict[str, str] = {}  # node -> collapsed group standing in for it
        self.snap, self.grid = True, 20.0
        self.locked = False
        self.report: ShapeReport | None = None
        self._drag: ConnectionDrag | None = None
        self._groups_timer = QTimer(self, singleShot=True, interval=0)
        self._groups_timer.timeout.connect(self._rebuild_groups)
        self.setItemIndexMethod(QGraphicsScene.ItemIndexMethod.NoIndex)
        graph.subscribe(self._on_event)
        self.rebuild()

    def detach(self) -> None:
        self.graph.unsubscribe(self._on_event)

    # ------------------------------------------------------------------ model -> items
    def rebuild(self) -> None:
        self._drag = None
        self.clear()
        self.nodes.clear()
        self.edges.clear()
        self._edges_at.clear()
        self.frames.clear()
        self.collapsed.clear()
        self._hidden_in.clear()
        for node_id in self.graph.nodes():
            self._add_node_item(node_id)
        for edge in self.graph.edges():
            self._add_edge_item(edge.src, edge.dst, edge.port)
        self._rebuild_groups()
        if self.report is not None:
            self.apply_report(self.report)

    def _on_event(self, ev: GraphEvent) -> None:
        kind = ev.kind
        if kind == "reset":
            self.report = None
            self.rebuild()
            return
        if kind == "node_added":
            self._add_node_item(ev.nodes[0])
        elif kind == "node_removed":
            self._remove_node_item(ev.nodes[0])
            self._sync_ports(ev.nodes[1:])
        elif kind == "node_changed":
            nid = ev.nodes[0]
            item = self.nodes.get(nid)
            if item is not None and item.op != self.graph.op(nid):
                self._replace_node_item(nid, nid)
                self._groups_timer.start()
            elif item is not None:
                item.set_params(self.graph.params(nid))
        elif kind == "node_moved":
            item = self.nodes.get(ev.nodes[0])
            if item is not None:
                item.setPos(*self.graph.pos(ev.nodes[0]))
                self.node_item_moved(item)
            if ev.nodes[0] in self._hidden_in:  # the stand-in box moves with its members
                self._groups_timer.start()
        elif kind == "node_renamed":
            self._replace_node_item(ev.old or "", ev.nodes[0])
        elif kind in ("edge_added", "edge_removed"):
            self._sync_ports(ev.nodes[1:])
            self._sync_edges(ev.nodes)
        if kind in _GROUP_EVENTS:  # moves refit frames directly; params change nothing
            self._groups_timer.start()

    def _add_node_item(self, node_id: str) -> None:
        params = self.graph.params(node_id)
        item = NodeItem(node_id, self.graph.op(node_id), params, self.theme, self.direction)
        self.nodes[node_id] = item
        item.setPos(*self.graph.pos(node_id))
        self._ports_for(item)
        if self.locked:
            item.setFlag(NodeItem.GraphicsItemFlag.ItemIsMovable, False)
        self.addItem(item)

    def _replace_node_item(self, old: str, new: str) -> None:
        """A fresh card for a renamed node (or one whose op changed), keeping selection."""
        item = self.nodes.get(old)
        selected = item is not None and item.isSelected()
        if selected:  # one selection change, to the new card, not an empty one between
            self.blockSignals(True)
        self._remove_node_item(old)
        self._add_node_item(new)
        self._sync_edges([new])
        if selected:
            self.nodes[new].setSelected(True)
            self.blockSignals(False)
            self.selectionChanged.emit()
        if self.report is not None:
            info = self.report.nodes.get(old)
            if info is not None:  # old numbers until the new inference lands
                self.nodes[new].set_info(info.shape_text() if info.shape else "",
                                         info.params, None)

    def _remove_node_item(self, node_id: str) -> None:
        item = self.nodes.pop(node_id, None)
        if item is not None:
            self.removeItem(item)
        for key in list(self._edges_at.get(node_id, ())):
            self._drop_edge(key)
        self._edges_at.pop(node_id, None)

    def _ports_for(self, item: NodeItem) -> None:
        connected = self.graph.inputs_of(item.node_id) if item.node_id in self.graph else {}
        if item.spec is None:
            item.set_ports([(p, "") for p in sorted(connected)], True)
            return
        ports: list[tuple[str, str]] = []
        for spec in item.spec.inputs:
            if spec.variadic:
                names = spec.port_names(connected)
                nums = [int(n[len(spec.name):]) for n in names]
                free = f"{spec.name}{max(nums) + 1 if nums else 0}"
                ports += [(n, spec.doc) for n in names] + [(free, "add another input")]
            else:
                ports.append((spec.name, spec.doc))
        item.set_ports(ports, item.spec.kind != "output")

    def _sync_ports(self, node_ids: Any) -> None:
        for nid in node_ids:
            if nid in self.nodes:
                self._ports_for(self.nodes[nid])
                self._update_edges_of(nid)

    def _sync_edges(self, node_ids: Any) -> None:
        wanted = {}
        for nid in node_ids:
            if nid in self.graph:
                for e in self.graph.in_edges(nid) + self.graph.out_edges(nid):
                    wanted[(e.dst, e.port)] = e
        touching = {k for nid in node_ids for k in self._edges_at.get(nid, ())}
        for key in touching:
            e = wanted.get(key)
            if e is None or e.src != self.edges[key].src:
                self._drop_edge(key)
        for key, e in wanted.items():
            if key not in self.edges:
                self._add_edge_item(e.src, e.dst, e.port)

    def _drop_edge(self, key: tuple[str, str]) -> None:
        item = self.edges.pop(key, None)
        if item is None:
            return
        self.removeItem(item)
        for nid in (item.src, item.dst):
            self._edges_at.get(nid, set()).discard(key)

    def _add_edge_item(self, src: str, dst: str, port: str) -> None:
        item = EdgeItem(src, dst, port, self.theme)
        self.edges[(dst, port)] = item
        for nid in (src, dst):
            self._edges_at.setdefault(nid, set()).add((dst, port))
        self.addItem(item)
        self._place_edge(item)
        if self.report is not None:
            info = self.report.nodes.get(src)
            item.set_label(info.shape_text() if info and info.shape else "")

    # ------------------------------------------------------------------ geometry
    def _place_edge(self, edge: EdgeItem) -> None:
        gs, gd = self._hidden_in.get(edge.src), self._hidden_in.get(edge.dst)
        src, dst = self.nodes.get(edge.src), self.nodes.get(edge.dst)
        if src is None or dst is None or (gs is not None and gs == gd):
            edge.setVisible(False)
            return
        edge.setVisible(True)
        if gs is not None:
            p1 = self.collapsed[gs].out_anchor()
        else:
            p1 = src.out_port.scenePos() if src.out_port else src.scenePos()
        if gd is not None:
            p2 = self.collapsed[gd].in_anchor()
        else:
            port = dst.in_ports.get(edge.port)
            p2 = port.scenePos() if port else dst.scenePos() - QPointF(0, NODE_H / 2)
        edge.set_ends(p1, p2, self.direction)

    def _update_edges_of(self, node_id: str) -> None:
        for key in self._edges_at.get(node_id, ()):
            self._place_edge(self.edges[key])

    def node_item_moved(self, item: NodeItem) -> None:
        self._update_edges_of(item.node_id)
        group = self.graph.group_of(item.node_id)
        if group is not None and group.id in self.frames:
            self._fit_frame(group)

    def group_item_moved(self, item: CollapsedGroupItem) -> None:
        for key in {k for n in item.members for k in self._edges_at.get(n, ())}:
            self._place_edge(self.edges[key])

    def _rebuild_groups(self) -> None:
        for item in [*self.frames.values(), *self.collapsed.values()]:
            self.removeItem(item)
        self.frames.clear()
        self.collapsed.clear()
        self._hidden_in.clear()
        for group in self.graph.groups.values():
            members = [n for n in group.nodes if n in self.nodes]
            if not members:
                continue
            if group.collapsed:
                box = CollapsedGroupItem(group.id, group.label, members, self.theme,
                                         self.direction)
                box.setPos(*group_anchor(self.graph, members, self.direction))
                box.setFlag(CollapsedGroupItem.GraphicsItemFlag.ItemIsMovable, not self.locked)
                self.collapsed[group.id] = box
                self.addItem(box)
                for n in members:
                    self._hidden_in[n] = group.id
            else:
                frame = GroupFrame(group.id, group.label, self.theme)
                self.frames[group.id] = frame
                self.addItem(frame)
                self._fit_frame(group)
        for nid, item in self.nodes.items():
            item.setVisible(nid not in self._hidden_in)
        for edge in self.edges.values():
            self._place_edge(edge)
        if self.report is not None:
            self._apply_group_info(self.report)

    def _fit_frame(self, group: Group) -> None:
        rect = QRectF()
        for n in group.nodes:
            if n in self.nodes:
                rect = rect.united(self.nodes[n].sceneBoundingRect())
        self.frames[group.id].set_rect(rect)

    def set_group_collapsed(self, group_id: str, collapsed: bool) -> None:
        """Collapse/expand one group (one undo step), shifting what follows to make room."""
        self.editor.execute(set_collapsed(self.graph, group_id, collapsed, self.direction))

    # ------------------------------------------------------------------ analysis
    def apply_report(self, report: ShapeReport) -> None:
        """Show shapes, parameter counts and problems from one inference run."""
        self.report = report
        problems: dict[str, tuple[str, str]] = {}
        for err in report.errors:
            if err.node and (err.node not in problems or err.is_error
                             and problems[err.node][1] != "error"):
                problems[err.node] = (err.message, err.severity)
        for nid, item in self.nodes.items():
            info = report.nodes.get(nid)
            msg, sev = problems.get(nid, (None, ""))
            item.set_info(info.shape_text() if info and info.shape else "",
                          info.params if info else 0, msg, sev)
        for edge in self.edges.values():
            info = report.nodes.get(edge.src)
            edge.set_label(info.shape_text() if info and info.shape else "",
                           bad=problems.get(edge.dst, ("", ""))[1] == "error")
        self._apply_group_info(report)

    def _apply_group_info(self, report: ShapeReport) -> None:
        if not self.collapsed:
            return
        bad = {e.node for e in report.errors if e.is_error}
        ins: dict[str, list[str]] = {}
        outs: dict[str, list[str]] = {}
        for e in self.graph.edges():  # one pass for all boxes: what crosses each boundary
            gs, gd = self._hidden_in.get(e.src), self._hidden_in.get(e.dst)
            if gd is not None and gs != gd:
                ins.setdefault(gd, []).append(e.src)
            if gs is not None and gs != gd:
                outs.setdefault(gs, []).append(e.src)

        def text(nodes: list[str]) -> str:
            info = report.nodes.get(nodes[0]) if nodes else None
            return info.shape_text() if info and info.shape else ""

        for gid, box in self.collapsed.items():
            members = set(box.members)
            box.set_info(text(ins.get(gid, [])), text(outs.get(gid, [])),
                         sum(report.nodes[n].params for n in members if n in report.nodes),
                         bool(members & bad))

    # ------------------------------------------------------------------ appearance
    def set_theme(self, theme: Theme) -> None:
        self.theme = theme
        for item in self.items():
            if hasattr(item, "set_theme"):
                item.set_theme(theme)
            elif hasattr(item, "theme"):
                item.theme = theme
                item.update()
        self.update()

    def set_direction(self, direction: str) -> None:
        self.direction = direction
        for item in self.nodes.values():
            item.direction = direction
            item.layout_ports()
        self._rebuild_groups()

    def set_locked(self, locked: bool) -> None:
        self.locked = locked
        for item in [*self.nodes.values(), *self.collapsed.values()]:
            item.setFlag(NodeItem.GraphicsItemFlag.ItemIsMovable, not locked)

    def drawBackground(self, painter: QPainter, rect: QRectF) -> None:
        painter.fillRect(rect, self.theme.c("canvas"))
        if painter.worldTransform().m11() < 0.5:
            return
        step = self.grid * 2
        painter.setPen(QPen(self.theme.c("grid"), 1))
        left, top = int(rect.left() // step * step), int(rect.top() // step * step)
        lines = [QPointF(x, rect.top()) for x in range(left, int(rect.right()) + 1, int(step))]
        for p in lines:
            painter.drawLine(p, QPointF(p.x(), rect.bottom()))
        for y in range(top, int(rect.bottom()) + 1, int(step)):
            painter.drawLine(QPointF(rect.left(), y), QPointF(rect.right(), y))

    # ------------------------------------------------------------------ selection
    def selected_node_ids(self) -> list[str]:
        ids: list[str] = []
        for item in self.selectedItems():
            if isinstance(item, NodeItem):
                ids.append(item.node_id)
            elif isinstance(item, CollapsedGroupItem):
                ids += item.members
        return [n for n in self.graph.nodes() if n in set(ids)]

    def selected_edges(self) -> list[EdgeItem]:
        return [i for i in self.selectedItems() if isinstance(i, EdgeItem)]

    def select_nodes(self, ids: list[str]) -> None:
        self.clearSelection()
        for nid in ids:
            gid = self._hidden_in.get(nid)
            item = self.collapsed.get(gid) if gid else self.nodes.get(nid)
            if item is not None:
                item.setSelected(True)

    def item_for(self, node_id: str) -> NodeItem | CollapsedGroupItem | None:
        gid = self._hidden_in.get(node_id)
        return self.collapsed.get(gid) if gid else self.nodes.get(node_id)
