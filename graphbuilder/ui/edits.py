"""Higher-level edits built from core commands: add or splice an op, insert a block,
delete, paste, auto-layout, align, group, collapse/expand with room-making. Each
returns one command (a MacroCommand where several steps make one gesture) for
:meth:`Editor.execute`. No widgets here: this module is plain Python over the model."""

from __future__ import annotations

import re
from typing import Any

from graphbuilder.core.commands import (
    AddNodeCommand,
    Command,
    ConnectCommand,
    DisconnectCommand,
    MacroCommand,
    MoveNodesCommand,
    RemoveNodesCommand,
    SetGroupsCommand,
    insert_subgraph_commands,
)
from graphbuilder.core.graph import Group, ModelGraph
from graphbuilder.core.layout import layered_positions
from graphbuilder.core.registry import get_op


def base_id(op: str) -> str:
    """``Conv2d`` -> ``conv2d``, ``GlobalAvgPool2d`` -> ``global_avg_pool2d``."""
    return re.sub(r"(?<=[a-z])(?=[A-Z])", "_", op).lower()


def add_op(graph: ModelGraph, op: str, pos: tuple[float, float],
           feed_from: str | None = None) -> tuple[Command, str]:
    """Add an ``op`` node; connect ``feed_from`` to its first input when given."""
    spec = get_op(op)
    node_id = graph.unique_id(base_id(spec.name))
    cmds: list[Command] = [AddNodeCommand(node_id, spec.name, {}, pos)]
    if feed_from and spec.inputs and feed_from in graph and get_op(
            graph.op(feed_from)).kind != "output":
        first = spec.inputs[0]
        cmds.append(ConnectCommand(feed_from, node_id,
                                   f"{first.name}0" if first.variadic else first.name))
    if len(cmds) == 1:
        return cmds[0], node_id
    return MacroCommand(f"Add {spec.name} '{node_id}'", cmds), node_id


def splice(graph: ModelGraph, op: str, dst: str, port: str) -> tuple[Command, str] | None:
    """Put a new ``op`` node on the wire feeding ``dst.port``, halfway along it."""
    src = graph.inputs_of(dst).get(port)
    spec = get_op(op)
    if src is None or not spec.inputs or spec.kind in ("input", "output", "parameter"):
        return None
    (sx, sy), (dx, dy) = graph.pos(src), graph.pos(dst)
    node_id = graph.unique_id(base_id(spec.name))
    first = spec.inputs[0]
    cmds: list[Command] = [
        AddNodeCommand(node_id, spec.name, {}, ((sx + dx) / 2, (sy + dy) / 2)),
        ConnectCommand(src, node_id, f"{first.name}0" if first.variadic else first.name),
        ConnectCommand(node_id, dst, port),  # replaces the old wire
    ]
    return MacroCommand(f"Insert {spec.name} '{node_id}' before '{dst}'", cmds), node_id


def delete(graph: ModelGraph, node_ids: list[str],
           edges: list[tuple[str, str]]) -> Command | None:
    """Delete nodes and (dst, port) edges as one step."""
    cmds: list[Command] = [DisconnectCommand(dst, port) for dst, port in edges
                           if dst not in node_ids and port in graph.inputs_of(dst)]
    if node_ids:
        cmds.append(RemoveNodesCommand(node_ids))
    if not cmds:
        return None
    if len(cmds) == 1:
        return cmds[0]
    return MacroCommand(f"Delete {len(node_ids)} nodes, {len(cmds) - 1} edges"
                        if node_ids else f"Delete {len(cmds)} edges", cmds)


def subgraph(graph: ModelGraph, node_ids: list[str]) -> ModelGraph:
    """The selected nodes with the edges between them (what copy puts on the clipboard)."""
    keep = set(node_ids)
    sub = ModelGraph(graph.name)
    for n in graph.nodes():
        if n in keep:
            sub.add_node(n, graph.op(n), dict(graph.raw_params(n)), graph.pos(n))
    for e in graph.edges():
        if e.src in keep and e.dst in keep:
            sub.connect(e.src, e.dst, e.port, e.src_port)
    return sub


