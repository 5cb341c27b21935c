"""Undoable edit commands on a :class:`ModelGraph` (no Qt).

Every user gesture maps to one command object with ``do(graph)`` and ``undo(graph)``.
The Qt editor wraps them in thin ``QUndoCommand`` adapters; tests drive them directly.
A command captures whatever it needs to undo itself the first time it runs, so
``do``/``undo``/``do`` round-trips exactly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from graphbuilder.core.graph import Edge, GraphEditError, Group, ModelGraph
from graphbuilder.core.registry import get_op


class Command(Protocol):
    text: str

    def do(self, graph: ModelGraph) -> None: ...

    def undo(self, graph: ModelGraph) -> None: ...


@dataclass
class AddNodeCommand:
    node_id: str
    op: str
    params: dict[str, Any] = field(default_factory=dict)
    pos: tuple[float, float] = (0.0, 0.0)

    @property
    def text(self) -> str:
        return f"Add {self.op} '{self.node_id}'"

    def do(self, graph: ModelGraph) -> None:
        get_op(self.op)  # unknown ops are refused before anything changes
        graph.add_node(self.node_id, self.op, self.params, self.pos)

    def undo(self, graph: ModelGraph) -> None:
        graph.remove_node(self.node_id)


@dataclass
class _Snapshot:
    node_id: str
    op: str
    params: dict[str, Any]
    pos: tuple[float, float]
    index: int


class RemoveNodesCommand:
    """Delete nodes with their edges; undo puts them back at their old place in order."""

    def __init__(self, node_ids: list[str]) -> None:
        self.node_ids = list(dict.fromkeys(node_ids))
        self.text = (f"Delete '{self.node_ids[0]}'" if len(self.node_ids) == 1
                     else f"Delete {len(self.node_ids)} nodes")
        self._nodes: list[_Snapshot] = []
        self._edges: list[Edge] = []
        self._groups: list[Group] = []
        self._out_order: dict[str, list[tuple[str, str]]] = {}

    def do(self, graph: ModelGraph) -> None:
        order = graph.nodes()
        self._nodes = [
            _Snapshot(n, graph.op(n), dict(graph.raw_params(n)), graph.pos(n), order.index(n))
            for n in self.node_ids
        ]
        edges = {e for n in self.node_ids for e in graph.in_edges(n) + graph.out_edges(n)}
        self._edges = sorted(edges, key=lambda e: (e.dst, e.port))
        self._out_order = {src: graph.out_edge_order(src) for src in {e.src for e in edges}}
        self._groups = [Group(g.id, g.label, list(g.nodes), g.collapsed)
                        for g in graph.groups.values()]
        for n in self.node_ids:
            graph.remove_node(n)

    def undo(self, graph: ModelGraph) -> None:
        for snap in sorted(self._nodes, key=lambda s: s.index):
            graph.add_node(snap.node_id, snap.op, snap.params, snap.pos)
        _restore_order(graph, {s.node_id: s.index for s in self._nodes})
        for e in self._edges:
            graph.connect(e.src, e.dst, e.port, e.src_port)
        for src, out_order in self._out_order.items():
            graph.restore_out_edge_order(src, out_order)
        graph.set_groups([Group(g.id, g.label, list(g.nodes), g.collapsed)
                          for g in self._groups])


def _restore_order(graph: ModelGraph, wanted: dict[str, int]) -> None:
    """Re-insert nodes so restored ones sit at their old indices (stable code and files)."""
    order = [n for n in graph.nodes() if n not in wanted]
    for node_id, index in sorted(wanted.items(), key=lambda kv: kv[1]):
        order.insert(min(index, len(order)), node_id)
    if order == graph.nodes():
        return
    data = {n: graph.g.nodes[n] for n in order}
    edges = list(graph.g.edges(keys=True, data=True))
    graph.g.clear()
    for n in order:
        graph.g.add_node(n, **data[n])
    graph.g.add_edges_from(edges)


@dataclass
class ConnectCommand:
    """Connect ``src`` to ``dst``'s ``port``, replacing whatever fed that port before."""

    src: str
    dst: str
    port: str
    src_port: str = "out"
    _replaced: Edge | None = None
    _out_order: list[tuple[str, str]] = field(default_factory=list)

    @property
    def text(self) -> str:
        return f"Connect {self.src} → {self.dst}.{self.port}"

    def do(self, graph: ModelGraph) -> None:
        if self.src == self.dst:
            raise GraphEditError("a node cannot feed itself")
        graph.op(self.src)  # a missing source is refused before anything changes
        self._replaced = None
        old = graph.inputs_of(self.dst).get(self.port)
        if old is not None:
            self._out_order = graph.out_edge_order(old)
            self._replaced = graph.disconnect(self.dst, self.port)
        graph.connect(self.src, self.dst, self.port, self.src_port)

    def undo(self, graph: ModelGraph) -> None:
        graph.disconnect(self.dst, self.port)
        if self._replaced:
            e = self._replaced
            graph.connect(e.src, e.dst, e.port, e.src_port)
            graph.restore_out_edge_order(e.src, self._out_order)


