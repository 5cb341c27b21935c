"""Auto-layout: layered, straight chains, and no edge drawn through a card.

The geometric checks use :func:`graphbuilder.core.layout.edge_route`, the exact curves
the canvas draws (``EdgeItem`` builds its path from it), sampled finely, against every
card that is not one of the edge's two ends.
"""

from __future__ import annotations

import pytest

from graphbuilder.core.builder import NetBuilder
from graphbuilder.core.graph import ModelGraph
from graphbuilder.core.layout import (
    CARD_H,
    CARD_W,
    ROW_STEP,
    SLOT,
    auto_layout,
    edge_points,
    edge_route,
    layered_positions,
)
from graphbuilder.zoo.catalog import list_templates, load_template

NAMES = sorted(info.name for info in list_templates())
DIRECTIONS = ("TB", "LR")
SAMPLES = 24  # points per cubic; a card is 74 px thick, a segment at most ~30 px long


def _rect(p: tuple[float, float], shrink: float = 1.0) -> tuple[float, float, float, float]:
    return (p[0] - CARD_W / 2 + shrink, p[1] - CARD_H / 2 + shrink,
            p[0] + CARD_W / 2 - shrink, p[1] + CARD_H / 2 - shrink)


def _bezier(seg, t: float) -> tuple[float, float]:  # noqa: ANN001
    (x0, y0), (x1, y1), (x2, y2), (x3, y3) = seg
    s = 1 - t
    return (s ** 3 * x0 + 3 * s * s * t * x1 + 3 * s * t * t * x2 + t ** 3 * x3,
            s ** 3 * y0 + 3 * s * s * t * y1 + 3 * s * t * t * y2 + t ** 3 * y3)


def _polyline(p1, p2, direction: str) -> list[tuple[float, float]]:  # noqa: ANN001
    pts = [p1]
    for seg in edge_route(p1, p2, direction):
        pts += [_bezier(seg, k / SAMPLES) for k in range(1, SAMPLES + 1)]
    return pts


def _hits(a, b, r) -> bool:  # noqa: ANN001
    """Does segment a-b enter the open rectangle r (Liang-Barsky clipping)?"""
    (x0, y0), (x1, y1) = a, b
    dx, dy = x1 - x0, y1 - y0
    t0, t1 = 0.0, 1.0
    for p, q in ((-dx, x0 - r[0]), (dx, r[2] - x0), (-dy, y0 - r[1]), (dy, r[3] - y0)):
        if p == 0:
            if q <= 0:
                return False
        else:
            t = q / p
            if p < 0:
                t0 = max(t0, t)
            else:
                t1 = min(t1, t)
            if t0 >= t1:
                return False
    return True


def crossings(graph: ModelGraph, pos: dict, direction: str) -> list[str]:
    """'src->dst crosses node' for every drawn edge that passes through a third card."""
    return cards_hit(pos, [(src, dst, _polyline(p1, p2, direction))
                           for src, dst, p1, p2 in edge_points(graph, direction, pos)])


