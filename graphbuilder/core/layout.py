"""Layered auto-layout from networkx's topological generations.

Positions are data (saved in the file) so this only runs on request or when a graph
is generated in code.
"""

from __future__ import annotations

import networkx as nx

from graphbuilder.core.graph import ModelGraph

NODE_GAP = 200.0  # distance between layers
LANE_GAP = 110.0  # distance between nodes of one layer


def layered_positions(graph: ModelGraph, direction: str = "TB") -> dict[str, tuple[float, float]]:
    """Layer = topological generation; order within a layer follows the parents (barycentre)."""
    if not nx.is_directed_acyclic_graph(graph.g):
        return {n: graph.pos(n) for n in graph.nodes()}
    order = {n: i for i, n in enumerate(graph.nodes())}
    lane: dict[str, float] = {}
    pos: dict[str, tuple[float, float]] = {}
    for depth, generation in enumerate(nx.topological_generations(graph.g)):
        def bary(n: str) -> tuple[float, int]:
            preds = [lane[p] for p in graph.g.predecessors(n) if p in lane]
            return (sum(preds) / len(preds) if preds else 0.0, order[n])

        ranked = sorted(generation, key=bary)
        width = len(ranked)
        for i, n in enumerate(ranked):
            lane[n] = i - (width - 1) / 2.0
            if direction == "TB":
                pos[n] = (lane[n] * LANE_GAP * 2.0, depth * NODE_GAP * 0.6)
            else:
                pos[n] = (depth * NODE_GAP * 1.2, lane[n] * LANE_GAP)
    return pos


def auto_layout(graph: ModelGraph, direction: str = "TB") -> None:
    """Move every node to its layered position (silently: no per-node events)."""
    for node_id, p in layered_positions(graph, direction).items():
        graph.g.nodes[node_id]["pos"] = p
