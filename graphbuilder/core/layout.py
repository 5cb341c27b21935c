"""Layered (Sugiyama-style) auto-layout, and the route an edge takes between two ports.

Positions are data (saved in the file) so the layout only runs on request or when a
graph is generated in code. Nothing but positions is stored: how an edge is drawn is a
function of its two port positions (:func:`edge_route`), and the layout places nodes so
that those routes stay clear of every card that is not an endpoint.

The layout, on a grid of rows (layers) and lanes (slots across the flow):

1. **Rows**: longest path from the inputs (networkx topological order), then nodes
   that only feed further down (a ``Parameter``, a second ``Input`` and the chain it
   starts) move as late as possible, next to their consumer: shorter edges.
2. **Chains**: each node continues the chain (a straight column) of a parent in the
   row right above it, the one on its first input port; a parent continues into its
   child with the longest way still to go. So a ResNet's main path is one column, a
   downsample shortcut its own short chain, an Inception branch its own chain. A
   chain ends at a node with an edge that skips rows to another chain (step 3).
3. **Virtual lanes**: an edge that skips rows is routed through its own lane, like
   a chain of dummy nodes: when both ends are in the same column it runs beside the
   column (one slot over, shared by all such skips of that column: residuals, U-Net
   and DenseNet skips); otherwise it drops straight down the lane of its source and
   turns into the target in the gap above it. Those lanes are reserved cells.
4. **Lanes for chains**: the longest chain goes first (x = 0); then, growing outwards
   from what is placed, each chain goes to the free lane nearest the median of its
   neighbours, on the side its ports face (a shortcut entering an ``Add``'s second
   input sits to the right; an Inception branch keeps its port order), which keeps
   crossings down.

Runs in linear-ish time: ResNet-152 (517 nodes) takes a few milliseconds.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable

import networkx as nx

from graphbuilder.core.graph import ModelGraph
from graphbuilder.core.registry import get_op, has_op

CARD_W, CARD_H = 176.0, 74.0  # a node card (graphbuilder.ui.node_item.NODE_W / NODE_H)
ROW_STEP = {"TB": 120.0, "LR": 240.0}  # distance between layers, along the flow
SLOT = {"TB": 220.0, "LR": 110.0}  # distance between lanes, across the flow

Point = tuple[float, float]
Cubic = tuple[Point, Point, Point, Point]


# ---------------------------------------------------------------------- ports & routes
def card_extent(direction: str) -> tuple[float, float]:
    """(along the flow, across the flow) size of a card."""
    return (CARD_H, CARD_W) if direction == "TB" else (CARD_W, CARD_H)


def input_ports(graph: ModelGraph, node_id: str) -> list[str]:
    """The input ports a node's card shows, in order (as the canvas lays them out: a
    variadic port lists its connected inputs and then one free slot)."""
    connected = graph.inputs_of(node_id)
    op = graph.op(node_id)
    if not has_op(op):
        return sorted(connected)
    ports: list[str] = []
    for spec in get_op(op).inputs:
        if spec.variadic:
            names = spec.port_names(connected)
            nums = [int(n[len(spec.name):]) for n in names]
            ports += [*names, f"{spec.name}{max(nums) + 1 if nums else 0}"]
        else:
            ports.append(spec.name)
    return ports


def port_offset(ports: list[str], port: str, direction: str) -> float:
    """Across-the-flow offset of input ``port`` from the card's centre (0 if unknown)."""
    if port not in ports:
        return 0.0
    across = card_extent(direction)[1]
    return across * ((ports.index(port) + 1) / (len(ports) + 1) - 0.5)


def out_point(pos: Point, direction: str) -> Point:
    """Where the output port of a card centred at ``pos`` is."""
    half = card_extent(direction)[0] / 2
    return (pos[0], pos[1] + half) if direction == "TB" else (pos[0] + half, pos[1])


def in_point(pos: Point, offset: float, direction: str) -> Point:
    """Where an input port ``offset`` across from the centre of a card at ``pos`` is."""
    half = card_extent(direction)[0] / 2
    return (pos[0] + offset, pos[1] - half) if direction == "TB" else \
        (pos[0] - half, pos[1] + offset)


HOOK = {"TB": 40.0, "LR": 56.0}  # a long edge turns within this much of a port (< the gap)


def edge_lane(p1: Point, p2: Point, direction: str) -> float | None:
    """For an edge that skips rows, the across coordinate of the lane it runs in;
    ``None`` for an edge drawn as one curve (it crosses only the gap between rows).

    * The target port within the source's column (a residual, a U-Net skip): beside
      the column, one slot over; longer skips a little further out, so nested skips
      stay apart.
    * Otherwise: straight down the source's lane (a shortcut branch, a short Inception
      branch), turning into the target right above it.
    """
    tb = direction == "TB"
    along, across = card_extent(direction)
    a1, c1 = (p1[1], p1[0]) if tb else p1
    a2, c2 = (p2[1], p2[0]) if tb else p2
    span = a2 - a1
    if span <= along + 20:  # no card fits between the two ends
        return None
    if abs(c2 - c1) <= across / 2 + 1:  # beside the column, on the side the port is
        slot = SLOT[direction]
        out = slot * 0.75 + min(slot * 0.5, span * (0.015 if tb else 0.0035))
        return c1 - out if c2 < c1 - 1 else c1 + out
    return c1


