"""Compile a :class:`ModelGraph` into a ``torch.fx.GraphModule``.

Each op's ``forward`` runs once on ``torch.fx`` proxies, which records plain torch
calls into an fx graph; module ops become ``call_module`` nodes whose dotted target
(``layer1.0.conv1``) is the node id, so parameter names are predictable and match
torchvision where the design does. The result's ``forward`` is generated Python:
no graph walking per call, ``torch.compile``-able and readable via ``.code``.
"""

from __future__ import annotations

import re
from typing import Any

import torch
from torch import fx

from graphbuilder.compiler.shapes import (
    ShapeReport,
    infer_shapes,
    ordered_inputs,
    trailing_optional_trim,
)
from graphbuilder.core.errors import GraphError, GraphInvalidError
from graphbuilder.core.graph import ModelGraph
from graphbuilder.core.registry import get_op


class _ModuleCall:
    """Stands in for a submodule while tracing: calling it records ``call_module``."""

    def __init__(self, target: str, tracer: fx.proxy.GraphAppendingTracer) -> None:
        self.target = target
        self.tracer = tracer

    def __call__(self, *args: Any, **kwargs: Any) -> fx.Proxy:
        return self.tracer.create_proxy("call_module", self.target, args, kwargs)


def class_name_for(name: str) -> str:
    """``resnet-18 small`` -> ``Resnet18Small`` (a valid Python class name)."""
    words = re.findall(r"[A-Za-z0-9]+", name)
    out = "".join(w[:1].upper() + w[1:] for w in words) or "Net"
    return out if out[0].isalpha() else "Net" + out


def live_nodes(graph: ModelGraph) -> set[str]:
    """Nodes that contribute to some output (dangling ones are left out of the code)."""
    import networkx as nx

    live: set[str] = set()
    for out in graph.output_nodes():
        live.add(out)
        live |= nx.ancestors(graph.g, out)
    return live


def compile_graph(
    graph: ModelGraph, *, seed: int | None = None, report: ShapeReport | None = None
) -> fx.GraphModule:
    """Build a trainable ``GraphModule``; raises :class:`GraphInvalidError` on a bad graph.

    With ``seed`` the initial weights are reproducible without touching the global RNG.
    Several outputs are returned as a tuple in the order of the Output nodes.
    """
    report = report or infer_shapes(graph)
    if not report.ok:
        raise GraphInvalidError(report.blocking)
    if seed is None:
        return _compile(graph, report)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return _compile(graph, report)


def _compile(graph: ModelGraph, report: ShapeReport) -> fx.GraphModule:
    fx_graph = fx.Graph()
    tracer = fx.proxy.GraphAppendingTracer(fx_graph)
    modules: dict[str, Any] = {}
    env: dict[str, fx.Node] = {}
    results: list[fx.Node] = []
    live = live_nodes(graph)
    for node_id in graph.topological_order():
        if node_id not in live:
            continue
        spec = get_op(graph.op(node_id))
        params = graph.params(node_id)
        if spec.kind == "input":
            env[node_id] = fx_graph.placeholder(_py_name(node_id))
            continue
        ports = ordered_inputs(spec, graph.inputs_of(node_id))
        if spec.kind == "output":
            env[node_id] = env[ports[0][1]]  # an Output may also feed on (a tap)
            results.append(env[node_id])
            continue
        in_shapes = [[report.nodes[s].shape for s in src] if isinstance(src, list)
                     else (report.nodes[src].shape if src else None) for _, src in ports]
        if spec.kind == "parameter":
            modules[node_id] = spec.build(params, [])
            env[node_id] = fx_graph.get_attr(node_id)
            continue
        args = trailing_optional_trim([
            [fx.Proxy(env[s], tracer) for s in src] if isinstance(src, list)
            else (fx.Proxy(env[src], tracer) if src else None)
            for _, src in ports
        ])
        module = None
        if spec.build is not None:
            modules[node_id] = spec.build(params, in_shapes)
            module = _ModuleCall(node_id, tracer)
        forward = spec.forward or (lambda m, x, **_: m(x))
        try:
            out = forward(module, *args, **params)
        except Exception as exc:  # pragma: no cover - shapes already passed on meta
            raise GraphInvalidError([GraphError(node_id, f"cannot generate code: {exc}")]) from exc
        if not isinstance(out, fx.Proxy):
            raise GraphInvalidError([GraphError(node_id, "op did not produce a tensor")])
        _name_after(out.node, node_id)
        env[node_id] = out.node
    if not results:
        raise GraphInvalidError([GraphError(None, "the graph has no connected Output node")])
    fx_graph.output(results[0] if len(results) == 1 else tuple(results))
    fx_graph.lint()
    gm = fx.GraphModule(modules, fx_graph, class_name=class_name_for(graph.name))
    gm.meta["graphbuilder"] = {
        "name": graph.name,
        "inputs": {n: graph.params(n) for n in graph.input_nodes() if n in live},
        "outputs": [n for n in graph.output_nodes() if n in live],
    }
    return gm


def _py_name(node_id: str) -> str:
    return re.sub(r"\W", "_", node_id)


def _name_after(node: fx.Node, node_id: str) -> None:
    """Give the fx node the graph node's name so generated code reads like the design."""
    if node.op == "call_module":
        return  # fx already names these after their target
    rename = getattr(node, "_rename", None)
    if rename is not None:
        rename(_py_name(node_id))


def example_inputs(gm_or_graph: Any, batch: int = 2, device: str | torch.device = "cpu",
                   generator: torch.Generator | None = None,
                   int_high: int | None = None) -> tuple[torch.Tensor, ...]:
    """Random inputs matching the graph's Input nodes.

    int64 inputs get token ids in ``[0, int_high)``; by default ``int_high`` is 10
    capped by the smallest Embedding vocabulary, so the ids are always valid.
    """
    if isinstance(gm_or_graph, ModelGraph):  # the compiled forward takes the live inputs
        live = live_nodes(gm_or_graph)
        specs = [gm_or_graph.params(n) for n in gm_or_graph.input_nodes() if n in live]
        vocab = [gm_or_graph.params(n)["num_embeddings"] for n in gm_or_graph.nodes()
                 if gm_or_graph.op(n) == "Embedding"]
    else:
        specs = list(gm_or_graph.meta["graphbuilder"]["inputs"].values())
        vocab = [m.num_embeddings for m in gm_or_graph.modules()
                 if isinstance(m, torch.nn.Embedding)]
    high = int_high if int_high is not None else min([10, *vocab])
    out = []
    for spec in specs:
        shape = (batch, *spec["shape"])
        if spec["dtype"] == "int64":
            out.append(torch.randint(0, high, shape, generator=generator).to(device))
        else:
            out.append(torch.randn(shape, generator=generator).to(device))
    return tuple(out)