@dataclass
class DisconnectCommand:
    dst: str
    port: str
    _edge: Edge | None = None
    _out_order: list[tuple[str, str]] = field(default_factory=list)

    @property
    def text(self) -> str:
        return f"Disconnect {self.dst}.{self.port}"

    def do(self, graph: ModelGraph) -> None:
        src = graph.inputs_of(self.dst).get(self.port)
        self._out_order = graph.out_edge_order(src) if src is not None else []
        self._edge = graph.disconnect(self.dst, self.port)

    def undo(self, graph: ModelGraph) -> None:
        assert self._edge is not None
        e = self._edge
        graph.connect(e.src, e.dst, e.port, e.src_port)
        graph.restore_out_edge_order(e.src, self._out_order)


class SetParamsCommand:
    """Change some parameters of a node; values are checked against the op's spec first."""

    def __init__(self, node_id: str, changes: dict[str, Any]) -> None:
        self.node_id = node_id
        self.changes = dict(changes)
        names = ", ".join(f"{k}={v!r}" for k, v in changes.items())
        self.text = f"Set {names} on '{node_id}'"
        self._before: dict[str, Any] | None = None

    def do(self, graph: ModelGraph) -> None:
        spec = get_op(graph.op(self.node_id))
        problems = spec.check_params(self.changes)
        if problems:
            raise GraphEditError(problems[0])
        self._before = dict(graph.raw_params(self.node_id))
        graph.set_params(self.node_id, {**self._before, **self.changes})

    def undo(self, graph: ModelGraph) -> None:
        assert self._before is not None
        graph.set_params(self.node_id, self._before)


class MoveNodesCommand:
    """Move nodes (drag or auto-layout); ``positions`` maps id -> new (x, y)."""

    def __init__(self, positions: dict[str, tuple[float, float]], text: str = "Move") -> None:
        self.positions = dict(positions)
        self.text = text
        self._before: dict[str, tuple[float, float]] = {}

    def do(self, graph: ModelGraph) -> None:
        self._before = {n: graph.pos(n) for n in self.positions}
        for n, p in self.positions.items():
            graph.set_pos(n, p)

    def undo(self, graph: ModelGraph) -> None:
        for n, p in self._before.items():
            graph.set_pos(n, p)


@dataclass
class RenameNodeCommand:
    old: str
    new: str

    @property
    def text(self) -> str:
        return f"Rename '{self.old}' to '{self.new}'"

    def do(self, graph: ModelGraph) -> None:
        graph.rename_node(self.old, self.new)

    def undo(self, graph: ModelGraph) -> None:
        graph.rename_node(self.new, self.old)


class SetGroupsCommand:
    """Replace the group list (collapse/expand, group/ungroup)."""

    def __init__(self, groups: list[Group], text: str = "Change groups") -> None:
        self.groups = [Group(g.id, g.label, list(g.nodes), g.collapsed) for g in groups]
        self.text = text
        self._before: list[Group] = []

    def do(self, graph: ModelGraph) -> None:
        self._before = [Group(g.id, g.label, list(g.nodes), g.collapsed)
                        for g in graph.groups.values()]
        graph.set_groups([Group(g.id, g.label, list(g.nodes), g.collapsed) for g in self.groups])

    def undo(self, graph: ModelGraph) -> None:
        graph.set_groups(self._before)


class MacroCommand:
    """Several commands as one undo step (paste, one-click fixes, insert block)."""

    def __init__(self, text: str, commands: list[Command]) -> None:
        self.text = text
        self.commands = list(commands)

    def do(self, graph: ModelGraph) -> None:
        done: list[Command] = []
        try:
            for cmd in self.commands:
                cmd.do(graph)
                done.append(cmd)
        except Exception:
            for cmd in reversed(done):
                cmd.undo(graph)
            raise

    def undo(self, graph: ModelGraph) -> None:
        for cmd in reversed(self.commands):
            cmd.undo(graph)


def insert_subgraph_commands(
    sub: ModelGraph, graph: ModelGraph, offset: tuple[float, float] = (0.0, 0.0),
    prefix: str = "",
) -> tuple[list[Command], dict[str, str]]:
    """Commands that copy ``sub``'s nodes/edges into ``graph`` under fresh ids.

    Returns the commands and the old-id -> new-id map (paste, templates blocks).
    """
    taken = set(graph.nodes())
    mapping: dict[str, str] = {}
    for n in sub.nodes():
        base = f"{prefix}{n}"
        new = base
        i = 2
        while new in taken:
            new = f"{base}_{i}"
            i += 1
        taken.add(new)
        mapping[n] = new
    cmds: list[Command] = []
    for n in sub.nodes():
        x, y = sub.pos(n)
        cmds.append(AddNodeCommand(mapping[n], sub.op(n), dict(sub.raw_params(n)),
                                   (x + offset[0], y + offset[1])))
    for e in sub.edges():
        cmds.append(ConnectCommand(mapping[e.src], mapping[e.dst], e.port, e.src_port))
    return cmds, mapping