def edge_route(p1: Point, p2: Point, direction: str) -> list[Cubic]:
    """The drawn edge from output port ``p1`` to input port ``p2`` as cubic Bézier
    segments (straight runs are degenerate cubics). The canvas draws exactly this."""
    tb = direction == "TB"

    def pt(along: float, across: float) -> Point:
        return (across, along) if tb else (along, across)

    a1, c1 = (p1[1], p1[0]) if tb else p1
    a2, c2 = (p2[1], p2[0]) if tb else p2
    lane = edge_lane(p1, p2, direction)
    if lane is None:
        d = max(30.0, abs(a2 - a1) * 0.5)
        return [(p1, pt(a1 + d, c1), pt(a2 - d, c2), p2)]
    h = HOOK[direction]
    segs: list[Cubic] = []
    start = p1
    if lane != c1:  # out into the lane, within the gap below the source
        start = pt(a1 + h, lane)
        segs.append((p1, pt(a1 + h / 2, c1), pt(a1 + h / 2, lane), start))
    end = pt(a2 - h, lane) if lane != c2 else p2
    segs.append((start, start, end, end))
    if lane != c2:  # into the target, within the gap above it
        segs.append((end, pt(a2 - h / 2, lane), pt(a2 - h / 2, c2), p2))
    return segs


def edge_points(graph: ModelGraph, direction: str,
                pos: dict[str, Point] | None = None) -> list[tuple[str, str, Point, Point]]:
    """(src, dst, output port point, input port point) for every edge, cards centred on
    ``pos`` (default: the graph's positions)."""
    where = pos if pos is not None else {n: graph.pos(n) for n in graph.nodes()}
    ports: dict[str, list[str]] = {}
    out = []
    for e in graph.edges():
        if e.dst not in ports:
            ports[e.dst] = input_ports(graph, e.dst)
        off = port_offset(ports[e.dst], e.port, direction)
        out.append((e.src, e.dst, out_point(where[e.src], direction),
                    in_point(where[e.dst], off, direction)))
    return out


