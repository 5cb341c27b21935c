"""ModelGraph queries: stable topological order, clear errors for missing ids, events."""

from __future__ import annotations

import networkx as nx
import pytest

from graphbuilder.core.graph import GraphEditError, ModelGraph


def diamond() -> ModelGraph:
    g = ModelGraph("d")
    for n, op in (("x", "Input"), ("b", "ReLU"), ("a", "ReLU"), ("sum", "Add"), ("y", "Output")):
        g.add_node(n, op)
    g.connect("x", "b", "in")
    g.connect("x", "a", "in")
    g.connect("a", "sum", "in0")
    g.connect("b", "sum", "in1")
    g.connect("sum", "y", "in")
    return g


def test_topological_order_breaks_ties_by_insertion_order() -> None:
    g = diamond()
    assert g.topological_order() == ["x", "b", "a", "sum", "y"]
    g.add_node("lonely", "ReLU")
    assert g.topological_order()[-1] == "lonely"


def test_topological_order_handles_parallel_edges_and_cycles() -> None:
    g = diamond()
    g.disconnect("sum", "in1")
    g.connect("a", "sum", "in1")  # two edges a -> sum
    assert g.topological_order().index("a") < g.topological_order().index("sum")
    g.connect("sum", "b", "extra")  # sum -> b -> ... no loop yet
    g.connect("b", "x", "in")  # x -> b -> x: a loop
    with pytest.raises(nx.NetworkXUnfeasible):
        g.topological_order()


def test_queries_refuse_missing_nodes() -> None:
    g = diamond()
    for query in (g.in_edges, g.out_edges, g.inputs_of, g.has_consumers, g.op, g.params):
        with pytest.raises(GraphEditError, match="no node 'ghost'"):
            query("ghost")


def test_queries() -> None:
    g = diamond()
    assert g.inputs_of("sum") == {"in0": "a", "in1": "b"}
    assert [(e.src, e.port) for e in g.in_edges("sum")] == [("a", "in0"), ("b", "in1")]
    assert [(e.dst, e.port) for e in g.out_edges("x")] == [("b", "in"), ("a", "in")]
    assert g.has_consumers("x") and not g.has_consumers("y")
    assert g.input_nodes() == ["x"] and g.output_nodes() == ["y"]


def test_restore_out_edge_order() -> None:
    g = diamond()
    order = g.out_edge_order("x")
    g.disconnect("b", "in")
    g.connect("x", "b", "in")
    assert g.out_edge_order("x") == [("a", "in"), ("b", "in")]
    revision = g.revision
    g.restore_out_edge_order("x", order)
    assert g.out_edge_order("x") == order and g.revision == revision  # silent


def test_events_and_revision() -> None:
    g = diamond()
    seen = []
    g.subscribe(seen.append)
    g.set_params("a", {})
    g.rename_node("a", "a2")
    assert [e.kind for e in seen] == ["node_changed", "node_renamed"]
    assert seen[-1].old == "a" and g.nodes()[2] == "a2"
    with pytest.raises(GraphEditError, match="not a valid id"):
        g.add_node("1bad", "ReLU")
    with pytest.raises(GraphEditError, match="already connected"):
        g.connect("x", "sum", "in0")
