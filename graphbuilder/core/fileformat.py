"""The declarative JSON file format: versioned, validated, never executed.

A file looks like::

    {"format": "graphbuilder.graph", "version": 1, "name": "mlp",
     "nodes": [{"id": "x", "op": "Input", "params": {"shape": [6]}, "pos": [0, 0]}, ...],
     "edges": [{"src": "x", "dst": "fc1", "port": "in"}, ...],
     "groups": [...], "metadata": {...}, "training": {...}}

Loading checks every field and raises :class:`GraphFormatError` naming the file and
the problem. Files from older versions pass through ``MIGRATIONS`` first.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from graphbuilder.core.atomic import atomic_write_text
from graphbuilder.core.errors import GraphFormatError
from graphbuilder.core.graph import ID_PATTERN, Group, ModelGraph
from graphbuilder.core.registry import get_op, has_op

FORMAT_NAME = "graphbuilder.graph"
FORMAT_VERSION = 1
MAX_FILE_BYTES = 64 * 1024 * 1024
MAX_NUMBER = 1e12

#: version -> function upgrading a document of that version by one step.
MIGRATIONS: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {}


# ----------------------------------------------------------------------------- writing
def graph_to_dict(graph: ModelGraph) -> dict[str, Any]:
    nodes = []
    for node_id, data in graph.node_items():
        spec = get_op(data["op"]) if has_op(data["op"]) else None
        params = {k: (spec.param(k).normalize(v) if spec and _has(spec, k) else v)
                  for k, v in data["params"].items()}
        nodes.append({"id": node_id, "op": data["op"], "params": params,
                      "pos": [round(data["pos"][0], 2), round(data["pos"][1], 2)]})
    edges = []
    for e in graph.edges():
        item = {"src": e.src, "dst": e.dst, "port": e.port}
        if e.src_port != "out":
            item["src_port"] = e.src_port
        edges.append(item)
    doc: dict[str, Any] = {"format": FORMAT_NAME, "version": FORMAT_VERSION,
                           "name": graph.name, "description": graph.description,
                           "nodes": nodes, "edges": edges}
    if graph.groups:
        doc["groups"] = [g.to_dict() for g in graph.groups.values()]
    if graph.metadata:
        doc["metadata"] = graph.metadata
    if graph.training is not None:
        doc["training"] = graph.training
    return doc


def _has(spec, name: str) -> bool:
    return any(p.name == name for p in spec.params)


def dumps_graph(graph: ModelGraph) -> str:
    return json.dumps(graph_to_dict(graph), indent=1, allow_nan=False) + "\n"


def save_graph(graph: ModelGraph, path: str | os.PathLike[str]) -> None:
    """Write ``graph`` to ``path`` atomically (temp file, fsync, rename)."""
    atomic_write_text(path, dumps_graph(graph))


# ----------------------------------------------------------------------------- reading
def load_graph(path: str | os.PathLike[str]) -> ModelGraph:
    """Read and validate a graph file; raises :class:`GraphFormatError` on any problem."""
    p = Path(path)
    try:
        size = p.stat().st_size
    except FileNotFoundError:
        raise GraphFormatError(f"{p}: no such file") from None
    except OSError as exc:
        raise GraphFormatError(f"{p}: cannot read ({exc.strerror})") from None
    if size > MAX_FILE_BYTES:
        raise GraphFormatError(f"{p}: file is too large to be a graph ({size} bytes)")
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise GraphFormatError(f"{p}: cannot read as UTF-8 text ({exc})") from None
    return loads_graph(text, source=str(p))


def loads_graph(text: str, source: str = "<string>") -> ModelGraph:
    try:
        doc = json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise GraphFormatError(f"{source}: not valid JSON (line {exc.lineno}, column "
                               f"{exc.colno}: {exc.msg})") from None
    except ValueError as exc:
        raise GraphFormatError(f"{source}: {exc}") from None
    except RecursionError:
        raise GraphFormatError(f"{source}: JSON is nested too deeply") from None
    try:
        return graph_from_dict(doc)
    except GraphFormatError as exc:
        raise GraphFormatError(f"{source}: {exc}") from None


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not allowed in a graph file")


def graph_from_dict(doc: Any) -> ModelGraph:
    """Build a graph from a parsed document, checking every field."""
    _expect(isinstance(doc, dict), "the top level must be a JSON object")
    _check_numbers(doc, "document")
    _expect(doc.get("format") == FORMAT_NAME,
            f"not a GraphBuilder graph (missing \"format\": \"{FORMAT_NAME}\")")
    version = doc.get("version")
    _expect(isinstance(version, int) and not isinstance(version, bool) and version >= 1,
            "'version' must be a positive whole number")
    if version > FORMAT_VERSION:
        raise GraphFormatError(f"written by a newer GraphBuilder (format version {version}; "
                               f"this one reads up to {FORMAT_VERSION})")
    while version < FORMAT_VERSION:
        doc = MIGRATIONS[version](doc)
        version = doc["version"]

    graph = ModelGraph(_opt_str(doc, "name", "untitled"), _opt_str(doc, "description", ""))
    nodes = doc.get("nodes")
    _expect(isinstance(nodes, list), "'nodes' must be a list")
    for i, node in enumerate(nodes):
        _read_node(graph, node, i)
    edges = doc.get("edges", [])
    _expect(isinstance(edges, list), "'edges' must be a list")
    for i, edge in enumerate(edges):
        _read_edge(graph, edge, i)
    groups = doc.get("groups", [])
    _expect(isinstance(groups, list), "'groups' must be a list")
    graph.groups = {g.id: g for g in (_read_group(graph, g, i) for i, g in enumerate(groups))}
    for key in ("metadata", "training"):
        if key in doc and doc[key] is not None:
            _expect(isinstance(doc[key], dict), f"'{key}' must be an object")
    graph.metadata = doc.get("metadata") or {}
    graph.training = doc.get("training")
    return graph


def _read_node(graph: ModelGraph, node: Any, i: int) -> None:
    _expect(isinstance(node, dict), f"node #{i} must be an object")
    node_id = node.get("id")
    _expect(isinstance(node_id, str) and ID_PATTERN.match(node_id) is not None,
            f"node #{i} has a missing or invalid id {node_id!r}")
    _expect(node_id not in graph, f"duplicate node id '{node_id}'")
    op = node.get("op")
    _expect(isinstance(op, str), f"node '{node_id}' has no op")
    _expect(has_op(op), f"node '{node_id}' uses unknown op '{op}'")
    params = node.get("params", {})
    _expect(isinstance(params, dict), f"node '{node_id}': 'params' must be an object")
    problems = get_op(op).check_params(params)
    _expect(not problems, f"node '{node_id}' ({op}): {problems[0] if problems else ''}")
    pos = node.get("pos", [0, 0])
    _expect(isinstance(pos, list) and len(pos) == 2
            and all(_is_number(v) for v in pos), f"node '{node_id}': 'pos' must be [x, y]")
    graph.add_node(node_id, get_op(op).name, params, (pos[0], pos[1]))


def _read_edge(graph: ModelGraph, edge: Any, i: int) -> None:
    _expect(isinstance(edge, dict), f"edge #{i} must be an object")
    src, dst, port = edge.get("src"), edge.get("dst"), edge.get("port", "in")
    src_port = edge.get("src_port", "out")
    for name, value in (("src", src), ("dst", dst), ("port", port), ("src_port", src_port)):
        _expect(isinstance(value, str), f"edge #{i}: '{name}' must be text")
    _expect(src in graph, f"edge #{i} starts at missing node '{src}'")
    _expect(dst in graph, f"edge #{i} ends at missing node '{dst}'")
    _expect(port not in graph.inputs_of(dst),
            f"edge #{i}: port '{port}' of '{dst}' is connected twice")
    graph.connect(src, dst, port, src_port)


def _read_group(graph: ModelGraph, group: Any, i: int) -> Group:
    _expect(isinstance(group, dict), f"group #{i} must be an object")
    gid, label, nodes = group.get("id"), group.get("label", ""), group.get("nodes", [])
    _expect(isinstance(gid, str) and gid != "", f"group #{i} needs an id")
    _expect(isinstance(label, str), f"group '{gid}': 'label' must be text")
    _expect(isinstance(nodes, list) and all(isinstance(n, str) and n in graph for n in nodes),
            f"group '{gid}' lists nodes that do not exist")
    collapsed = group.get("collapsed", False)
    _expect(isinstance(collapsed, bool), f"group '{gid}': 'collapsed' must be true/false")
    return Group(gid, label, list(nodes), collapsed)


def _opt_str(doc: dict, key: str, default: str) -> str:
    value = doc.get(key, default)
    _expect(isinstance(value, str), f"'{key}' must be text")
    return value


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def _check_numbers(value: Any, where: str, depth: int = 0) -> None:
    """Reject non-finite or absurd numbers anywhere in the document."""
    _expect(depth < 64, "the document is nested too deeply")
    if isinstance(value, float) and not math.isfinite(value):
        raise GraphFormatError(f"{where} contains a non-finite number")
    if _is_number(value) and abs(value) > MAX_NUMBER:
        raise GraphFormatError(f"{where} contains an unreasonably large number ({value})")
    if isinstance(value, dict):
        for k, v in value.items():
            _check_numbers(v, f"{where}.{k}" if depth < 3 else where, depth + 1)
    elif isinstance(value, list):
        for v in value:
            _check_numbers(v, where, depth + 1)


def _expect(condition: bool, message: str) -> None:
    if not condition:
        raise GraphFormatError(message)