def paste(graph: ModelGraph, sub: ModelGraph, at: tuple[float, float] | None,
          text: str = "Paste") -> tuple[Command | None, list[str]]:
    """Insert ``sub`` under fresh ids, centred on ``at`` (or offset a little)."""
    if len(sub) == 0:
        return None, []
    xs = [sub.pos(n) for n in sub.nodes()]
    cx, cy = sum(p[0] for p in xs) / len(xs), sum(p[1] for p in xs) / len(xs)
    offset = (at[0] - cx, at[1] - cy) if at else (40.0, 40.0)
    cmds, mapping = insert_subgraph_commands(sub, graph, offset)
    return MacroCommand(f"{text} {len(sub)} nodes", cmds), list(mapping.values())


def insert_block(graph: ModelGraph, block: ModelGraph, at: tuple[float, float],
                 feed_from: str | None, name: str,
                 title: str = "") -> tuple[Command, list[str]]:
    """Insert everything between a block's Input ``x`` and Output ``y`` as one step.

    Nodes the block's input fed are connected to ``feed_from`` when one is given; the
    new nodes form a group (collapsible to one box) under the block's id prefix.
    """
    inner = [n for n in block.nodes() if get_op(block.op(n)).kind not in ("input", "output")]
    sub = subgraph(block, inner)
    prefix = graph.unique_id(base_id(name)) + "."
    xs = [sub.pos(n) for n in sub.nodes()] or [(0.0, 0.0)]
    cx, top = sum(p[0] for p in xs) / len(xs), min(p[1] for p in xs)
    cmds, mapping = insert_subgraph_commands(sub, graph, (at[0] - cx, at[1] - top),
                                             prefix=prefix)
    if feed_from:
        for n in block.input_nodes():
            for e in block.out_edges(n):
                if e.dst in mapping:
                    cmds.append(ConnectCommand(feed_from, mapping[e.dst], e.port))
    ids = list(mapping.values())
    groups = [Group(g.id, g.label, list(g.nodes), g.collapsed) for g in graph.groups.values()]
    groups.append(Group(prefix.rstrip("."), title or name, ids, False))
    cmds.append(SetGroupsCommand(groups, "Group block"))
    return MacroCommand(f"Insert block {title or name}", cmds), ids


def flow_direction(graph: ModelGraph) -> str:
    """"TB" or "LR": which way the design's edges mostly run."""
    dx = dy = 0.0
    for e in graph.edges()[:400]:
        (x1, y1), (x2, y2) = graph.pos(e.src), graph.pos(e.dst)
        dx, dy = dx + abs(x2 - x1), dy + abs(y2 - y1)
    return "LR" if dx > dy else "TB"


def group_anchor(graph: ModelGraph, members: list[str], direction: str) -> tuple[float, float]:
    """Where a collapsed group's box stands: at the start of its members along the flow
    (so expanding opens the block downwards/rightwards from the box)."""
    xs = [graph.pos(n)[0] for n in members]
    ys = [graph.pos(n)[1] for n in members]
    if direction == "TB":
        return (sum(xs) / len(xs), min(ys))
    return (min(xs), sum(ys) / len(ys))


def auto_layout(graph: ModelGraph, direction: str,
                collapsed_groups: set[str] | None = None) -> Command:
    """Layered layout; each collapsed group counts as one node (its members keep their
    arrangement and move along), so a fully collapsed ResNet becomes a compact column.
    ``collapsed_groups`` overrides which groups count as collapsed."""
    if collapsed_groups is None:
        collapsed_groups = {g.id for g in graph.groups.values() if g.collapsed}
    collapsed = {n: g.id for g in graph.groups.values() if g.id in collapsed_groups
                 for n in g.nodes if n in graph}
    if not collapsed:
        return MoveNodesCommand(layered_positions(graph, direction),
                                f"Auto-layout ({direction})")
    unit = {n: collapsed.get(n, n) for n in graph.nodes()}
    quotient = ModelGraph("layout")
    for u in dict.fromkeys(unit.values()):
        quotient.g.add_node(u, op="Identity", params={}, pos=(0.0, 0.0))
    for e in graph.edges():
        a, b = unit[e.src], unit[e.dst]
        if a != b and not quotient.g.has_edge(a, b):
            quotient.g.add_edge(a, b, key="in")
    placed = layered_positions(quotient, direction)
    moves: dict[str, tuple[float, float]] = {}
    for u, (x, y) in placed.items():
        members = [n for n, v in unit.items() if v == u]
        ax, ay = group_anchor(graph, members, direction) if len(members) > 1 or \
            members[0] != u else graph.pos(u)
        for n in members:
            px, py = graph.pos(n)
            moves[n] = (px - ax + x, py - ay + y)
    return MoveNodesCommand(moves, f"Auto-layout ({direction}, groups as one node)")


