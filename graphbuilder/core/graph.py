"""``ModelGraph``: the one source of truth for a network design.

A ``networkx.MultiDiGraph`` holds the nodes (op name, parameters, position) and the
edges. An edge runs from a node's output port to a *named* input port of another
node; the edge key is that input port, so a port takes at most one edge and the
order of concat inputs (``in0``, ``in1``...) is explicit. Views (the Qt scene, the
problems list) subscribe to :class:`GraphEvent` notifications and never keep
state of their own that could drift from the model.

Mutations here are primitives; user edits go through the undoable command objects in
:mod:`graphbuilder.core.commands`.
"""

from __future__ import annotations

import copy
import heapq
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import networkx as nx

from graphbuilder.core.registry import get_op

#: Node ids are Python identifiers joined by dots; segments after the first may be
#: numbers (``layer1.0.conv1``) so that ids map onto nested torch submodules.
ID_PATTERN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z0-9_]+)*$")


class GraphEditError(ValueError):
    """An edit that cannot be applied (duplicate id, missing node, taken port...)."""


@dataclass(frozen=True)
class Edge:
    src: str
    dst: str
    port: str  # input port on ``dst``
    src_port: str = "out"


@dataclass(frozen=True)
class GraphEvent:
    """What changed. ``kind`` is one of the ``EVENT_KINDS``; ``nodes`` are affected ids."""

    kind: str
    nodes: tuple[str, ...] = ()
    old: str | None = None  # previous id for "node_renamed"


EVENT_KINDS = (
    "node_added", "node_removed", "node_changed", "node_moved", "node_renamed",
    "edge_added", "edge_removed", "groups_changed", "meta_changed", "reset",
)


@dataclass
class Group:
    """A named set of nodes the editor can collapse into one box (a residual block)."""

    id: str
    label: str
    nodes: list[str] = field(default_factory=list)
    collapsed: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "label": self.label, "nodes": list(self.nodes),
                "collapsed": self.collapsed}


Listener = Callable[[GraphEvent], None]


