"""Structural validation: everything that can be checked without tensors.

Shape problems are found by :mod:`graphbuilder.compiler.shapes`, which calls this
first. Every problem becomes a :class:`GraphError` pinned to the node at fault.
"""

from __future__ import annotations

import keyword

import networkx as nx

from graphbuilder.core.errors import GraphError
from graphbuilder.core.graph import ModelGraph
from graphbuilder.core.registry import get_op, has_op

# Names a compiled torch module already uses; a node may not shadow them.
_RESERVED = frozenset({
    "self", "forward", "training", "code", "graph", "eval", "train", "to", "cuda", "cpu", "float",
    "double", "half", "state_dict", "parameters", "buffers", "modules", "children", "apply",
    "zero_grad", "register_buffer", "type", "load_state_dict", "named_modules", "recompile",
    "meta", "add_module", "get_submodule", "requires_grad_", "extra_repr", "print_readable",
})


def validate_structure(graph: ModelGraph) -> list[GraphError]:
    """Unknown ops, bad parameters, port problems, cycles and id clashes."""
    errors: list[GraphError] = []
    for node_id in graph.nodes():
        errors.extend(_check_node(graph, node_id))
    errors.extend(_check_ids(graph))
    if not graph.input_nodes():
        errors.append(GraphError(None, "the graph has no Input node"))
    if not graph.output_nodes():
        errors.append(GraphError(None, "the graph has no Output node"))
    if has_cycle(graph):
        cycle = nx.find_cycle(graph.g)
        path = " -> ".join([c[0] for c in cycle] + [cycle[0][0]])
        errors.append(GraphError(cycle[0][0], f"connections form a loop ({path}); "
                                 "a feed-forward network cannot feed a layer its own output"))
    return errors


def has_cycle(graph: ModelGraph) -> bool:
    try:
        graph.topological_order()
    except nx.NetworkXUnfeasible:
        return True
    return False


def _check_node(graph: ModelGraph, node_id: str) -> list[GraphError]:
    op_name = graph.op(node_id)
    if not has_op(op_name):
        return [GraphError(node_id, f"unknown op '{op_name}'")]
    spec = get_op(op_name)
    errors = [GraphError(node_id, msg) for msg in spec.check_params(graph.raw_params(node_id))]
    connected = graph.inputs_of(node_id)
    for port in connected:
        if spec.port(port) is None:
            names = ", ".join(f"{p.name}0, {p.name}1, ..." if p.variadic else p.name
                              for p in spec.inputs) or "none"
            errors.append(GraphError(node_id, f"{op_name} has no input port '{port}' "
                                              f"(its ports: {names})"))
    for port in spec.inputs:
        got = port.port_names(connected)
        if port.variadic and len(got) < port.min_count and not port.optional:
            errors.append(GraphError(node_id, f"{op_name} needs at least {port.min_count} "
                                              f"inputs, {len(got)} connected"))
        elif not port.variadic and not got and not port.optional:
            label = f"input '{port.name}'" if len(spec.inputs) > 1 else "an input"
            errors.append(GraphError(node_id, f"{op_name} needs {label}; connect a layer to it"))
    if spec.kind != "output" and not graph.has_consumers(node_id):
        errors.append(GraphError(node_id, f"the output of {op_name} is not used; "
                                          "connect it onward or delete the node", "warning"))
    return errors


def _check_ids(graph: ModelGraph) -> list[GraphError]:
    errors = []
    module_ids = set(graph.nodes())
    for node_id in graph.nodes():
        head = node_id.split(".")[0]
        if head in _RESERVED or any(keyword.iskeyword(s) for s in node_id.split(".")):
            errors.append(GraphError(node_id, f"'{node_id}' is a reserved name; rename the node"))
        parts = node_id.split(".")
        for i in range(1, len(parts)):
            prefix = ".".join(parts[:i])
            if prefix in module_ids:
                errors.append(GraphError(node_id, f"'{node_id}' is nested under node '{prefix}', "
                                                  "which is a layer, not a group; rename one"))
                break
    return errors