# ---------------------------------------------------------------------- the layout
def layered_positions(graph: ModelGraph, direction: str = "TB") -> dict[str, Point]:
    """Node id -> card centre for a layered layout flowing ``direction`` ("TB"/"LR").
    A graph with a cycle keeps its positions."""
    g = graph.g
    nodes = graph.nodes()
    if not nodes:
        return {}
    try:
        topo = list(nx.topological_sort(g))
    except nx.NetworkXUnfeasible:  # a cycle: no layers to speak of
        return {n: graph.pos(n) for n in nodes}
    idx = {n: i for i, n in enumerate(nodes)}
    succ: dict[str, list[str]] = {n: [] for n in nodes}
    pred: dict[str, list[str]] = {n: [] for n in nodes}
    rank: dict[tuple[str, str], int] = {}  # (u, v) -> index of v's first port fed by u
    side: dict[tuple[str, str], float] = {}  # (u, v) -> v's port offset, -0.5 .. 0.5
    port_lists: dict[str, list[str]] = {}
    for u, v, port in g.edges(keys=True):
        if v not in port_lists:
            port_lists[v] = input_ports(graph, v)
        plist = port_lists[v]
        r = plist.index(port) if port in plist else len(plist)
        frac = (r + 1) / (len(plist) + 1) - 0.5 if port in plist else 0.0
        if (u, v) not in rank:
            succ[u].append(v)
            pred[v].append(u)
            rank[(u, v)], side[(u, v)] = r, frac
        elif r < rank[(u, v)]:
            rank[(u, v)], side[(u, v)] = r, frac

    # 1. rows: longest path, then pull "feeders" down next to their consumers
    layer: dict[str, int] = {}
    for v in topo:
        layer[v] = max((layer[u] + 1 for u in pred[v]), default=0)
    late: dict[str, bool] = {}  # moving it (and what only feeds it) down shortens edges
    for v in topo:
        late[v] = bool(succ[v]) and (not pred[v] or len(succ[v]) > len(pred[v]) or all(
            late[u] and succ[u] == [v] for u in pred[v]))
    for v in reversed(topo):
        if late[v]:
            layer[v] = max(layer[v], min(layer[s] for s in succ[v]) - 1)
    height: dict[str, int] = {}
    for v in reversed(topo):
        height[v] = max((layer[s] - layer[v] + height[s] for s in succ[v]), default=0)

    # 2. chains: straight columns
    chain_of: dict[str, int] = {}
    chains: list[list[str]] = []
    continued: set[str] = set()
    for v in sorted(nodes, key=lambda n: (layer[n], -height[n], idx[n])):
        cands = [u for u in pred[v] if layer[u] == layer[v] - 1 and u not in continued]
        if cands:
            u = min(cands, key=lambda p: (rank[(p, v)], idx[p]))
            continued.add(u)
            chain_of[v] = chain_of[u]
            chains[chain_of[u]].append(v)
        else:
            chain_of[v] = len(chains)
            chains.append([v])
    # an edge to another chain that skips rows drops down its source's lane, so that
    # lane must be free below the source: end the source's chain there
    split = True
    while split:
        split = False
        for u in nodes:
            chain = chains[chain_of[u]]
            if chain[-1] != u and any(layer[v] - layer[u] > 1 and chain_of[v] != chain_of[u]
                                      for v in succ[u]):
                rest = chain[chain.index(u) + 1:]
                del chain[len(chain) - len(rest):]
                for n in rest:
                    chain_of[n] = len(chains)
                chains.append(rest)
                split = True

    # 3. virtual lanes: cells each chain needs in its own lane (cards, and drops of
    #    edges leaving it) and one lane over (skips beside it, on their port's side)
    own: list[set[int]] = [{layer[n] for n in c} for c in chains]
    beside: list[dict[int, set[int]]] = [{1: set(), -1: set()} for _ in chains]
    links: list[dict[int, list[float]]] = [{} for _ in chains]  # neighbour -> side votes
    linked: set[tuple[str, str]] = set()
    for u, v, port in g.edges(keys=True):
        cu, cv, lo, hi = chain_of[u], chain_of[v], layer[u], layer[v]
        if cu == cv:
            if hi - lo > 1:
                plist = port_lists[v]
                left = port in plist and (plist.index(port) + 1) * 2 < len(plist) + 1
                beside[cu][-1 if left else 1].update(range(lo + 1, hi))
            continue
        if hi - lo > 1:  # drop down u's lane; v's row too: v must not be in it
            own[cu].update(range(lo + 1, hi + 1))
        if (u, v) not in linked:
            linked.add((u, v))
            f = side[(u, v)]
            links[cu].setdefault(cv, []).append(f)  # u sits where v's port faces
            links[cv].setdefault(cu, []).append(-f)

    # 4. lanes: longest chain first, then outwards by adjacency
    lane: dict[int, int] = {}
    occupied: dict[int, set[int]] = {}  # row -> lanes taken

    def free(c: int, x: int) -> bool:
        return all(x not in occupied.get(r, ()) for r in own[c]) and \
            all(x + d not in occupied.get(r, ()) for d, rows in beside[c].items() for r in rows)

    def place(c: int, x: int) -> None:
        lane[c] = x
        for r in own[c]:
            occupied.setdefault(r, set()).add(x)
        for d, rows in beside[c].items():
            for r in rows:
                occupied.setdefault(r, set()).add(x + d)

    def size(c: int) -> tuple[int, int]:
        return (len(chains[c]), len(own[c]) + len(beside[c][1]) + len(beside[c][-1]))

    def key(c: int) -> tuple[int, int, int, int]:
        n, cells = size(c)
        return (-n, -cells, idx[chains[c][0]], c)

    unplaced = set(range(len(chains)))
    heap: list[tuple[int, int, int, int]] = []
    while unplaced:
        first = min(unplaced, key=key)
        if not lane:
            place(first, 0)
        else:  # another component: to the right of everything so far
            right = max(max(s) for s in occupied.values() if s)
            place(first, right + 2)
        unplaced.discard(first)
        heap = [key(n) for n in links[first] if n in unplaced]
        heapq.heapify(heap)
        while heap:
            c = heapq.heappop(heap)[-1]
            if c not in unplaced:
                continue
            xs = sorted(lane[n] for n in links[c] if n in lane)
            votes = [f for n, fs in links[c].items() if n in lane for f in fs]
            want = xs[len(xs) // 2] if xs else 0
            lean = 1 if sum(votes) >= 0 else -1
            x = next(want + k for k in _around(lean) if free(c, want + k))
            place(c, x)
            unplaced.discard(c)
            for n in links[c]:
                if n in unplaced:
                    heapq.heappush(heap, key(n))

    step, slot = ROW_STEP[direction], SLOT[direction]
    pos: dict[str, Point] = {}
    for v in nodes:
        a, c = layer[v] * step, lane[chain_of[v]] * slot
        pos[v] = (c, a) if direction == "TB" else (a, c)
    return pos


def _around(lean: int) -> Iterable[int]:
    """Lane offsets to try, nearest first; the preferred side gets a head start, so
    siblings that all lean right line up on the right in the order they are placed."""
    yield 0
    yield lean
    k = 1
    while True:  # +1, +2, -1, +3, -2, +4, -3 ...
        yield lean * (k + 1)
        yield -lean * k
        k += 1


def auto_layout(graph: ModelGraph, direction: str = "TB") -> None:
    """Move every node to its layered position (silently: no per-node events)."""
    for node_id, p in layered_positions(graph, direction).items():
        graph.g.nodes[node_id]["pos"] = p