def set_collapsed(graph: ModelGraph, group_id: str, collapsed: bool,
                  direction: str) -> Command:
    """Collapse or expand one group, making room: expanding pushes what follows the box
    further along the flow by the block's length, collapsing pulls it back."""
    group = graph.groups[group_id]
    members = [n for n in group.nodes if n in graph]
    axis = 1 if direction == "TB" else 0
    along = [graph.pos(n)[axis] for n in members] or [0.0]
    lo, hi = min(along), max(along)
    extent = hi - lo
    others = [n for n in graph.nodes() if n not in set(members)]
    if collapsed:
        movers, shift = [n for n in others if graph.pos(n)[axis] > hi + 1], -extent
    else:
        movers, shift = [n for n in others if graph.pos(n)[axis] > lo + 1], extent
    groups = [Group(g.id, g.label, list(g.nodes), collapsed if g.id == group_id else g.collapsed)
              for g in graph.groups.values()]
    label = group.label or group.id
    cmds: list[Command] = [SetGroupsCommand(groups)]
    if movers and extent > 0:
        moves = {}
        for n in movers:
            p = list(graph.pos(n))
            p[axis] += shift
            moves[n] = (p[0], p[1])
        cmds.insert(0, MoveNodesCommand(moves, "Make room"))
    return MacroCommand(f"{'Collapse' if collapsed else 'Expand'} '{label}'", cmds)


def set_all_collapsed(graph: ModelGraph, collapsed: bool, direction: str) -> Command | None:
    """Collapse (compact layout) or expand (full layout) every group, as one step."""
    if not graph.groups:
        return None
    groups = [Group(g.id, g.label, list(g.nodes), collapsed) for g in graph.groups.values()]
    layout = auto_layout(graph, direction, set(graph.groups) if collapsed else set())
    return MacroCommand("Collapse all groups" if collapsed else "Expand all groups",
                        [layout, SetGroupsCommand(groups)])


def align(graph: ModelGraph, node_ids: list[str], axis: str) -> Command | None:
    """Line the nodes up on the mean x (``axis="x"``) or y; distribute keeps the order."""
    if len(node_ids) < 2:
        return None
    pos = {n: graph.pos(n) for n in node_ids}
    if axis in ("x", "y"):
        i = 0 if axis == "x" else 1
        mean = sum(p[i] for p in pos.values()) / len(pos)
        new = {n: ((mean, p[1]) if i == 0 else (p[0], mean)) for n, p in pos.items()}
        return MoveNodesCommand(new, "Align " + ("vertically" if i == 0 else "horizontally"))
    i = 0 if axis == "distribute_x" else 1
    order = sorted(node_ids, key=lambda n: pos[n][i])
    lo, hi = pos[order[0]][i], pos[order[-1]][i]
    step = (hi - lo) / (len(order) - 1)
    new2: dict[str, Any] = {}
    for k, n in enumerate(order):
        p = list(pos[n])
        p[i] = lo + k * step
        new2[n] = (p[0], p[1])
    return MoveNodesCommand(new2, "Distribute")


def group(graph: ModelGraph, node_ids: list[str], label: str) -> Command | None:
    """Make the nodes one new group (taking them out of any group they were in)."""
    if len(node_ids) < 2:
        return None
    chosen = set(node_ids)
    groups = [Group(g.id, g.label, [n for n in g.nodes if n not in chosen], g.collapsed)
              for g in graph.groups.values()]
    gid = "group"
    i = 2
    while gid in graph.groups:
        gid, i = f"group{i}", i + 1
    groups = [g for g in groups if g.nodes]
    groups.append(Group(gid, label, [n for n in graph.nodes() if n in chosen], False))
    return SetGroupsCommand(groups, f"Group {len(chosen)} nodes")


def ungroup(graph: ModelGraph, node_ids: list[str]) -> Command | None:
    """Dissolve the groups the nodes belong to (the nodes stay)."""
    hit = {g.id for g in graph.groups.values() if set(g.nodes) & set(node_ids)}
    if not hit:
        return None
    groups = [Group(g.id, g.label, list(g.nodes), g.collapsed)
              for g in graph.groups.values() if g.id not in hit]
    return SetGroupsCommand(groups, "Ungroup")
