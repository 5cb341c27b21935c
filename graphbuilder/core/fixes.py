"""One-click fixes for the mistakes students make most often (no Qt).

Each fix is a :class:`~graphbuilder.core.commands.MacroCommand`, so applying it is one
undo step in the editor and the logic is testable without a GUI. Fixes are derived
from the graph plus the shapes that inference found (``shapes`` maps node id to the
full output shape, batch axis included, or ``None`` where unknown):

* residual ``Add`` whose inputs differ -> 1x1 ``Conv2d`` projection on the skip path
  (stride and channels chosen so both paths match);
* ``Linear`` fed an image-like tensor -> insert ``Flatten`` or ``GlobalAvgPool2d``;
* ``Concat`` whose spatial sizes differ -> insert ``CenterCropLike`` / ``ResizeLike``;
* ``MultiheadAttention`` whose width is not divisible by ``num_heads`` -> nearest
  divisor.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import networkx as nx

from graphbuilder.core.commands import (
    AddNodeCommand,
    Command,
    ConnectCommand,
    MacroCommand,
    SetParamsCommand,
)
from graphbuilder.core.graph import ModelGraph
from graphbuilder.core.registry import get_op, has_op

Shape = tuple[int, ...]
Shapes = Mapping[str, "Shape | None"]


@dataclass
class Fix:
    """A suggested repair for ``node``; ``command`` applies it as one undo step."""

    node: str
    title: str
    command: MacroCommand


def suggest_fixes(graph: ModelGraph, shapes: Shapes, node_id: str) -> list[Fix]:
    """All fixes that apply to ``node_id`` (empty when nothing known is wrong)."""
    if node_id not in graph or not has_op(graph.op(node_id)):
        return []
    finder = _FINDERS.get(graph.op(node_id))
    return finder(graph, shapes, node_id) if finder else []


def all_fixes(graph: ModelGraph, shapes: Shapes) -> dict[str, list[Fix]]:
    """Fixes for every node that has one."""
    out = {}
    for node_id in graph.nodes():
        fixes = suggest_fixes(graph, shapes, node_id)
        if fixes:
            out[node_id] = fixes
    return out


# --------------------------------------------------------------------------- helpers
def _between(graph: ModelGraph, a: str, b: str, t: float = 0.5) -> tuple[float, float]:
    (ax, ay), (bx, by) = graph.pos(a), graph.pos(b)
    return (ax + (bx - ax) * t + 40.0, ay + (by - ay) * t)


def _insert_on_edge(graph: ModelGraph, src: str, dst: str, port: str, base: str, op: str,
                    params: dict, extra: dict[str, str] | None = None,
                    taken: set[str] | None = None) -> tuple[list[Command], str]:
    """Commands putting a new ``op`` node on the edge ``src -> dst.port``."""
    taken = taken if taken is not None else set()
    new_id = graph.unique_id(base)
    i = 2
    while new_id in taken:
        new_id = graph.unique_id(f"{base}_{i}")
        i += 1
    taken.add(new_id)
    cmds: list[Command] = [
        AddNodeCommand(new_id, op, params, _between(graph, src, dst)),
        ConnectCommand(src, new_id, "in"),
    ]
    for extra_port, extra_src in (extra or {}).items():
        cmds.append(ConnectCommand(extra_src, new_id, extra_port))
    cmds.append(ConnectCommand(new_id, dst, port))  # replaces the old edge
    return cmds, new_id


def _sorted_inputs(graph: ModelGraph, node_id: str) -> list[tuple[str, str]]:
    """(port, source) of a variadic node in port order."""
    spec = get_op(graph.op(node_id))
    connected = graph.inputs_of(node_id)
    return [(p, connected[p]) for port in spec.inputs for p in port.port_names(connected)]


def _name_base(node_id: str, suffix: str) -> str:
    return f"{node_id}_{suffix}"


# --------------------------------------------------------------------------- finders
def _fix_add(graph: ModelGraph, shapes: Shapes, node_id: str) -> list[Fix]:
    ins = _sorted_inputs(graph, node_id)
    known = [(p, s, shapes.get(s)) for p, s in ins]
    if len(known) != 2 or any(sh is None for _, _, sh in known):
        return []
    (pa, sa, sha), (pb, sb, shb) = known
    if sha == shb or len(sha) != 4 or len(shb) != 4:
        return []
    # The skip path starts further up: its source is an ancestor of the other's.
    if nx.has_path(graph.g, sb, sa) and not nx.has_path(graph.g, sa, sb):
        (pa, sa, sha), (pb, sb, shb) = (pb, sb, shb), (pa, sa, sha)
    elif not nx.has_path(graph.g, sa, sb):
        # unrelated paths: project the one with the larger map / fewer channels
        if (sha[2], -sha[1]) < (shb[2], -shb[1]):
            (pa, sa, sha), (pb, sb, shb) = (pb, sb, shb), (pa, sa, sha)
    skip_port, skip_src, skip_shape, target = pa, sa, sha, shb
    h, w, th, tw = skip_shape[2], skip_shape[3], target[2], target[3]
    stride = max(1, -(-h // th))
    if (h - 1) // stride + 1 != th or (w - 1) // stride + 1 != tw:
        return []
    params = {"out_channels": int(target[1]), "kernel_size": 1, "stride": stride,
              "bias": False}
    cmds, new_id = _insert_on_edge(graph, skip_src, node_id, skip_port,
                                   _name_base(node_id, "proj"), "Conv2d", params)
    extra = f", stride {stride}" if stride > 1 else ""
    title = f"Add a 1x1 Conv2d projection ({target[1]} channels{extra}) on the skip path"
    return [Fix(node_id, title, MacroCommand(f"Fix '{node_id}': projection shortcut", cmds))]


def _fix_linear(graph: ModelGraph, shapes: Shapes, node_id: str) -> list[Fix]:
    src = graph.inputs_of(node_id).get("in")
    shape = shapes.get(src) if src else None
    if shape is None or len(shape) < 4:
        return []
    fixes = []
    for op, suffix, title in (
        ("Flatten", "flatten", "Insert Flatten before the Linear"),
        ("GlobalAvgPool2d", "pool", "Insert GlobalAvgPool2d before the Linear"),
    ):
        if op == "GlobalAvgPool2d" and len(shape) != 4:
            continue
        cmds, _ = _insert_on_edge(graph, src, node_id, "in", _name_base(node_id, suffix), op, {})
        fixes.append(Fix(node_id, title, MacroCommand(f"Fix '{node_id}': {title.lower()}", cmds)))
    return fixes


def _fix_concat(graph: ModelGraph, shapes: Shapes, node_id: str) -> list[Fix]:
    ins = [(p, s, shapes.get(s)) for p, s in _sorted_inputs(graph, node_id)]
    if len(ins) < 2 or any(sh is None or len(sh) != 4 for _, _, sh in ins):
        return []
    if len({tuple(sh[2:]) for _, _, sh in ins}) == 1:
        return []
    fixes = []
    smallest = min(ins, key=lambda x: x[2][2] * x[2][3])
    crop: list[Command] = []
    taken: set[str] = set()
    for port, src, sh in ins:
        if tuple(sh[2:]) != tuple(smallest[2][2:]) and sh[2] >= smallest[2][2] \
                and sh[3] >= smallest[2][3]:
            cmds, _ = _insert_on_edge(graph, src, node_id, port, _name_base(node_id, "crop"),
                                      "CenterCropLike", {}, {"like": smallest[1]}, taken)
            crop += cmds
    if crop:
        fixes.append(Fix(node_id, f"Crop the larger inputs to {smallest[2][2]}x"
                         f"{smallest[2][3]} (CenterCropLike)",
                         MacroCommand(f"Fix '{node_id}': crop inputs", crop)))
    first = ins[0]
    resize: list[Command] = []
    taken = set()
    for port, src, sh in ins[1:]:
        if tuple(sh[2:]) != tuple(first[2][2:]):
            cmds, _ = _insert_on_edge(graph, src, node_id, port, _name_base(node_id, "resize"),
                                      "ResizeLike", {}, {"like": first[1]}, taken)
            resize += cmds
    if resize:
        fixes.append(Fix(node_id, f"Resize the other inputs to {first[2][2]}x{first[2][3]} "
                         "(ResizeLike)", MacroCommand(f"Fix '{node_id}': resize inputs", resize)))
    return fixes


def _fix_attention(graph: ModelGraph, shapes: Shapes, node_id: str) -> list[Fix]:
    src = graph.inputs_of(node_id).get("query")
    shape = shapes.get(src) if src else None
    heads = graph.params(node_id).get("num_heads", 1)
    if shape is None or not heads or shape[-1] % heads == 0:
        return []
    width = shape[-1]
    divisors = [h for h in range(1, width + 1) if width % h == 0]
    best = min(divisors, key=lambda h: (abs(h - heads), -h))
    cmd = SetParamsCommand(node_id, {"num_heads": best})
    return [Fix(node_id, f"Use {best} heads (divides the width {width})",
                MacroCommand(f"Fix '{node_id}': num_heads={best}", [cmd]))]


_FINDERS: dict[str, Callable[[ModelGraph, Shapes, str], list[Fix]]] = {
    "Add": _fix_add,
    "Multiply": _fix_add,
    "Linear": _fix_linear,
    "Concat": _fix_concat,
    "MultiheadAttention": _fix_attention,
}