def cards_hit(pos: dict, lines: list[tuple[str, str, list[tuple[float, float]]]]) -> list[str]:
    """For (src, dst, polyline) edges: 'src->dst crosses node' for each card (centred on
    ``pos``) other than src and dst that a polyline enters."""
    cell = 200.0
    grid: dict[tuple[int, int], list[str]] = {}
    rects = {n: _rect(p) for n, p in pos.items()}
    for n, r in rects.items():
        for i in range(int(r[0] // cell), int(r[2] // cell) + 1):
            for j in range(int(r[1] // cell), int(r[3] // cell) + 1):
                grid.setdefault((i, j), []).append(n)
    bad = []
    for src, dst, pts in lines:
        hit: set[str] = set()
        for a, b in zip(pts, pts[1:], strict=False):
            near = set()
            for i in range(int(min(a[0], b[0]) // cell), int(max(a[0], b[0]) // cell) + 1):
                for j in range(int(min(a[1], b[1]) // cell), int(max(a[1], b[1]) // cell) + 1):
                    near.update(grid.get((i, j), ()))
            hit |= {n for n in near - {src, dst} - hit if _hits(a, b, rects[n])}
        bad += [f"{src}->{dst} crosses {n}" for n in sorted(hit)]
    return bad


def overlaps(pos: dict) -> list[str]:
    """Pairs of cards that overlap."""
    items = sorted((p[0], p[1], n) for n, p in pos.items())
    bad = []
    for k, (x, y, n) in enumerate(items):  # sweep along x
        for x2, y2, m in items[k + 1:]:
            if x2 - x >= CARD_W:
                break
            if abs(y2 - y) < CARD_H:
                bad.append(f"{n} overlaps {m}")
    return bad


def edge_crossings(graph: ModelGraph, pos: dict, direction: str) -> int:
    """Pairs of drawn edges that cross (each route taken as its straight pieces: the
    turns into and out of a lane, and the run along it)."""
    tb = direction == "TB"
    pieces = []
    for k, (_, _, p1, p2) in enumerate(edge_points(graph, direction, pos)):
        (a1, c1), (a2, c2) = ((p1[1], p1[0]), (p2[1], p2[0])) if tb else (p1, p2)
        segs = edge_route(p1, p2, direction)
        ends = [segs[0][0], *(s[3] for s in segs)]
        ends = [(y, x) if tb else (x, y) for x, y in ends]
        pieces += [(a, b, k) for a, b in zip(ends, ends[1:], strict=False) if b[0] > a[0]]
    pieces.sort()
    count = 0
    for i, ((a0, c0), (a1, c1), k) in enumerate(pieces):
        for (b0, d0), (b1, d1), m in pieces[i + 1:]:
            if b0 >= a1:
                break
            lo, hi = max(a0, b0), min(a1, b1)
            if m == k or hi - lo < 1:
                continue

            def at(a, s0, s1, e0, e1):  # noqa: ANN001, ANN202
                return s1 + (e1 - s1) * (a - s0) / (e0 - s0)
            first = at(lo, a0, c0, a1, c1) - at(lo, b0, d0, b1, d1)
            last = at(hi, a0, c0, a1, c1) - at(hi, b0, d0, b1, d1)
            count += first * last < -1e-6
    return count


@pytest.fixture(scope="module")
def templates() -> dict[str, ModelGraph]:
    return {name: load_template(name) for name in NAMES}


@pytest.mark.parametrize("direction", DIRECTIONS)
@pytest.mark.parametrize("name", NAMES)
def test_template_layout_is_clean(templates, name: str, direction: str) -> None:  # noqa: ANN001
    graph = templates[name]
    pos = layered_positions(graph, direction)
    assert set(pos) == set(graph.nodes())
    assert overlaps(pos) == []
    assert crossings(graph, pos, direction) == []
    along = 1 if direction == "TB" else 0
    for e in graph.edges():  # everything flows one way
        assert pos[e.dst][along] > pos[e.src][along], (e.src, e.dst)


@pytest.mark.parametrize("direction", DIRECTIONS)
def test_edges_do_not_cross(templates, direction: str) -> None:  # noqa: ANN001
    """Lanes follow the port order, so no two edges cross; DenseNet excepted: every
    feature map feeds every later concat, and those skips must cross each other."""
    for name, graph in templates.items():
        if name != "densenet121":
            assert edge_crossings(graph, layered_positions(graph, direction), direction) == 0, name


def test_shipped_templates_use_the_layout(templates) -> None:  # noqa: ANN001
    """The files hold this layout's positions (top to bottom): regenerate them with
    ``python -m graphbuilder.zoo.generate`` after changing it."""
    for name, graph in templates.items():
        pos = layered_positions(graph, "TB")
        assert all(graph.pos(n) == pytest.approx(pos[n]) for n in graph.nodes()), name


def _chain(n: int) -> ModelGraph:
    b = NetBuilder("chain")
    h = b.input("x", [8])
    for i in range(n):
        h = b.add(f"fc{i}", "Linear", h, out_features=8)
    b.output("y", h)
    return b.build(layout=False)


@pytest.mark.parametrize("direction", DIRECTIONS)
def test_chain_is_a_straight_column(direction: str) -> None:
    graph = _chain(6)
    pos = layered_positions(graph, direction)
    order = ["x", *[f"fc{i}" for i in range(6)], "y"]
    across, along = (0, 1) if direction == "TB" else (1, 0)
    assert len({pos[n][across] for n in order}) == 1
    steps = [pos[b][along] - pos[a][along] for a, b in zip(order, order[1:], strict=False)]
    assert steps == [ROW_STEP[direction]] * (len(order) - 1)


def test_resnet_main_path_is_one_column_and_shortcut_a_parallel_lane(templates) -> None:  # noqa: ANN001
    graph = templates["resnet18"]
    pos = layered_positions(graph, "TB")
    main = ["layer1.1.relu2", "layer2.0.conv1", "layer2.0.bn1", "layer2.0.relu1",
            "layer2.0.conv2", "layer2.0.bn2", "layer2.0.add", "layer2.0.relu2", "avgpool", "fc"]
    assert len({pos[n][0] for n in main}) == 1
    ds0, ds1 = pos["layer2.0.downsample.0"], pos["layer2.0.downsample.1"]
    assert ds0[0] == ds1[0] != pos["layer2.0.conv1"][0]
    assert abs(ds0[0] - pos["layer2.0.conv1"][0]) == SLOT["TB"]  # the next lane over
    assert ds0[1] == pos["layer2.0.conv1"][1] and ds1[1] == pos["layer2.0.bn1"][1]
    # the shortcut enters the Add's second input, so it runs on the right
    assert ds0[0] > pos["layer2.0.conv1"][0]


def test_feeders_sit_next_to_their_consumer(templates) -> None:  # noqa: ANN001
    """A node that only feeds something further down (ViT's class token) goes as late
    as it can: right above its consumer, not at the top."""
    graph = templates["vit_tiny"]
    pos = layered_positions(graph, "TB")
    for n in graph.nodes():
        if graph.op(n) == "Parameter":
            consumers = [e.dst for e in graph.out_edges(n)]
            assert min(pos[c][1] for c in consumers) - pos[n][1] == ROW_STEP["TB"], n


def test_multiple_inputs_and_outputs() -> None:
    b = NetBuilder("two_heads")
    a = b.input("a", [8])
    c = b.input("c", [8])
    h = b.add("fa", "Linear", a, out_features=8)
    h = b.add("fa2", "ReLU", h)
    h = b.add("fa3", "Linear", h, out_features=8)
    g = b.add("fc", "Linear", c, out_features=8)
    m = b.add("sum", "Add", [h, g])
    b.output("y1", m)
    b.output("y2", b.add("head2", "Linear", h, out_features=3))
    graph = b.build(layout=False)
    for direction in DIRECTIONS:
        pos = layered_positions(graph, direction)
        assert overlaps(pos) == [] and crossings(graph, pos, direction) == []
    pos = layered_positions(graph, "TB")
    assert pos["fc"][1] == pos["sum"][1] - ROW_STEP["TB"]  # the late input comes late
    assert pos["c"][1] == pos["fc"][1] - ROW_STEP["TB"]


def test_cyclic_graph_keeps_its_positions() -> None:
    graph = _chain(2)
    auto_layout(graph)
    graph.g.add_edge("fc1", "fc0", key="extra")
    before = {n: graph.pos(n) for n in graph.nodes()}
    assert layered_positions(graph, "TB") == before


def test_empty_graph() -> None:
    assert layered_positions(ModelGraph("empty")) == {}


def test_routes() -> None:
    # one gap: a single S-curve
    assert len(edge_route((0, 37), (50, 83), "TB")) == 1
    # a skip whose ends are in one column runs beside it, clear of the column's cards
    segs = edge_route((0, 37), (0, 563), "TB")
    run = segs[1]
    assert run[0][0] == run[3][0] > CARD_W / 2 + 30
    assert run[3][0] < SLOT["TB"] * 2 - CARD_W / 2 - 30
    # a shortcut from another lane drops down its own lane and turns in above the target
    segs = edge_route((220, 277), (0, 683), "TB")
    assert segs[0][0] == (220, 277) and segs[0][3][0] == 220
    assert segs[-1][0][1] >= 683 - (ROW_STEP["TB"] - CARD_H)


def test_resnet152_layout_is_fast(templates) -> None:  # noqa: ANN001
    import time

    graph = templates["resnet152"]
    layered_positions(graph, "TB")
    t0 = time.perf_counter()
    layered_positions(graph, "TB")
    assert time.perf_counter() - t0 < 1.0  # ~10 ms here; generous for loaded CI machines


def test_canvas_draws_the_same_route() -> None:
    pytest.importorskip("PySide6")
    from PySide6.QtCore import QPointF

    from graphbuilder.ui.edge_item import edge_path
    from graphbuilder.ui.node_item import NODE_H, NODE_W

    assert (NODE_W, NODE_H) == (CARD_W, CARD_H)
    for direction in DIRECTIONS:
        for p1, p2 in (((0, 37), (50, 83)), ((0, 37), (0, 563)), ((220, 277), (29, 683)),
                       ((0, 0), (700, 40)), ((10, 10), (600, 300))):
            path = edge_path(QPointF(*p1), QPointF(*p2), direction)
            want = _polyline(p1, p2, direction)
            for k in range(0, 41):
                pt = path.pointAtPercent(k / 40)
                assert min(_dist((pt.x(), pt.y()), a, b)
                           for a, b in zip(want, want[1:], strict=False)) < 2.0


def _dist(p, a, b) -> float:  # noqa: ANN001
    (px, py), (ax, ay), (bx, by) = p, a, b
    dx, dy = bx - ax, by - ay
    t = 0.0 if dx == dy == 0 else max(0.0, min(1.0, ((px - ax) * dx + (py - ay) * dy)
                                            / (dx * dx + dy * dy)))
    return ((px - ax - t * dx) ** 2 + (py - ay - t * dy) ** 2) ** 0.5


def test_a_long_edge_out_of_a_column_gets_a_free_lane() -> None:
    """``x`` feeds the next node of its column and, far below, a node of another
    column: the long edge needs a lane of its own below ``x``."""
    b = NetBuilder("side_feed")
    x = b.input("x", [8])
    y = b.input("y", [8])
    h = x
    for i in range(3):
        h = b.add(f"a{i}", "Linear", h, out_features=8)
    b.output("out1", h)
    g = y
    for i in range(4):
        g = b.add(f"p{i}", "Linear", g, out_features=8)
    d = b.add("d", "Add", [g, x])
    b.output("out2", d)
    graph = b.build(layout=False)
    for direction in DIRECTIONS:
        pos = layered_positions(graph, direction)
        assert overlaps(pos) == [] and crossings(graph, pos, direction) == []



@pytest.mark.parametrize("direction", DIRECTIONS)
def test_the_canvas_agrees(qapp, templates, direction: str) -> None:  # noqa: ANN001
    """End to end: lay templates out, build the real canvas, and check that each edge
    item starts and ends where this module puts its ports and that the painted path
    stays out of every other card."""
    from PySide6.QtGui import QUndoStack

    from graphbuilder.ui.scene import GraphScene
    from graphbuilder.ui.theme import theme_named
    from graphbuilder.ui.undo import Editor

    for name in ("resnet18", "googlenet", "unet", "vit_tiny"):
        graph = templates[name].copy()
        for group in graph.groups.values():
            group.collapsed = False
        auto_layout(graph, direction)
        scene = GraphScene(graph, Editor(graph, QUndoStack()), theme_named("light"), direction)
        ends = {(e.dst, e.port): (p1, p2) for e, (_, _, p1, p2) in
                zip(graph.edges(), edge_points(graph, direction), strict=True)}
        lines = []
        for item in scene.edges.values():
            path = item.path()
            pts = [(p.x(), p.y()) for p in (path.pointAtPercent(k / 400) for k in range(401))]
            assert pts[0] == pytest.approx(ends[item.key][0]), (name, item.key)
            assert pts[-1] == pytest.approx(ends[item.key][1]), (name, item.key)
            lines.append((item.src, item.dst, pts))
        assert cards_hit({n: graph.pos(n) for n in graph.nodes()}, lines) == [], name
        scene.detach()