class ModelGraph:
    """A directed graph of typed op nodes, observed by views."""

    def __init__(self, name: str = "untitled", description: str = "") -> None:
        self.g = nx.MultiDiGraph()
        self.name = name
        self.description = description
        self.metadata: dict[str, Any] = {}
        self.training: dict[str, Any] | None = None  # run config, owned by training/
        self.groups: dict[str, Group] = {}
        self._listeners: list[Listener] = []
        self.revision = 0  # bumps on every change; caches key on it

    # ------------------------------------------------------------------ observation
    def subscribe(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def unsubscribe(self, listener: Listener) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    def _emit(self, kind: str, nodes: Iterable[str] = (), old: str | None = None) -> None:
        self.revision += 1
        event = GraphEvent(kind, tuple(nodes), old)
        for listener in list(self._listeners):
            listener(event)

    # ---------------------------------------------------------------------- queries
    def __contains__(self, node_id: object) -> bool:
        return node_id in self.g

    def __len__(self) -> int:
        return self.g.number_of_nodes()

    def nodes(self) -> list[str]:
        """Node ids in insertion order (stable for files and code generation)."""
        return list(self.g.nodes)

    def op(self, node_id: str) -> str:
        return self._data(node_id)["op"]

    def raw_params(self, node_id: str) -> dict[str, Any]:
        """Parameters as the user set them (no defaults filled in)."""
        return self._data(node_id)["params"]

    def params(self, node_id: str) -> dict[str, Any]:
        """Parameters with the op's defaults filled in."""
        data = self._data(node_id)
        try:
            return get_op(data["op"]).resolve_params(data["params"])
        except KeyError:
            return dict(data["params"])

    def pos(self, node_id: str) -> tuple[float, float]:
        return self._data(node_id)["pos"]

    # The queries below read networkx's adjacency dicts (``_node``, ``_pred``, ``_succ``)
    # directly: its view objects cost ~10 us per call, which made validating a
    # 1000-node graph take tens of milliseconds on every edit.
    def _data(self, node_id: str) -> dict[str, Any]:
        try:
            return self.g._node[node_id]
        except (KeyError, TypeError):
            raise GraphEditError(f"there is no node '{node_id}'") from None

    def edges(self) -> list[Edge]:
        return [Edge(u, v, k, d.get("src_port", "out"))
                for u, v, k, d in self.g.edges(keys=True, data=True)]

    def in_edges(self, node_id: str) -> list[Edge]:
        self._data(node_id)  # a missing id is an error, not an empty (or odd) answer
        return [Edge(u, node_id, k, d.get("src_port", "out"))
                for u, keys in self.g._pred[node_id].items() for k, d in keys.items()]

    def out_edges(self, node_id: str) -> list[Edge]:
        self._data(node_id)
        return [Edge(node_id, v, k, d.get("src_port", "out"))
                for v, keys in self.g._succ[node_id].items() for k, d in keys.items()]

    def has_consumers(self, node_id: str) -> bool:
        """Whether anything reads this node's output."""
        self._data(node_id)
        return bool(self.g._succ[node_id])

    def inputs_of(self, node_id: str) -> dict[str, str]:
        """Map of connected input port -> source node id."""
        self._data(node_id)
        return {k: u for u, keys in self.g._pred[node_id].items() for k in keys}

    def input_nodes(self) -> list[str]:
        return [n for n, d in self.g._node.items() if d["op"] == "Input"]

    def output_nodes(self) -> list[str]:
        return [n for n, d in self.g._node.items() if d["op"] == "Output"]

    def topological_order(self) -> list[str]:
        """A stable topological order (insertion order breaks ties).

        Raises ``networkx.NetworkXUnfeasible`` on a cycle. Kahn's algorithm on the raw
        adjacency dicts: networkx's lexicographical sort was a third of the time of
        re-validating a large graph.
        """
        index = {n: i for i, n in enumerate(self.g._node)}
        pending = {n: len(preds) for n, preds in self.g._pred.items()}
        ready = [(i, n) for n, i in index.items() if pending[n] == 0]
        heapq.heapify(ready)
        order: list[str] = []
        succ = self.g._succ
        while ready:
            _, n = heapq.heappop(ready)
            order.append(n)
            for v in succ[n]:
                pending[v] -= 1
                if pending[v] == 0:
                    heapq.heappush(ready, (index[v], v))
        if len(order) != len(index):
            raise nx.NetworkXUnfeasible("the graph contains a cycle")
        return order

    def unique_id(self, base: str) -> str:
        """``base`` if free, else ``base_2``, ``base_3``..."""
        base = re.sub(r"[^A-Za-z0-9_.]", "_", base) or "node"
        if not re.match(r"[A-Za-z_]", base):
            base = "n_" + base
        if base not in self.g:
            return base
        stem = re.sub(r"_\d+$", "", base)
        i = 2
        while f"{stem}_{i}" in self.g:
            i += 1
        return f"{stem}_{i}"

    def group_of(self, node_id: str) -> Group | None:
        for group in self.groups.values():
            if node_id in group.nodes:
                return group
        return None

    # ------------------------------------------------------------------- primitives
    def add_node(self, node_id: str, op: str, params: dict[str, Any] | None = None,
                 pos: tuple[float, float] = (0.0, 0.0)) -> None:
        if not ID_PATTERN.match(node_id):
            raise GraphEditError(
                f"'{node_id}' is not a valid id: use letters, digits and _, "
                "with dots for nesting (e.g. layer1.0.conv1)")
        if node_id in self.g:
            raise GraphEditError(f"a node called '{node_id}' already exists")
        self.g.add_node(node_id, op=op, params=dict(params or {}),
                        pos=(float(pos[0]), float(pos[1])))
        self._emit("node_added", (node_id,))

    def remove_node(self, node_id: str) -> None:
        self._data(node_id)
        touched = set(self.g.predecessors(node_id)) | set(self.g.successors(node_id))
        self.g.remove_node(node_id)
        for group in self.groups.values():
            if node_id in group.nodes:
                group.nodes.remove(node_id)
        self._emit("node_removed", (node_id, *sorted(touched)))

    def set_params(self, node_id: str, params: dict[str, Any]) -> None:
        """Replace the node's parameter dict."""
        self._data(node_id)["params"] = dict(params)
        self._emit("node_changed", (node_id,))

    def set_op(self, node_id: str, op: str, params: dict[str, Any]) -> None:
        data = self._data(node_id)
        data["op"], data["params"] = op, dict(params)
        self._emit("node_changed", (node_id,))

    def set_pos(self, node_id: str, pos: tuple[float, float]) -> None:
        self._data(node_id)["pos"] = (float(pos[0]), float(pos[1]))
        self._emit("node_moved", (node_id,))

    def connect(self, src: str, dst: str, port: str, src_port: str = "out") -> None:
        self._data(src)
        self._data(dst)
        if port in self.inputs_of(dst):
            raise GraphEditError(f"port '{port}' of '{dst}' is already connected")
        self.g.add_edge(src, dst, key=port, src_port=src_port)
        self._emit("edge_added", (src, dst))

    def disconnect(self, dst: str, port: str) -> Edge:
        for edge in self.in_edges(dst):
            if edge.port == port:
                self.g.remove_edge(edge.src, dst, key=port)
                self._emit("edge_removed", (edge.src, dst))
                return edge
        raise GraphEditError(f"port '{port}' of '{dst}' is not connected")

    def rename_node(self, old: str, new: str) -> None:
        if old == new:
            return
        if not ID_PATTERN.match(new):
            raise GraphEditError(f"'{new}' is not a valid id")
        if new in self.g:
            raise GraphEditError(f"a node called '{new}' already exists")
        self._data(old)
        # relabel_nodes(copy=False) would move the node to the end; keep order stable
        self.g = nx.relabel_nodes(self.g, {old: new}, copy=True)
        for group in self.groups.values():
            group.nodes = [new if n == old else n for n in group.nodes]
        self._emit("node_renamed", (new,), old=old)

    def out_edge_order(self, node_id: str) -> list[tuple[str, str]]:
        """``(dst, port)`` of the node's out-edges in storage order (files list edges so)."""
        return [(v, k) for _, v, k in self.g.out_edges(node_id, keys=True)]

    def restore_out_edge_order(self, node_id: str, order: list[tuple[str, str]]) -> None:
        """Put the node's out-edges back in ``order`` (from :meth:`out_edge_order`).

        Undo re-creates edges at the end of the adjacency lists; this puts them back
        where they were so that undo restores the saved file byte for byte. No event:
        the connections themselves do not change.
        """
        current = list(self.g.out_edges(node_id, keys=True, data=True))
        if [(v, k) for _, v, k, _ in current] == order:
            return
        rank = {e: i for i, e in enumerate(order)}
        ordered = sorted(current, key=lambda e: rank.get((e[1], e[2]), len(rank)))
        self.g.remove_edges_from([(u, v, k) for u, v, k, _ in current])
        self.g.add_edges_from(ordered)

    def set_groups(self, groups: Iterable[Group]) -> None:
        self.groups = {g.id: g for g in groups}
        self._emit("groups_changed", ())

    def set_meta(self, **fields: Any) -> None:
        """Update name/description/metadata/training (one event)."""
        for key, value in fields.items():
            if key not in ("name", "description", "metadata", "training"):
                raise AttributeError(key)
            setattr(self, key, value)
        self._emit("meta_changed", ())

    def replace_with(self, other: ModelGraph) -> None:
        """Take over ``other``'s content (open file / new) and tell views to rebuild."""
        self.g = other.g
        self.name, self.description = other.name, other.description
        self.metadata, self.training = other.metadata, other.training
        self.groups = other.groups
        self._emit("reset", ())

    # -------------------------------------------------------------------- helpers
    def copy(self) -> ModelGraph:
        """Deep copy without listeners."""
        out = ModelGraph(self.name, self.description)
        out.g = copy.deepcopy(self.g)
        out.metadata = copy.deepcopy(self.metadata)
        out.training = copy.deepcopy(self.training)
        out.groups = copy.deepcopy(self.groups)
        return out

    def node_items(self) -> Iterator[tuple[str, dict[str, Any]]]:
        yield from self.g.nodes(data=True)

    def __repr__(self) -> str:
        return f"ModelGraph({self.name!r}, {len(self)} nodes, {self.g.number_of_edges()} edges)"
